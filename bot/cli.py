"""The `cortex-bot` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from bot.config import ConfigError, Settings, load_settings
from bot.web import create_web_app

log = logging.getLogger("bot")


def serve(settings: Settings) -> None:
    settings.require_slack_credentials()
    log.info("listening on port %d", settings.port)
    web.run_app(create_web_app(settings), port=settings.port, print=None)


COMMANDS: dict[str, tuple[str, Callable[[Settings], None]]] = {
    "serve": ("run the HTTP app (Slack events, health check)", serve),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cortex-bot", description="Cortex chat-ops bot for Slack")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, _run) in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        COMMANDS[arguments.command][1](settings)
    except ConfigError as error:
        print(f"cortex-bot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
