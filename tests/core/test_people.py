"""Member IDs by email: remembered per workspace, bounded, failures not remembered."""

from __future__ import annotations

import asyncio

from bot.errors import UnavailableError
from bot.people import LOOKUPS_PER_ANSWER, MemberDirectory


class Slack:
    """Answers lookups from a directory of members, counting them; `down` fails them."""

    def __init__(self, members: dict[str, str]) -> None:
        self.members = members
        self.asked: list[str] = []
        self.down = False

    async def lookup(self, email: str) -> str | None:
        self.asked.append(email)
        if self.down:
            raise UnavailableError("Slack", "users.lookupByEmail: ratelimited")
        return self.members.get(email)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_answers_are_remembered_whether_or_not_a_member_was_found() -> None:
    slack = Slack({"cy@example.com": "U0CY"})
    directory = MemberDirectory()

    first = await directory.members("T1", ["Cy@Example.com ", "di@example.com", None], slack.lookup)
    again = await directory.members("T1", ["cy@example.com", "di@example.com"], slack.lookup)

    assert first == again == {"cy@example.com": "U0CY"}
    assert slack.asked == ["cy@example.com", "di@example.com"]


async def test_each_workspace_asks_its_own_slack() -> None:
    directory = MemberDirectory()
    alpha, beta = Slack({"cy@example.com": "U0CY"}), Slack({})

    assert await directory.members("T1", ["cy@example.com"], alpha.lookup) == {
        "cy@example.com": "U0CY"
    }
    assert await directory.members("T2", ["cy@example.com"], beta.lookup) == {}
    assert beta.asked == ["cy@example.com"]


async def test_a_failure_is_asked_again_next_time() -> None:
    slack = Slack({"cy@example.com": "U0CY"})
    slack.down = True
    directory = MemberDirectory()

    assert await directory.members("T1", ["cy@example.com"], slack.lookup) == {}
    slack.down = False
    assert await directory.members("T1", ["cy@example.com"], slack.lookup) == {
        "cy@example.com": "U0CY"
    }


async def test_memory_is_bounded_per_workspace_in_time_and_per_answer() -> None:
    clock = Clock()
    slack = Slack({})
    directory = MemberDirectory(per_workspace=3, workspaces=2, ttl=60, clock=clock)
    many = [f"p{number}@example.com" for number in range(100)]

    await directory.members("T1", many, slack.lookup)
    assert len(slack.asked) == LOOKUPS_PER_ANSWER
    await directory.members("T1", many[:3], slack.lookup)  # only the last 3 answers were kept
    assert len(slack.asked) == LOOKUPS_PER_ANSWER + 3
    clock.now = 61
    await directory.members("T1", many[:1], slack.lookup)
    await directory.members("T2", many[:1], slack.lookup)
    await directory.members("T3", many[:1], slack.lookup)  # T1, the least recent, is forgotten
    await directory.members("T1", many[:1], slack.lookup)
    assert len(slack.asked) == LOOKUPS_PER_ANSWER + 3 + 4


async def test_the_cap_counts_only_lookups_so_known_members_are_always_mentioned() -> None:
    many = [f"p{number}@example.com" for number in range(LOOKUPS_PER_ANSWER + 5)]
    slack = Slack({email: f"U{number}" for number, email in enumerate(many)})
    directory = MemberDirectory()

    await directory.members("T1", many[LOOKUPS_PER_ANSWER:], slack.lookup)
    found = await directory.members("T1", many, slack.lookup)

    assert len(found) == len(many)
    assert len(slack.asked) == len(many)


async def test_a_lookup_that_does_not_answer_in_time_shows_by_name_and_is_asked_again() -> None:
    slack = Slack({"cy@example.com": "U0CY", "di@example.com": "U0DI"})
    held = asyncio.Event()

    async def slow_for_di(email: str) -> str | None:
        if email == "di@example.com":
            await held.wait()  # Slack holds it for its rate limit
        return await slack.lookup(email)

    directory = MemberDirectory(patience=0.05)

    first = await directory.members("T1", ["cy@example.com", "di@example.com"], slow_for_di)
    held.set()
    again = await directory.members("T1", ["cy@example.com", "di@example.com"], slow_for_di)

    assert first == {"cy@example.com": "U0CY"}
    assert again == {"cy@example.com": "U0CY", "di@example.com": "U0DI"}
    assert slack.asked == ["cy@example.com", "di@example.com"]


async def test_a_lookup_failing_in_any_other_way_costs_the_mention_not_the_answer() -> None:
    asked: list[str] = []

    async def unreachable(email: str) -> str | None:
        asked.append(email)
        raise ConnectionResetError("connection reset by peer")

    directory = MemberDirectory()

    first = await directory.members("T1", ["cy@example.com"], unreachable)
    again = await directory.members("T1", ["cy@example.com"], unreachable)

    assert first == again == {}
    assert asked == ["cy@example.com", "cy@example.com"]  # not remembered: asked again
