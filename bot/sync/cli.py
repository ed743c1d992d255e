"""`cortex-bot sync --workspace TEAM_ID [--dry-run]`: the sync from a terminal, for cron too.

A progress bar on standard error, the report on standard output. Exit code 0 when every write
succeeded, 1 when the sync could not run or some writes failed; the reason is one line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bot.config import Settings
from bot.crypto import Keyring, load_keyring
from bot.errors import BotError
from bot.services import Services, open_services
from bot.storage import prepare_database
from bot.sync.report import BY_CLI, Status, SyncProgress, SyncReport, plan_text

STAGES = {"listing": "Listing Cortex and Rootly services", "applying": "Writing to Rootly"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", required=True, metavar="TEAM_ID", help="the Slack workspace (team) ID"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change, and write nothing"
    )


class _Bar:
    """Shows the engine's progress on a rich progress bar (rich redraws at its own pace)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task(STAGES["listing"], total=None)

    def show(self, progress: SyncProgress) -> None:
        description = STAGES[progress.stage]
        if progress.waiting_for and progress.waiting_until:
            until = progress.waiting_until.astimezone().strftime("%H:%M:%S")
            description += f" (waiting for {progress.waiting_for}'s rate limit until {until})"
        self._progress.update(
            self._task,
            description=description,
            total=progress.total if progress.stage == "applying" else None,
            completed=progress.done,
        )


# What the wiring adds to the services before the sync (bot.app.attach_slack).
Prepare = Callable[[Services], None]


async def _sync(
    settings: Settings, keyring: Keyring, prepare: Prepare, team_id: str, dry_run: bool
) -> SyncReport:
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    async with open_services(settings, keyring) as services:
        prepare(services)
        job = await services.sync.begin(team_id, triggered_by=BY_CLI, dry_run=dry_run)
        with bar:
            return await job.run(_Bar(bar).show)


def run(settings: Settings, arguments: argparse.Namespace, prepare: Prepare) -> int:
    keyring = load_keyring(settings)
    prepare_database(settings.database_url)
    try:
        report = asyncio.run(
            _sync(settings, keyring, prepare, arguments.workspace, arguments.dry_run)
        )
    except BotError as error:
        print(f"cortex-bot: sync not done: {error}", file=sys.stderr)
        return 1
    print(plan_text(report))
    return 0 if report.status is Status.SUCCEEDED else 1
