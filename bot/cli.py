"""The `cortex-bot` command line: serve, worker, migrate, keygen, rotate-keys, sync, manifest."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import yaml
from aiohttp import web

from bot.app import app_manifest, attach_slack, scheduled_jobs
from bot.autopilot.store import AutopilotStore
from bot.config import (
    ConfigError,
    Settings,
    load_settings,
    public_base_url,
    slash_command,
)
from bot.crypto import DecryptionError, Keyring, load_keyring, new_key
from bot.installations import EncryptedInstallationStore
from bot.observability import configure_logging
from bot.scheduler import Scheduler
from bot.services import open_services
from bot.storage import DatabaseNotReadyError, create_engine, migrate, prepare_database
from bot.sync import cli as sync_cli
from bot.web import create_web_app
from bot.workspaces import WorkspaceStore

log = logging.getLogger("bot")


def serve(settings: Settings, _arguments: argparse.Namespace) -> int:
    settings.require_slack_credentials()
    keyring = load_keyring(settings)
    prepare_database(settings.database_url)
    log.info("listening on port %d", settings.port)
    web.run_app(create_web_app(settings, keyring), port=settings.port, print=None)
    return 0


async def _run_scheduler(settings: Settings, keyring: Keyring) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with open_services(settings, keyring) as services:
        attach_slack(services)
        scheduler = Scheduler(scheduled_jobs(services))
        scheduler.start()
        log.info("worker running scheduled syncs and digests")
        await stopping.wait()
        await scheduler.stop()


def worker(settings: Settings, _arguments: argparse.Namespace) -> int:
    """The scheduler alone, for a process that serves no HTTP (Procfile's `worker`)."""
    keyring = load_keyring(settings)
    prepare_database(settings.database_url)
    asyncio.run(_run_scheduler(settings, keyring))
    return 0


def run_migrations(settings: Settings, _arguments: argparse.Namespace) -> int:
    migrate(settings.database_url)
    log.info("database schema is up to date")
    return 0


def keygen(_settings: Settings, _arguments: argparse.Namespace) -> int:
    print(new_key())
    return 0


async def _reseal_everything(settings: Settings, keyring: Keyring) -> tuple[int, int, int]:
    engine = create_engine(settings.database_url)
    try:
        keys = await WorkspaceStore(engine, keyring).reseal_all()
        tokens = await EncryptedInstallationStore(
            settings.slack_client_id or "", engine, keyring
        ).reseal_all()
        secrets = await AutopilotStore(engine, keyring).reseal_all()
    finally:
        await engine.dispose()
    return keys, tokens, secrets


def rotate_keys(settings: Settings, _arguments: argparse.Namespace) -> int:
    """Re-encrypt every stored secret under the first of ENCRYPTION_KEYS."""
    keyring = load_keyring(settings)
    migrate(settings.database_url)
    keys, tokens, secrets = asyncio.run(_reseal_everything(settings, keyring))
    print(
        f"re-encrypted {keys} API keys, {tokens} Slack tokens and {secrets} Rootly webhook "
        "secrets under the first key"
    )
    return 0


MANIFEST_HEADER = """\
# Slack app manifest, printed by `cortex-bot manifest` (this file is its output for the defaults).
# For your deployment: `cortex-bot manifest --url https://<your host> [--command /svc]`, then paste
# it at https://api.slack.com/apps -> "Create New App" -> "From a manifest".
# Slash commands, interactivity, options loads and events all use the one URL /slack/events.
# The redirect URL is only used in multi-workspace mode (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET).
# should_escape: channels arrive as <#C123|name>, and `incidents auto on #channel` needs the ID.
# channels:read and groups:read: the Rootly sync's Slack channels field gives Rootly channel ids
# for Cortex's channel names. files:write: a sync plan too long for a message comes as a text file.
# Token rotation may be turned on in multi-workspace mode: refresh tokens are stored encrypted and
# Bolt refreshes expiring bot tokens. Single-workspace mode (SLACK_BOT_TOKEN) needs it off.
"""
PLACEHOLDER_URL = "https://cortex-bot.example.com"


def manifest_text(public_url: str, slash: str) -> str:
    manifest = app_manifest(public_url, slash)
    body = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    return MANIFEST_HEADER + body


def print_manifest(settings: Settings, arguments: argparse.Namespace) -> int:
    public_url = arguments.url or settings.public_base_url or PLACEHOLDER_URL
    print(manifest_text(public_url, arguments.slash or settings.slack_command), end="")
    return 0


def _flag(check: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type from a configuration check: its one sentence on a bad value."""

    def parse(value: str) -> str:
        try:
            return check(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def manifest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", type=_flag(public_base_url), help="the bot's public base URL (else PUBLIC_URL)"
    )
    parser.add_argument(
        "--command",
        dest="slash",
        metavar="NAME",
        type=_flag(slash_command),
        help="the slash command (else SLACK_COMMAND)",
    )


@dataclass(frozen=True)
class Command:
    summary: str
    run: Callable[[Settings, argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


COMMANDS: dict[str, Command] = {
    "serve": Command(
        "run the HTTP app (Slack events, OAuth, health, metrics) and scheduler", serve
    ),
    "worker": Command("run only the scheduler (automatic syncs and digests)", worker),
    "migrate": Command("create or upgrade the database schema", run_migrations),
    "keygen": Command("print a new encryption key for ENCRYPTION_KEYS", keygen),
    "rotate-keys": Command("re-encrypt every stored secret under the first key", rotate_keys),
    "sync": Command(
        "sync one workspace's Cortex services into Rootly, with a progress bar",
        lambda settings, arguments: sync_cli.run(settings, arguments, attach_slack),
        sync_cli.add_arguments,
    ),
    "manifest": Command(
        "print the Slack app manifest of this deployment (URLs, command, scopes, events)",
        print_manifest,
        manifest_arguments,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cortex-bot", description="Cortex chat-ops bot for Slack")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(name, help=command.summary, description=command.summary)
        if command.add_arguments is not None:
            command.add_arguments(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        return COMMANDS[arguments.command].run(settings, arguments)
    except (ConfigError, DecryptionError, DatabaseNotReadyError) as error:
        print(f"cortex-bot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
