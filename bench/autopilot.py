"""Benchmark: Rootly deliveries against the real `cortex-bot serve` process, until the message.

An incident with 3 services that depend on 5 others, the fake Cortex answering after 300 ms: the
time from sending the signed delivery to the Cortex context message arriving at the fake Slack,
and the Cortex requests each incident cost, with a cold cache and then a warm one (a new incident
on the same services); then a burst of incidents on those services at once.

    .venv/bin/python -m bench.autopilot [--latency 0.3] [--warm 5] [--burst 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.load import BOT_TOKEN, TEAM, bot_environment, process, serving
from bot.autopilot.store import AutopilotStore, NewWebhook
from bot.crypto import Keyring
from bot.storage import create_engine
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly, sign_delivery
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port

TOKEN = "bench-webhook-token-0123456789abcdefghijklmn"
SECRET = "bench-webhook-secret"
FALLBACK_CHANNEL = "C0BENCHFALLBACK"
# Each incident service depends on these (5 services depended on in all).
DEPENDENCIES = {"svc-a": ("dep-1", "dep-2"), "svc-b": ("dep-3", "dep-4"), "svc-c": ("dep-5",)}
WAIT_SECONDS = 60.0


@dataclass
class Pass:
    label: str
    acks: list[float]
    seconds: list[float]
    cortex_requests: int
    incidents: int
    outcomes: list[str]


def seed(cortex: FakeCortex, rootly: FakeRootly, began: datetime) -> list[str]:
    """The Cortex services and their changes; the Rootly service ids of the incident's services."""
    service_ids = []
    for tag, depended_on in DEPENDENCIES.items():
        cortex.add_service(tag, teams=("team-bench",))
        for dependency in depended_on:
            cortex.add_service(dependency)
            cortex.add_dependency(tag, dependency)
            cortex.add_deploy(dependency, f"{dependency} release", began - timedelta(hours=2))
        cortex.add_deploy(tag, f"{tag} release", began - timedelta(hours=1))
        service_ids.append(rootly.add_service(tag, cortex_id=tag))
    return service_ids


async def turn_on(database_url: str, key: str) -> None:
    engine = create_engine(database_url)
    await AutopilotStore(engine, Keyring.from_encoded([key])).save(
        TEAM,
        NewWebhook(TOKEN, SECRET, endpoint_id=None),
        channel_id=FALLBACK_CHANNEL,
        window=timedelta(hours=24),
        enabled_by="U0BENCH",
        now=datetime.now(UTC),
    )
    await engine.dispose()


async def deliver(
    session: aiohttp.ClientSession,
    base: str,
    slack: FakeSlack,
    rootly: FakeRootly,
    incident_id: str,
) -> tuple[float, float, str]:
    """Seconds until Rootly's request is answered, and until its message is in Slack; and what
    became of it."""
    body = rootly.delivery_body("incident.created", incident_id)
    started = time.perf_counter()
    async with session.post(
        f"{base}/rootly/webhooks/{TOKEN}", data=body, headers=sign_delivery(SECRET, body)
    ) as answer:
        acked = time.perf_counter() - started
        if answer.status != 200:
            return acked, acked, f"HTTP {answer.status}"
    deadline = started + WAIT_SECONDS
    while time.perf_counter() < deadline:
        if posted_for(slack, incident_id):
            return acked, time.perf_counter() - started, "posted"
        await asyncio.sleep(0.005)
    return acked, time.perf_counter() - started, "not posted in time"


def posted_for(slack: FakeSlack, incident_id: str) -> bool:
    return any(incident_id in str(call.args) for call in slack.calls_to("chat.postMessage"))


async def run_pass(
    label: str,
    base: str,
    slack: FakeSlack,
    cortex: FakeCortex,
    rootly: FakeRootly,
    incidents: list[str],
    at_once: bool,
) -> Pass:
    cortex.received.clear()
    async with aiohttp.ClientSession() as session:
        if at_once:
            results = await asyncio.gather(
                *(deliver(session, base, slack, rootly, incident) for incident in incidents)
            )
        else:
            results = [await deliver(session, base, slack, rootly, i) for i in incidents]
    return Pass(
        label,
        [acked for acked, _, _ in results],
        [seconds for _, seconds, _ in results],
        len(cortex.received),
        len(incidents),
        [outcome for _, _, outcome in results],
    )


async def main(latency: float, warm: int, burst: int) -> list[Pass]:
    slack = FakeSlack()
    slack.add_workspace(TEAM, BOT_TOKEN)
    cortex = FakeCortex(latency=latency, check_contract=False)
    rootly = FakeRootly(check_contract=False, quota=None)
    began = datetime.now(UTC) - timedelta(minutes=2)
    service_ids = seed(cortex, rootly, began)

    def incident(number: int) -> str:
        return rootly.add_incident(
            f"bench incident {number}",
            slack_channel_id=f"C0INC{number:04d}",
            service_ids=tuple(service_ids),
            created_at=began,
        )

    passes = []
    async with (
        serving(slack.app()) as slack_url,
        serving(cortex.app()) as cortex_url,
        serving(rootly.app()) as rootly_url,
    ):
        slack.base_url, rootly.base_url = slack_url, rootly_url
        with tempfile.TemporaryDirectory() as folder:
            env = await bot_environment(Path(folder), slack_url, cortex_url, ROOTLY_KEY)
            await turn_on(env["DATABASE_URL"], env["ENCRYPTION_KEYS"])
            port = free_port()
            env |= {
                "PORT": str(port),
                "ROOTLY_API_URL": rootly_url,
                "PUBLIC_URL": "https://bot.example.com",
            }
            async with process([*cortex_bot_command(), "serve"], env, port) as bot:
                run = [
                    ("one incident, cold cache", [incident(0)], False),
                    (
                        f"{warm} incidents one by one, warm cache",
                        [incident(1 + n) for n in range(warm)],
                        False,
                    ),
                    (
                        f"{burst} incidents at once, warm cache",
                        [incident(1 + warm + n) for n in range(burst)],
                        True,
                    ),
                ]
                for label, incidents, at_once in run:
                    passes.append(
                        await run_pass(
                            label, bot.base_url, slack, cortex, rootly, incidents, at_once
                        )
                    )
    return passes


def report(passes: list[Pass], latency: float) -> None:
    print(
        f"Rootly deliveries to `cortex-bot serve`: 3 incident services depending on 5 others, "
        f"fake Cortex latency {latency * 1000:.0f} ms"
    )
    print(
        "| pass | answered (max) | delivery → message p50 | max | p50 in Cortex latencies "
        "| Cortex requests/incident | outcomes |"
    )
    print("|---|---|---|---|---|---|---|")
    for run in passes:
        p50 = statistics.median(run.seconds)
        outcomes = ", ".join(f"{run.outcomes.count(o)} {o}" for o in sorted(set(run.outcomes)))
        print(
            f"| {run.label} | {max(run.acks) * 1000:.0f} ms | {p50 * 1000:.0f} ms | "
            f"{max(run.seconds) * 1000:.0f} ms | {p50 / latency:.1f} | "
            f"{run.cortex_requests / run.incidents:.1f} | {outcomes} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--burst", type=int, default=20)
    arguments = parser.parse_args()
    results = asyncio.run(main(arguments.latency, arguments.warm, arguments.burst))
    report(results, arguments.latency)
