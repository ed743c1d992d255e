"""Benchmark: `/cortex scorecard <name>` on a 5,000-service scorecard, against `cortex-bot serve`.

Signed commands to the real process (SQLite, one workspace), the fake Cortex answering after
300 ms. The first answer is cold (the scorecard's definition and every page of its scores are
read); the next ones are warm. Reports, per pass, the Cortex requests, the time from command to
answer (at the response URL), and what the answer was: full, with missing parts or older
cached data, or which error.

    .venv/bin/python -m bench.scorecard [--services 5000] [--latency 0.3] [--warm 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.answers import Kind, tally
from bench.load import BOT_TOKEN, TEAM, bot_environment, load, process, serving
from tests.support.fakes.cortex import FakeCortex, rule
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port

SCORECARD = "Production readiness"
RULES = (
    rule("owner", "Bronze", title="Has an owner"),
    rule("runbook", "Bronze", title="Has a runbook"),
    rule("oncall", "Silver", title="Is paged"),
    rule("slo", "Gold", title="Has SLOs"),
    rule("docs", "Gold", title="Has docs"),
)
# Service n fails the rules whose position divides into it: most fail something, a few fail all.
FAILING_PATTERN = ((7, "owner"), (5, "runbook"), (3, "oncall"), (2, "slo"), (4, "docs"))


@dataclass
class Pass:
    label: str
    answers: list[float]
    cortex_requests: int
    kinds: list[Kind]


def seed(cortex: FakeCortex, services: int) -> None:
    cortex.add_scorecard("readiness", SCORECARD, RULES)
    for number in range(services):
        failing = [name for divisor, name in FAILING_PATTERN if number % divisor == 0]
        cortex.score("readiness", f"svc-{number:05d}", failing=failing)


async def main(services: int, latency: float, warm: int) -> list[Pass]:
    slack = FakeSlack()
    slack.add_workspace(TEAM, BOT_TOKEN)
    cortex = FakeCortex(latency=latency, check_contract=False)
    seed(cortex, services)
    command = f"scorecard {SCORECARD}"
    passes = []
    async with serving(slack.app()) as slack_url, serving(cortex.app()) as cortex_url:
        slack.base_url = slack_url
        with tempfile.TemporaryDirectory() as folder:
            env = await bot_environment(Path(folder), slack_url, cortex_url)
            port = free_port()
            serve = [*cortex_bot_command(), "serve"]
            async with process(serve, {**env, "PORT": str(port)}, port) as bot:
                for label, count in (("cold cache", 1), (f"warm cache, {warm} in a row", warm)):
                    cortex.received.clear()
                    got = await load(bot.base_url, slack, [command] * count, 1, True)
                    passes.append(Pass(label, got.answers, len(cortex.received), got.kinds))
    return passes


def report(passes: list[Pass], services: int, latency: float) -> None:
    print(
        f"`/cortex scorecard {SCORECARD}` over {services:,} services against `cortex-bot serve`, "
        f"fake Cortex latency {latency * 1000:.0f} ms"
    )
    print("| pass | Cortex requests | answer time (median) | answer time (max) | answers |")
    print("|---|---|---|---|---|")
    for run in passes:
        print(
            f"| {run.label} | {run.cortex_requests} | "
            f"{statistics.median(run.answers) * 1000:.0f} ms | {max(run.answers) * 1000:.0f} ms | "
            f"{tally(run.kinds)} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--warm", type=int, default=5)
    arguments = parser.parse_args()
    results = asyncio.run(main(arguments.services, arguments.latency, arguments.warm))
    report(results, arguments.services, arguments.latency)
