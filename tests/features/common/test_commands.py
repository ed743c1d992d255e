"""The `/cortex` grammar: examples for every subcommand, and properties over generated text."""

# Curly quotes and look-alike characters are what many of these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import time
from typing import TypeAlias

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import COMMANDS
from handlers.autopilot.grammar import AutopilotCommand
from handlers.common.commands import Listing, ParseError
from handlers.connect.grammar import Connect, Disconnect
from handlers.digests.grammar import DigestCommand
from handlers.incident.grammar import Incident
from handlers.lookup.grammar import Deploys, Oncall, Search, ServiceLookup
from handlers.recording.grammar import DEPLOY_TYPES, RecordDeploy, RecordEvent
from handlers.scorecards.grammar import ScorecardQuery, Scores
from handlers.sync.grammar import SyncCommand

Command: TypeAlias = (
    Listing
    | Connect
    | Disconnect
    | ServiceLookup
    | Search
    | Deploys
    | RecordDeploy
    | RecordEvent
    | Oncall
    | Incident
    | SyncCommand
    | DigestCommand
    | Scores
    | ScorecardQuery
    | AutopilotCommand
)
SUBCOMMANDS = {name: entry.usage for name, entry in COMMANDS.subcommands.items()}
usage = COMMANDS.usage


def parse_command(text: str) -> Command | ParseError:
    """What the registry reads from the text: the subcommand's own value, or the parse error."""
    parsed = COMMANDS.parse(text)
    return parsed if isinstance(parsed, ParseError) else parsed.value


VALID = [
    ("", Listing()),
    ("  \t\n ", Listing()),
    ("help", Listing()),
    ("HELP deploy", Listing()),
    ("connect", Connect()),
    ("Disconnect", Disconnect()),
    ("payments-api", ServiceLookup("payments-api")),
    ("service payments-api", ServiceLookup("payments-api")),
    ("service Payments   API", ServiceLookup("Payments API")),
    ('service "Payments API"', ServiceLookup("Payments API")),
    ("service “Payments API”", ServiceLookup("Payments API")),
    ('"Payments API"', ServiceLookup("Payments API")),
    ("Payments API", ServiceLookup("Payments API")),
    ("=", ServiceLookup("=")),
    ("search payments ledger", Search("payments ledger")),
    ('search "a=b"', Search("a=b")),
    ("deploys payments-api", Deploys("payments-api")),
    ("oncall payments-api", Oncall("payments-api")),
    ("OnCall <http://api.example|api.example>", Oncall("api.example")),
    ("incident", Incident()),
    ("deploy", RecordDeploy()),
    ("deploy payments-api", RecordDeploy(tag="payments-api")),
    ("deploy api Fix the retry loop", RecordDeploy(tag="api", title="Fix the retry loop")),
    (
        "deploy api fix env=prod the loop SHA=ABC1234 type=rollback url=https://ci.example/1",
        RecordDeploy(
            tag="api",
            title="fix the loop",
            environment="prod",
            sha="ABC1234",
            deploy_type="ROLLBACK",
            url="https://ci.example/1",
        ),
    ),
    ("deploy api env=staging", RecordDeploy(tag="api", environment="staging")),
    # Cortex takes any string as the sha: short SHAs, build numbers, image digests.
    ("deploy api v1 sha=abc123", RecordDeploy(tag="api", title="v1", sha="abc123")),
    ("deploy api v1 sha=build-4711", RecordDeploy(tag="api", title="v1", sha="build-4711")),
    (
        "deploy api v1 sha=sha256:" + "0f" * 32,
        RecordDeploy(tag="api", title="v1", sha="sha256:" + "0f" * 32),
    ),
    ('deploy api "env=prod is fixed"', RecordDeploy(tag="api", title="env=prod is fixed")),
    ("deploy api don't panic", RecordDeploy(tag="api", title="don't panic")),
    ("deploy api 'don't panic'", RecordDeploy(tag="api", title="don't panic")),
    ('deploy api 5" screen', RecordDeploy(tag="api", title='5" screen')),
    ("event api", RecordEvent(tag="api")),
    (
        "event api Feature flag on type=flag url=<https://flags.example/x>",
        RecordEvent(
            tag="api", title="Feature flag on", event_type="flag", url="https://flags.example/x"
        ),
    ),
    ("sync", SyncCommand("run")),
    ("sync dry-run", SyncCommand("dry-run")),
    ("sync STATUS", SyncCommand("status")),
    ("sync auto off", SyncCommand("auto", None)),
    ("sync auto Hourly", SyncCommand("auto", "hourly")),
    ("sync auto daily", SyncCommand("auto", "daily")),
    ("digest list", DigestCommand("list")),
    ("digest off", DigestCommand("off")),
    ("digest now", DigestCommand("now")),
    ("digest daily", DigestCommand("schedule", frequency="daily")),
    (
        "digest daily at 9:05 group=payments owner=platform",
        DigestCommand("schedule", "daily", at=time(9, 5), group="payments", owner="platform"),
    ),
    (
        "digest weekly on=Fri at 23:59",
        DigestCommand("schedule", "weekly", at=time(23, 59), weekday=4),
    ),
    ("digest weekly on=monday", DigestCommand("schedule", "weekly", weekday=0)),
    ("digest weekly on=SUN", DigestCommand("schedule", "weekly", weekday=6)),
    ("digest weekly AT 00:00", DigestCommand("schedule", "weekly", at=time(0, 0))),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_commands(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


SLACK_FORMATTING = [
    # Slack clients turn straight quotes into curly ones, and send links and mentions as <...>.
    ("deploy api “Fix the loop” env=“us east”", RecordDeploy("api", "Fix the loop", "us east")),
    ("deploy api ‘Fix it’", RecordDeploy("api", "Fix it")),
    ("deploy api ‘don’t panic’", RecordDeploy("api", "don’t panic")),
    ('deploy api “mixed quotes"', RecordDeploy("api", "mixed quotes")),
    ("deploy api x url=<https://x.y>", RecordDeploy("api", "x", url="https://x.y")),
    ("deploy api x url=<https://x.y|x.y>", RecordDeploy("api", "x", url="https://x.y")),
    ("deploy api x url=<http://x.y|x.y>", RecordDeploy("api", "x", url="http://x.y")),
    ('deploy api x url="<https://x.y|x.y>"', RecordDeploy("api", "x", url="https://x.y")),
    (
        "deploy api x url=<https://x.y/?a=1&amp;b=2>",
        RecordDeploy("api", "x", url="https://x.y/?a=1&b=2"),
    ),
    # In a title a link reads as the person typed it, not as Slack's expanded target.
    ("deploy api see <http://x.y|x.y> now", RecordDeploy("api", "see x.y now")),
    ("deploy api <https://x.y/a b>", RecordDeploy("api", "https://x.y/a b")),
    ("service <#C123|payments>", ServiceLookup("#payments")),
    ("service <@U123>", ServiceLookup("@U123")),
    (
        "digest daily owner=<!subteam^S1|@platform>",
        DigestCommand("schedule", "daily", owner="@platform"),
    ),
    ("search a &lt;b&gt; &amp;amp;", Search("a <b> &amp;")),
]


@pytest.mark.parametrize(("text", "expected"), SLACK_FORMATTING)
def test_slack_quotes_links_and_escapes(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


ERRORS = [
    ("deploy env=prod api fix", "deploy", "`deploy` needs a service tag first."),
    ('deploy "" fix', "deploy", "`deploy` needs a service tag first."),
    (
        "deploy api fix type=foo",
        "deploy",
        "`type` must be one of DEPLOY, ROLLBACK, SCALE, RESTART, not `foo`.",
    ),
    (
        "deploy api fix colour=red",
        "deploy",
        "Unknown option `colour=`; `deploy` understands env, sha, type, url.",
    ),
    ("deploy api fix env=a ENV=b", "deploy", "The option `env=` is given more than once."),
    ("deploy api fix env=", "deploy", "The option `env=` needs a value."),
    ('deploy api fix env=""', "deploy", "The option `env=` needs a value."),
    ("deploy api fix sha=", "deploy", "The option `sha=` needs a value."),
    (
        "deploy api fix url=ftp://x.y",
        "deploy",
        "`url` must be an http or https link, not `ftp://x.y`.",
    ),
    ("deploy api fix url=example.com", "deploy", None),
    ("deploy api fix url=<mailto:a@b.c|a@b.c>", "deploy", None),
    ("deploy api fix url=<#C1|general>", "deploy", None),
    (
        'deploy api "fix it',
        "deploy",
        'The quote `"` is never closed (a closing quote must end a word).',
    ),
    ("deploy api “fix it", "deploy", None),
    ("deploy api ‘fix it", "deploy", None),
    ('deploy api "fix"it', "deploy", None),
    ("event url=https://x.y", "event", "`event` needs a service tag first."),
    ("event api x url=nope", "event", None),
    ("event api x env=prod", "event", "Unknown option `env=`; `event` understands type, url."),
    ("service", "service", "`service` needs a service tag or name."),
    ('""', "service", "`service` needs a service tag or name."),
    ("service api env=prod", "service", "`service` takes no options, so `env=` is not understood."),
    ("api env=prod", "service", None),
    ("env=prod", "service", "Start with a subcommand or a service tag, not the option `env=`."),
    ('"api', "service", None),
    ("search", "search", "`search` needs some words to look for."),
    ("search a=b", "search", None),
    ("deploys", "deploys", "`deploys` needs a service tag."),
    ("oncall", "oncall", "`oncall` needs a service tag."),
    ("oncall a b", "oncall", "`oncall` takes one service tag, not `a b`."),
    ("oncall a env=prod", "oncall", None),
    ("connect now", "connect", "`connect` takes nothing after it."),
    ("disconnect x", "disconnect", None),
    ("incident payments", "incident", None),
    ("sync now", "sync", "`sync` takes one of dry-run, status, auto, fields, not `now`."),
    ("sync dry-run please", "sync", "`sync dry-run` takes nothing after it."),
    ("sync auto", "sync", "`sync auto` needs one of off, hourly, daily."),
    ("sync auto weekly", "sync", "`sync auto` takes one of off, hourly, daily, not `weekly`."),
    ("sync auto daily x", "sync", None),
    ("sync force=true", "sync", None),
    ("digest", "digest", "`digest` needs one of daily, weekly, list, off, now."),
    ("digest group=x", "digest", None),
    (
        "digest monthly",
        "digest",
        "`digest` takes one of daily, weekly, list, off, now, not `monthly`.",
    ),
    ("digest list all", "digest", "`digest list` takes nothing after it."),
    ("digest daily at", "digest", "`at` needs a time as HH:MM."),
    ("digest daily at 24:00", "digest", "`at` needs a 24-hour time as HH:MM, not `24:00`."),
    ("digest daily at 9:5", "digest", None),
    ("digest daily at noon", "digest", None),
    ("digest daily at ９:００", "digest", None),
    ("digest daily at 9:00 sharp", "digest", None),
    ("digest daily tomorrow", "digest", "`digest` does not understand `tomorrow`."),
    (
        "digest daily at=9:00",
        "digest",
        "Unknown option `at=`; `digest` understands group, owner, env, on.",
    ),
    ("digest daily on=mon", "digest", "The option `on=` only applies to weekly digests."),
    (
        "digest weekly on=someday",
        "digest",
        "The option `on=` needs a day of the week (mon to sun), not `someday`.",
    ),
    ("digest weekly on=mo", "digest", None),
]


@pytest.mark.parametrize(("text", "subcommand", "message"), ERRORS)
def test_errors_say_what_is_wrong_and_show_the_usage(
    text: str, subcommand: str, message: str | None
) -> None:
    result = parse_command(text)

    assert isinstance(result, ParseError)
    assert result.usage == usage(subcommand)
    assert result.suggestion is None
    if message is not None:
        assert result.message == message


@pytest.mark.parametrize(
    ("word", "subcommand"),
    [("serach", "search"), ("serch", "search"), ("deplyo", "deploy"), ("oncal", "oncall")],
)
def test_a_mistyped_subcommand_is_still_looked_up_but_flagged(word: str, subcommand: str) -> None:
    assert parse_command(f"{word} payments") == ServiceLookup(f"{word} payments", subcommand)


@pytest.mark.parametrize("word", ["payments-api", "report", "sink", "h", "ledger"])
def test_an_ordinary_tag_is_not_flagged(word: str) -> None:
    assert parse_command(word) == ServiceLookup(word)


def test_a_mistyped_subcommand_that_cannot_be_a_service_is_an_error_with_a_suggestion() -> None:
    assert parse_command("deplyo api fix env=prod") == ParseError(
        message="Unknown subcommand `deplyo`.", usage=usage("deploy"), suggestion="deploy"
    )


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_subcommand_is_recognised_whatever_its_case(name: str) -> None:
    lower, upper = parse_command(name), parse_command(name.upper())

    assert lower == upper
    assert not isinstance(lower, ServiceLookup) or name == "service"


def test_usage_lines_cover_every_subcommand_and_lead_unknown_names_to_help() -> None:
    assert all(line.startswith(name) for name, line in SUBCOMMANDS.items())
    listed = [line.synopsis for line in COMMANDS.listing("/svc").lines]
    assert "/svc <tag or name>" in listed  # the shorthand, as people type it
    assert {line.split()[1] for line in listed} - {"<tag"} == set(SUBCOMMANDS) - {"help", "service"}
    assert not any("[" in line for line in listed)  # options are for the usage with a mistake
    assert usage("DEPLOY") == SUBCOMMANDS["deploy"]
    assert usage("nonsense") == SUBCOMMANDS["help"]
    assert "[type=DEPLOY|ROLLBACK|SCALE|RESTART]" in usage("deploy")
    assert "[on=mon..sun]" in usage("digest")


COMMAND_TYPES = Command | ParseError


def assert_well_formed(result: Command | ParseError) -> None:
    assert isinstance(result, COMMAND_TYPES)
    if isinstance(result, ParseError):
        assert result.message
        assert "\n" not in result.message
        assert result.usage in SUBCOMMANDS.values()
        assert result.suggestion is None or result.suggestion in SUBCOMMANDS


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "deploy\x00api\x00",
        "deploy api " + "x " * 200_000,
        '"' * 1_000_000,
        '"a ' * 200_000,
        "<" * 1_000_000,
        "<a " * 200_000,
        "a=" * 500_000,
        "deploy api url=" + "<" * 500_000,
        "𝔡𝔢𝔭𝔩𝔬𝔶 🚀 “ ‘",
    ],
)
def test_hostile_text_is_answered_not_raised(text: str) -> None:
    assert_well_formed(parse_command(text))


# --- Properties --------------------------------------------------------------------------------


@given(st.text())
def test_any_text_gives_a_command_or_an_error(text: str) -> None:
    assert_well_formed(parse_command(text))


# Pieces of the grammar, shuffled together, reach far deeper into the parser than random text.
FRAGMENTS = st.sampled_from(
    [
        *SUBCOMMANDS,
        *DEPLOY_TYPES,
        "at", "9:30", "auto", "dry-run", "hourly", "weekly", "on=mon", "group=g", "api",
        "on", "off", "status", "window=90m", "window=",
        "env=", "env=prod", "sha=abc1234", "type=", "url=", "url=<https://x.y|x.y>", "=",
        '"', "“", "”", "'", "‘", "’", "<", ">", "<#C1|c>", "<@U1>", "&amp;", "&lt;", "\x00",
    ]
)  # fmt: skip


@given(st.lists(FRAGMENTS), st.sampled_from([" ", "", "\t", "\n"]))
def test_grammar_fragments_give_a_command_or_an_error(fragments: list[str], glue: str) -> None:
    assert_well_formed(parse_command(glue.join(fragments)))


# Characters a plain word can hold without meaning anything to the grammar.
WORD_CHARACTERS = st.characters(
    exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
    exclude_characters="\"'“”‘’<>&=",
)
WORDS = st.lists(st.text(WORD_CHARACTERS, min_size=1, max_size=12), min_size=1, max_size=5)
QUOTES = st.sampled_from([('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’")])
SEPARATORS = st.text(st.sampled_from(" \t\n\u00a0\u3000"), min_size=1, max_size=3)


@st.composite
def values(draw: st.DrawFn) -> tuple[str, str]:
    """One value as it may be typed (quoted when it holds spaces), and what it should read as."""
    words = draw(WORDS)
    if len(words) == 1 and draw(st.booleans()):
        return words[0], words[0]
    opening, closing = draw(QUOTES)
    return f"{opening}{' '.join(words)}{closing}", " ".join(words)


@st.composite
def titles(draw: st.DrawFn) -> tuple[list[str], str]:
    """A title as plain words or as one quoted value, and what it should read as."""
    if draw(st.booleans()):
        words = draw(WORDS)
        return words, " ".join(words)
    typed, meant = draw(values())
    return [typed], meant


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, str]:
    """A URL as Slack may send it, and the URL itself."""
    url = draw(
        st.from_regex(r"https?://[a-z0-9]+(\.[a-z0-9]+){0,2}(/[a-z0-9._~-]*){0,3}", fullmatch=True)
    )
    label = url.split("://", 1)[1]
    return draw(st.sampled_from([url, f"<{url}>", f"<{url}|{label}>"])), url


@st.composite
def deploy_types(draw: st.DrawFn) -> tuple[str, str]:
    """A deploy type in any case, and the type itself."""
    deploy_type = draw(st.sampled_from(DEPLOY_TYPES))
    return draw(st.sampled_from([str.lower, str.upper, str.title]))(deploy_type), deploy_type


SHAS = st.from_regex(r"[0-9a-fA-F]{7,40}", fullmatch=True).map(lambda sha: (sha, sha))


@st.composite
def deploy_commands(draw: st.DrawFn) -> tuple[str, RecordDeploy]:
    """A deploy command with options in any order and case among the title words, spaced in
    any way, and the deploy it should read as."""
    tag = draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True))
    title_words, title = draw(titles()) if draw(st.booleans()) else ([], None)
    options = {
        key: draw(st.none() | strategy)
        for key, strategy in [
            ("env", values()),
            ("sha", SHAS),
            ("type", deploy_types()),
            ("url", urls()),
        ]
    }
    tokens = list(title_words)
    for key, typed_and_meant in options.items():
        if typed_and_meant is not None:
            option = f"{draw(st.sampled_from([key, key.upper()]))}={typed_and_meant[0]}"
            tokens.insert(draw(st.integers(0, len(tokens))), option)
    words = ["deploy", tag, *tokens]
    separators = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    meant = {key: None if value is None else value[1] for key, value in options.items()}
    expected = RecordDeploy(
        tag=tag,
        title=title,
        environment=meant["env"],
        sha=meant["sha"],
        deploy_type=meant["type"],
        url=meant["url"],
    )
    return "".join(map(str.__add__, separators, words)), expected


@given(deploy_commands())
def test_generated_deploy_commands_read_back_their_values(
    command: tuple[str, RecordDeploy],
) -> None:
    text, expected = command

    assert parse_command(text) == expected
