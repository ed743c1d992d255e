"""The `cortex-bot` command line: serve, migrate, keygen, rotate-keys."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from bot.config import ConfigError, Settings, load_settings, sqlite_path
from bot.crypto import DecryptionError, Keyring, load_keyring, new_key
from bot.installations import EncryptedInstallationStore
from bot.storage import create_engine, migrate
from bot.web import create_web_app
from bot.workspaces import WorkspaceStore

log = logging.getLogger("bot")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve(settings: Settings) -> None:
    settings.require_slack_credentials()
    keyring = load_keyring(settings)
    if sqlite_path(settings.database_url) is not None:
        # The embedded default has no release phase: bring its schema up to date here.
        migrate(settings.database_url)
    log.info("listening on port %d", settings.port)
    web.run_app(create_web_app(settings, keyring), port=settings.port, print=None)


def run_migrations(settings: Settings) -> None:
    migrate(settings.database_url)
    log.info("database schema is up to date")


def keygen(_settings: Settings) -> None:
    print(new_key())


async def _reseal_everything(settings: Settings, keyring: Keyring) -> tuple[int, int]:
    engine = create_engine(settings.database_url)
    try:
        keys = await WorkspaceStore(engine, keyring).reseal_all()
        tokens = await EncryptedInstallationStore(
            settings.slack_client_id or "", engine, keyring
        ).reseal_all()
    finally:
        await engine.dispose()
    return keys, tokens


def rotate_keys(settings: Settings) -> None:
    """Re-encrypt every stored secret under the first of ENCRYPTION_KEYS."""
    keyring = load_keyring(settings)
    migrate(settings.database_url)
    keys, tokens = asyncio.run(_reseal_everything(settings, keyring))
    print(f"re-encrypted {keys} API keys and {tokens} Slack tokens under the first key")


COMMANDS: dict[str, tuple[str, Callable[[Settings], None]]] = {
    "serve": ("run the HTTP app (Slack events, OAuth, health check)", serve),
    "migrate": ("create or upgrade the database schema", run_migrations),
    "keygen": ("print a new encryption key for ENCRYPTION_KEYS", keygen),
    "rotate-keys": ("re-encrypt every stored secret under the first key", rotate_keys),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cortex-bot", description="Cortex chat-ops bot for Slack")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, _run) in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        settings = load_settings()
        COMMANDS[arguments.command][1](settings)
    except (ConfigError, DecryptionError) as error:
        print(f"cortex-bot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
