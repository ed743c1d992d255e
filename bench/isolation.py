"""Benchmark: one workspace's hanging Cortex against another workspace's acks, modals and cards.

Two workspaces share one `cortex-bot serve` process. Workspace A connected a self-managed Cortex
that, once it has listed its services, never answers again, and 30 of A's `/cortex <tag>` lookups
(of different services, so each wants 5 calls) are kept in flight (each one that ends is
replaced). Workspace B, on the operator's Cortex (answering after 50 ms), looks up one service at
a time (each a cold card, the catalog warm) and opens the connect modal. B's ack, `views.open` and
card latencies are compared with the same run without A. Every answer is classified: full card,
partial (a card with a warning), or error. Both passes together stay within the burst of B's own
Cortex budget (a cold card is 5 calls; 2 x 40 cards is 400 of the 500), so what B sees is A's
doing, never B's rate limit. Each
pass starts after the bot's connections have been idle for longer than aiohttp's 15 s keep-alive,
so B's first calls open new connections in both passes, as after a quiet spell.

    .venv/bin/python -m bench.isolation [--cards 40] [--modals 20] [--in-flight 30] \
        [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.load import BOT_TOKEN, TEAM, bot_environment, connect_workspace, process, serving
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port
from tests.support.slack_harness import signature_headers

HANGING, QUIET = "T0HANGING", TEAM
# Each workspace has its own Cortex key (the rate budget and the caps are per key).
KEY_OF_A = "cortex-key-of-a-0123456789abcdef"
ADMIN = "U0ADMIN"
# A's lookups end after the bot's 8 s deadline; the run is cut off after this long whatever happens.
RUN_SECONDS = 300.0
# Longer than aiohttp's keep-alive (15 s): the bot's idle connections are closed by then.
IDLE_SECONDS = 16.0
SERVICES_OF_A = 500


@dataclass
class Pass:
    label: str
    acks: list[float] = field(default_factory=list)
    modals: list[float] = field(default_factory=list)
    cards: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


def kind_of(answer: dict[str, Any]) -> str:
    blocks = str(answer.get("blocks"))
    if "Record deploy" not in blocks:
        return "error"
    return "partial" if ":warning:" in blocks else "full"


class Sender:
    """Signed slash commands to the bot, each with its own response URL."""

    def __init__(self, base_url: str, slack: FakeSlack, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.slack = slack
        self.session = session
        self.numbers = itertools.count()

    async def command(self, team: str, text: str) -> tuple[str, float]:
        """Send `/cortex text`; its response URL id (also its trigger id) and the ack latency."""
        number = f"{team}-{next(self.numbers)}"
        body = urlencode(
            {
                "team_id": team,
                "channel_id": "C0BENCH",
                "user_id": ADMIN,
                "command": "/cortex",
                "text": text,
                "response_url": f"{self.slack.base_url}/response/{number}",
                "trigger_id": number,
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        async with self.session.post(
            f"{self.base_url}/slack/events", data=body, headers=headers | signature_headers(body)
        ) as answer:
            await answer.read()
            if answer.status != 200:
                raise RuntimeError(f"the bot answered {answer.status}")
        return number, time.perf_counter() - started

    async def card(self, team: str, tag: str, into: Pass) -> None:
        number, ack = await self.command(team, tag)
        started = time.perf_counter() - ack
        await self.slack.wait_for(lambda: number in self.slack.answered_at, "the card", 30)
        into.acks.append(ack)
        into.cards.append(self.slack.answered_at[number] - started)
        into.kinds[kind_of(self.slack.answers[number])] += 1

    async def modal(self, team: str, into: Pass) -> None:
        """`/cortex connect`: the modal opens (timed) and is then filled in (waited for)."""
        filled = len(self.slack.calls_to("views.update")) + 1
        number, ack = await self.command(team, "connect")
        started = time.perf_counter() - ack

        def opened() -> float | None:
            calls = self.slack.calls_to("views.open")
            return next((c.at for c in calls if c.args.get("trigger_id") == number), None)

        opened_at = await self.slack.wait_for(opened, "views.open", 30)
        await self.slack.next_call("views.update", filled)
        into.acks.append(ack)
        into.modals.append(opened_at - started)


async def quiet_workspace(sender: Sender, label: str, tags: list[str], modals: int) -> Pass:
    await asyncio.sleep(IDLE_SECONDS)
    measured = Pass(label)
    for tag in tags:
        await sender.card(QUIET, tag, measured)
    for _ in range(modals):
        await sender.modal(QUIET, measured)
    return measured


@asynccontextmanager
async def hanging_lookups(
    sender: Sender, cortex: FakeCortex, in_flight: int
) -> AsyncIterator[Counter[str]]:
    """Keep `in_flight` of A's lookups outstanding; yields the kinds of A's answers so far."""
    await sender.card(HANGING, "svc-000", Pass("A's catalog, listed once"))
    cortex.hang()  # from now on A's Cortex answers no more
    kinds: Counter[str] = Counter()
    outstanding: set[str] = set()
    services = itertools.cycle(range(1, SERVICES_OF_A))

    async def refill() -> None:
        while True:
            for number in [n for n in outstanding if n in sender.slack.answered_at]:
                outstanding.discard(number)
                kinds[kind_of(sender.slack.answers[number])] += 1
            while len(outstanding) < in_flight:
                number, _ = await sender.command(HANGING, f"svc-{next(services):03d}")
                outstanding.add(number)
            await asyncio.sleep(0.05)

    filler = asyncio.ensure_future(refill())
    await sender.slack.wait_for(lambda: cortex.in_flight > 0, "A's Cortex to hang", 30)
    try:
        yield kinds
    finally:
        filler.cancel()
        kinds["still in flight"] = len(outstanding)


@dataclass(frozen=True)
class Outcome:
    alone: Pass
    shared: Pass
    hanging_answers: Counter[str]
    held: int  # requests to A's Cortex still waiting when B's pass ended


async def main(cards: int, modals: int, in_flight: int, latency: float) -> Outcome:
    slack = FakeSlack()
    slack.add_workspace(QUIET, BOT_TOKEN)
    slack.add_user(ADMIN, QUIET, admin=True)
    quiet = FakeCortex(latency=latency, check_contract=False)
    hanging = FakeCortex(check_contract=False, api_keys={KEY_OF_A})
    for number in range(2 * cards + 1):
        quiet.add_service(f"svc-{number:03d}", f"Service {number:03d}")
    for number in range(SERVICES_OF_A):
        hanging.add_service(f"svc-{number:03d}", f"Service {number:03d}")
    async with (
        serving(slack.app()) as slack_url,
        serving(quiet.app()) as quiet_url,
        serving(hanging.app()) as hanging_url,
    ):
        slack.base_url = slack_url
        with tempfile.TemporaryDirectory() as folder:
            env = await bot_environment(Path(folder), slack_url, quiet_url)  # B is connected
            database_url, key = env["DATABASE_URL"], env["ENCRYPTION_KEYS"]
            await connect_workspace(database_url, key, hanging_url, HANGING, KEY_OF_A)
            port = free_port()
            # A's self-managed Cortex is on 127.0.0.1, like every fake here.
            env |= {"PORT": str(port), "ALLOW_PRIVATE_CORTEX_URLS": "true"}
            tags = [f"svc-{number:03d}" for number in range(2 * cards + 1)]
            async with (
                process([*cortex_bot_command(), "serve"], env, port) as bot,
                aiohttp.ClientSession() as session,
                asyncio.timeout(RUN_SECONDS),
            ):
                sender = Sender(bot.base_url, slack, session)
                await sender.card(QUIET, tags[-1], Pass("B's catalog, listed once"))
                alone = await quiet_workspace(sender, "B alone", tags[:cards], modals)
                async with hanging_lookups(sender, hanging, in_flight) as hanging_answers:
                    shared = await quiet_workspace(
                        sender,
                        f"B beside A ({in_flight} lookups in flight)",
                        tags[cards : 2 * cards],
                        modals,
                    )
                    held = hanging.held
    return Outcome(alone, shared, hanging_answers, held)


def cuts(samples: list[float]) -> tuple[float, float]:
    found = statistics.quantiles(samples, n=100, method="inclusive")
    return found[49] * 1000, found[98] * 1000


def report(outcome: Outcome, latency: float) -> None:
    alone, shared = outcome.alone, outcome.shared
    print(
        f"B: {len(alone.cards)} cold cards one at a time and {len(alone.modals)} connect modals; "
        f"B's Cortex answers after {latency * 1000:.0f} ms; A's Cortex never answers."
    )
    print("| B's | alone p50 | alone p99 | beside A p50 | beside A p99 | ratio p50 | ratio p99 |")
    print("|---|---|---|---|---|---|---|")
    for name, attribute in (("ack", "acks"), ("views.open", "modals"), ("card answer", "cards")):
        before, after = cuts(getattr(alone, attribute)), cuts(getattr(shared, attribute))
        print(
            f"| {name} | {before[0]:.0f} ms | {before[1]:.0f} ms | {after[0]:.0f} ms | "
            f"{after[1]:.0f} ms | {after[0] / before[0]:.2f} | {after[1] / before[1]:.2f} |"
        )
    for measured in (alone, shared):
        print(f"{measured.label}: B's cards {dict(measured.kinds)}")
    print(
        f"A: requests waiting on A's Cortex at the end of B's pass: {outcome.held}; "
        f"A's lookups: {dict(outcome.hanging_answers)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=40)
    parser.add_argument("--modals", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.05)
    arguments = parser.parse_args()
    outcome = asyncio.run(
        main(arguments.cards, arguments.modals, arguments.in_flight, arguments.latency)
    )
    report(outcome, arguments.latency)
