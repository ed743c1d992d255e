"""`/cortex incidents …` read from the words Slack sends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import COMMANDS
from handlers.autopilot.grammar import AutopilotCommand
from handlers.common.commands import Parsed, ParseError


def parsed(text: str) -> AutopilotCommand | str:
    result = COMMANDS.parse(text)
    if isinstance(result, ParseError):
        return result.message
    assert isinstance(result, Parsed)
    assert result.subcommand.name == "incidents"
    value: AutopilotCommand = result.value
    return value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("incidents auto on", AutopilotCommand("on")),
        ("incidents auto on <#C0INC123|incidents>", AutopilotCommand("on", "C0INC123")),
        ("incidents AUTO On <#G0PRIV12>", AutopilotCommand("on", "G0PRIV12")),
        ("incidents auto on C0INC123", AutopilotCommand("on", "C0INC123")),
        (
            "incidents auto on window=90m <#C0INC123|x>",
            AutopilotCommand("on", "C0INC123", timedelta(minutes=90)),
        ),
        ("incidents auto on window=2d", AutopilotCommand("on", None, timedelta(days=2))),
        ("incidents auto on window=12H", AutopilotCommand("on", None, timedelta(hours=12))),
        ("incidents auto off", AutopilotCommand("off")),
        ("incidents status", AutopilotCommand("status")),
    ],
)
def test_what_is_understood(text: str, expected: AutopilotCommand) -> None:
    assert parsed(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("incidents", "`incidents` needs `auto on`, `auto off` or `status`."),
        ("incidents auto", "`incidents auto` needs `on` or `off`."),
        ("incidents auto maybe", "`incidents auto` takes one of on, off, not `maybe`."),
        ("incidents later", "`incidents` takes one of auto, status, not `later`."),
        ("incidents auto on #general", "`#general` is not a channel I can recognise"),
        ("incidents auto on <@U0ADMIN|ana>", "`@ana` is not a channel I can recognise"),
        ("incidents auto on <#C1|a> <#C2|b>", "`incidents auto on` takes one channel at most."),
        ("incidents auto on window=forever", "`window=` takes a duration such as `90m`"),
        ("incidents auto on window=8d", "(at most 7 days)"),
        ("incidents auto on window=0m", "`window=` takes a duration"),
        ("incidents auto off window=2h", "`incidents auto off` takes no options."),
        ("incidents status now", "`incidents status` takes nothing after it."),
        ("incidents auto on when=now", "Unknown option `when=`"),
    ],
)
def test_what_is_refused_in_one_sentence(text: str, message: str) -> None:
    refused = parsed(text)

    assert isinstance(refused, str)
    assert message in refused
