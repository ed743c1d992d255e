"""The grammar of the `/cortex` slash command: its text in, one small dataclass out.

Pure text → data, with nothing from Slack's SDK, so the listener, the help message and the tests
share one grammar. `parse_command` never raises: text it cannot understand comes back as a
`ParseError` holding one plain sentence about what is wrong and the usage line of the subcommand.

Words are separated by whitespace. A word that opens with a quote (straight, or the curly quotes
Slack clients send) runs to a matching quote that ends a word, so apostrophes (`don't`) need no
escaping. A word `key=value` is an option (key case-insensitive, value quotable) wherever it comes
after the service tag; a title holding `key=value` literally can be quoted. Slack sends links and
mentions as `<target|label>` and escapes `&`, `<`, `>`: words read as the person saw them (the
label), while `url=` takes the link's target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Literal, TypeAlias, TypeVar

from rapidfuzz.distance import DamerauLevenshtein

SyncAction = Literal["run", "dry-run", "status", "auto"]
SyncSchedule = Literal["off", "hourly", "daily"]
DigestAction = Literal["schedule", "list", "off", "now"]
DigestFrequency = Literal["daily", "weekly"]

DEPLOY_TYPES = ("DEPLOY", "ROLLBACK", "SCALE", "RESTART")
SYNC_SCHEDULES: tuple[SyncSchedule, ...] = ("off", "hourly", "daily")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# In the order of the product's command table, so the help message can list them as they are.
SUBCOMMANDS: dict[str, str] = {
    "help": "/cortex help",
    "connect": "/cortex connect",
    "disconnect": "/cortex disconnect",
    "service": "/cortex service <tag or name>  (or just /cortex <tag>)",
    "search": "/cortex search <words>",
    "deploys": "/cortex deploys <tag>",
    "deploy": (
        "/cortex deploy <tag> <title words> [env=E] [sha=S] "
        "[type=DEPLOY|ROLLBACK|SCALE|RESTART] [url=U]"
    ),
    "event": "/cortex event <tag> [<title words>] [type=T] [url=U]",
    "oncall": "/cortex oncall <tag>",
    "incident": "/cortex incident",
    "sync": "/cortex sync [dry-run] / sync status / sync auto off|hourly|daily",
    "digest": (
        "/cortex digest daily|weekly [at HH:MM] [group=G] [owner=TEAM] [on=mon..sun] "
        "/ digest list / digest off / digest now"
    ),
}


@dataclass(frozen=True)
class Help:
    """What the bot can do, with examples."""


@dataclass(frozen=True)
class Connect:
    """Open the modal that stores this workspace's API keys."""


@dataclass(frozen=True)
class Disconnect:
    """Forget this workspace's API keys, after confirmation."""


@dataclass(frozen=True)
class ServiceLookup:
    """Show the card of the service with this tag or name.

    `maybe_subcommand` is set when the text started with what may be a mistyped subcommand (see
    `_mistyped_subcommand`), so a failed lookup can ask "did you mean `/cortex search`?".
    """

    query: str
    maybe_subcommand: str | None = None


@dataclass(frozen=True)
class Search:
    words: str


@dataclass(frozen=True)
class Deploys:
    tag: str


@dataclass(frozen=True)
class RecordDeploy:
    """Every part is optional: a modal prefilled with the rest asks for whatever is missing."""

    tag: str | None = None
    title: str | None = None
    environment: str | None = None
    sha: str | None = None
    deploy_type: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class RecordEvent:
    """Every part is optional: a modal prefilled with the rest asks for whatever is missing."""

    tag: str | None = None
    title: str | None = None
    event_type: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Oncall:
    tag: str


@dataclass(frozen=True)
class Incident:
    """Open the incident modal."""


@dataclass(frozen=True)
class Sync:
    action: SyncAction
    schedule: SyncSchedule | None = None


@dataclass(frozen=True)
class Digest:
    """`weekday` counts from 0 for Monday, like `datetime.date.weekday()`."""

    action: DigestAction
    frequency: DigestFrequency | None = None
    at: time | None = None
    group: str | None = None
    owner: str | None = None
    weekday: int | None = None


Command: TypeAlias = (
    Help
    | Connect
    | Disconnect
    | ServiceLookup
    | Search
    | Deploys
    | RecordDeploy
    | RecordEvent
    | Oncall
    | Incident
    | Sync
    | Digest
)


@dataclass(frozen=True)
class ParseError:
    """Why the text was not understood, the form to use instead, and maybe the subcommand meant."""

    message: str
    usage: str
    suggestion: str | None = None


def usage(subcommand: str) -> str:
    """The usage line of a subcommand; for a name that is none, the line that leads to help."""
    return SUBCOMMANDS.get(subcommand.lower(), SUBCOMMANDS["help"])


def parse_command(text: str) -> Command | ParseError:
    """Read the text Slack sends after `/cortex`; never raises, whatever the text."""
    words: list[_Word] = []
    try:
        # Collected one at a time so that a quote left open further on is still reported with
        # the usage of the subcommand the text started with.
        for word in _words(text):
            words.append(word)
        return _interpret(words)
    except _Invalid as invalid:
        meant = invalid.suggestion or _subcommand_named(words[0] if words else None) or "service"
        return ParseError(invalid.message, usage(meant), invalid.suggestion)


class _Invalid(Exception):
    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


# --- Words -----------------------------------------------------------------------------------

_QUOTE_FAMILIES = ('"\u201c\u201d', "'\u2018\u2019")  # straight and curly, double then single
# A closing quote must end its word, so an apostrophe inside a quoted title does not close it.
_CLOSING_QUOTE = {
    opening: re.compile(f"[{family}](?=\\s|\\Z)")
    for family in _QUOTE_FAMILIES
    for opening in family
}
_OPTION_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)=")
_SLACK_LINK = re.compile(r"<([^<>]*)>")
# A Slack link is one piece even when its label holds spaces; a `<` that opens none is a character.
_UNQUOTED_VALUE = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")
_SLACK_ESCAPE = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
# `<#C123|general>` reads as #general, `<@U123>` as @U123, `<!here>` as @here.
_MENTION_SIGILS = {"#": "#", "@": "@", "!": "@"}


@dataclass(frozen=True)
class _Word:
    text: str
    key: str | None = None
    link: str | None = None

    @property
    def as_url(self) -> str:
        return self.link or self.text


def _words(text: str) -> Iterator[_Word]:
    position = _skip_whitespace(text, 0)
    while position < len(text):
        word, position = _read_word(text, position)
        yield word
        position = _skip_whitespace(text, position)


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _read_word(text: str, start: int) -> tuple[_Word, int]:
    key: str | None = None
    if option := _OPTION_KEY.match(text, start):
        key, start = option.group(1).lower(), option.end()
    if start < len(text) and text[start] in _CLOSING_QUOTE:
        raw, end = _read_quoted(text, start)
    else:
        unquoted = _UNQUOTED_VALUE.match(text, start)
        # Nothing matches only right after a `key=` that has no value.
        raw, end = (unquoted.group(), unquoted.end()) if unquoted else ("", start)
    return _Word(text=_as_seen(raw), key=key, link=_link_target(raw)), end


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    opening = text[start]
    closing = _CLOSING_QUOTE[opening].search(text, start + 1)
    if closing is None:
        quote = _shown(opening)
        raise _Invalid(f"The quote {quote} is never closed (a closing quote must end a word).")
    return text[start + 1 : closing.start()].strip(), closing.end()


def _as_seen(raw: str) -> str:
    """The text as the Slack client showed it: links by their label, escapes undone."""
    return _unescape(_SLACK_LINK.sub(lambda link: _link_label(link.group(1)), raw))


def _link_label(inside: str) -> str:
    target, _, label = inside.partition("|")
    sigil = _MENTION_SIGILS.get(target[:1])
    if sigil is None:
        return label or target
    return sigil + (label or target[1:]).removeprefix(sigil)


def _link_target(raw: str) -> str | None:
    """The address of a value that is exactly one Slack link to a URL."""
    link = _SLACK_LINK.fullmatch(raw)
    if link is None:
        return None
    target = link.group(1).partition("|")[0]
    return None if target[:1] in _MENTION_SIGILS else _unescape(target)


def _unescape(text: str) -> str:
    # One pass, so `&amp;lt;` (a person typing "&lt;") stays "&lt;".
    return _SLACK_ESCAPE.sub(lambda escape: _UNESCAPED[escape.group(1)], text)


def _shown(value: str) -> str:
    """A value echoed in a message: on one line, short, and unable to break Slack's code span."""
    flat = " ".join(value.replace("`", "'").split())
    return f"`{flat[:40]}…`" if len(flat) > 40 else f"`{flat}`"


# --- Subcommands -----------------------------------------------------------------------------

Parser: TypeAlias = Callable[[Sequence[_Word]], Command]


def _subcommand_named(word: _Word | None) -> str | None:
    if word is None or word.key is not None:
        return None
    name = word.text.lower()
    return name if name in SUBCOMMANDS else None


def _interpret(words: Sequence[_Word]) -> Command:
    if not words:
        return Help()
    first, arguments = words[0], words[1:]
    if first.key is not None:
        raise _Invalid(f"Start with a subcommand or a service tag, not the option `{first.key}=`.")
    name = _subcommand_named(first)
    if name is None:
        return _shorthand_lookup(words)
    return _PARSERS[name](arguments)


def _shorthand_lookup(words: Sequence[_Word]) -> ServiceLookup:
    """`/cortex <tag>`: any text that does not start with a subcommand names a service.

    A first word one typo away from a subcommand is still looked up, because it may be a real tag
    (`events`, `digests`...), but it is remembered so the caller can offer the subcommand when the
    lookup fails. If the words could not name a service anyway (they hold an option), the text is
    reported as that subcommand mistyped.
    """
    typo = _mistyped_subcommand(words[0].text)
    try:
        query = _service_query(words)
    except _Invalid:
        if typo is None:
            raise
        raise _Invalid(f"Unknown subcommand {_shown(words[0].text)}.", suggestion=typo) from None
    return ServiceLookup(query=query, maybe_subcommand=typo)


def _mistyped_subcommand(word: str) -> str | None:
    """The subcommand `word` is one slip of the finger from: a letter missing, extra, wrong, or
    two neighbours swapped (`serach`, `deplyo`, `oncal`). One edit is enough to catch typos; two
    would flag ordinary tags (`report` is two edits from `deploy`)."""
    distance, name = min(
        (DamerauLevenshtein.distance(word.lower(), name, score_cutoff=1), name)
        for name in SUBCOMMANDS
    )
    return name if distance == 1 else None


def _takes_nothing(name: str, command: Command) -> Parser:
    def parse(arguments: Sequence[_Word]) -> Command:
        _expect_nothing(name, arguments)
        return command

    return parse


def _expect_nothing(name: str, arguments: Sequence[_Word]) -> None:
    if arguments:
        raise _Invalid(f"`{name}` takes nothing after it.")


def _split_options(
    name: str, arguments: Sequence[_Word], known: Sequence[str] = ()
) -> tuple[list[_Word], dict[str, _Word]]:
    """The plain words in order, and the options by key, each known, given once, with a value."""
    plain: list[_Word] = []
    options: dict[str, _Word] = {}
    for word in arguments:
        if word.key is None:
            plain.append(word)
        elif word.key not in known:
            raise _Invalid(_unknown_option(name, word.key, known))
        elif word.key in options:
            raise _Invalid(f"The option `{word.key}=` is given more than once.")
        elif not word.text:
            raise _Invalid(f"The option `{word.key}=` needs a value.")
        else:
            options[word.key] = word
    return plain, options


def _unknown_option(name: str, key: str, known: Sequence[str]) -> str:
    if not known:
        return f"`{name}` takes no options, so `{key}=` is not understood."
    return f"Unknown option `{key}=`; `{name}` understands {', '.join(known)}."


def _joined(words: Sequence[_Word]) -> str:
    return " ".join(word.text for word in words if word.text)


def _joined_words(name: str, arguments: Sequence[_Word], missing: str) -> str:
    plain, _ = _split_options(name, arguments)
    if not (joined := _joined(plain)):
        raise _Invalid(missing)
    return joined


def _service_query(arguments: Sequence[_Word]) -> str:
    return _joined_words("service", arguments, "`service` needs a service tag or name.")


def _single_tag(name: str, arguments: Sequence[_Word]) -> str:
    plain, _ = _split_options(name, arguments)
    if not plain or not plain[0].text:
        raise _Invalid(f"`{name}` needs a service tag.")
    if len(plain) > 1:
        raise _Invalid(f"`{name}` takes one service tag, not {_shown(_joined(plain))}.")
    return plain[0].text


def _tag_title_options(
    name: str, arguments: Sequence[_Word], known: Sequence[str]
) -> tuple[str | None, str | None, dict[str, _Word]]:
    if not arguments:
        return None, None, {}
    if arguments[0].key is not None or not arguments[0].text:
        raise _Invalid(f"`{name}` needs a service tag first.")
    plain, options = _split_options(name, arguments[1:], known)
    return arguments[0].text, _joined(plain) or None, options


_Choice = TypeVar("_Choice", bound=str)


def _pick(word: str, choices: Sequence[_Choice], lead: str) -> _Choice:
    """The choice `word` names, whatever its case; `lead` starts the message when it names none."""
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    raise _Invalid(f"{lead} one of {', '.join(choices)}, not {_shown(word)}.")


_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)


def is_sha(text: str) -> bool:
    """A commit SHA as Cortex takes it: 7 to 40 hexadecimal characters (the modals check it too)."""
    return _SHA.fullmatch(text) is not None


def is_http_url(text: str) -> bool:
    return _HTTP_URL.fullmatch(text) is not None


def _as_given(word: _Word) -> str:
    return word.text


def _option(
    options: Mapping[str, _Word], key: str, check: Callable[[_Word], str] = _as_given
) -> str | None:
    word = options.get(key)
    return None if word is None else check(word)


def _sha(word: _Word) -> str:
    if not is_sha(word.text):
        raise _Invalid(f"`sha` must be 7 to 40 hexadecimal characters, not {_shown(word.text)}.")
    return word.text


def _deploy_type(word: _Word) -> str:
    return _pick(word.text, DEPLOY_TYPES, "`type` must be")


def _url(word: _Word) -> str:
    if not is_http_url(word.as_url):
        raise _Invalid(f"`url` must be an http or https link, not {_shown(word.as_url)}.")
    return word.as_url


def _parse_deploy(arguments: Sequence[_Word]) -> RecordDeploy:
    tag, title, options = _tag_title_options("deploy", arguments, ("env", "sha", "type", "url"))
    return RecordDeploy(
        tag=tag,
        title=title,
        environment=_option(options, "env"),
        sha=_option(options, "sha", _sha),
        deploy_type=_option(options, "type", _deploy_type),
        url=_option(options, "url", _url),
    )


def _parse_event(arguments: Sequence[_Word]) -> RecordEvent:
    tag, title, options = _tag_title_options("event", arguments, ("type", "url"))
    return RecordEvent(
        tag=tag,
        title=title,
        event_type=_option(options, "type"),
        url=_option(options, "url", _url),
    )


# A plain `sync` runs; these are the words that may follow it.
_SYNC_WORDS: tuple[SyncAction, ...] = ("dry-run", "status", "auto")


def _parse_sync(arguments: Sequence[_Word]) -> Sync:
    plain, _ = _split_options("sync", arguments)
    if not plain:
        return Sync(action="run")
    action = _pick(plain[0].text, _SYNC_WORDS, "`sync` takes")
    if action != "auto":
        _expect_nothing(f"sync {action}", plain[1:])
        return Sync(action=action)
    if len(plain) == 1:
        raise _Invalid(f"`sync auto` needs one of {', '.join(SYNC_SCHEDULES)}.")
    schedule = _pick(plain[1].text, SYNC_SCHEDULES, "`sync auto` takes")
    _expect_nothing(f"sync auto {schedule}", plain[2:])
    return Sync(action="auto", schedule=schedule)


# What the word after `digest` means: an action, and for a schedule its frequency.
_DIGEST_WORDS: dict[str, tuple[DigestAction, DigestFrequency | None]] = {
    "daily": ("schedule", "daily"),
    "weekly": ("schedule", "weekly"),
    "list": ("list", None),
    "off": ("off", None),
    "now": ("now", None),
}
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def _parse_digest(arguments: Sequence[_Word]) -> Digest:
    if not arguments or arguments[0].key is not None:
        raise _Invalid(f"`digest` needs one of {', '.join(_DIGEST_WORDS)}.")
    word = _pick(arguments[0].text, tuple(_DIGEST_WORDS), "`digest` takes")
    action, frequency = _DIGEST_WORDS[word]
    if frequency is None:
        _expect_nothing(f"digest {word}", arguments[1:])
        return Digest(action=action)
    plain, options = _split_options("digest", arguments[1:], ("group", "owner", "on"))
    weekday = _option(options, "on")
    if weekday is not None and frequency == "daily":
        raise _Invalid("The option `on=` only applies to weekly digests.")
    return Digest(
        action=action,
        frequency=frequency,
        at=_digest_time(plain),
        group=_option(options, "group"),
        owner=_option(options, "owner"),
        weekday=None if weekday is None else _weekday(weekday),
    )


def _digest_time(plain: Sequence[_Word]) -> time | None:
    """The optional `at HH:MM`, the only plain words a digest schedule takes."""
    if not plain:
        return None
    if plain[0].text.lower() != "at":
        raise _Invalid(f"`digest` does not understand {_shown(_joined(plain))}.")
    if len(plain) == 1:
        raise _Invalid("`at` needs a time as HH:MM.")
    _expect_nothing(f"at {plain[1].text}", plain[2:])
    clock = _TIME.fullmatch(plain[1].text)
    if clock is None:
        raise _Invalid(f"`at` needs a 24-hour time as HH:MM, not {_shown(plain[1].text)}.")
    return time(hour=int(clock.group(1)), minute=int(clock.group(2)))


def _weekday(day: str) -> int:
    for number, name in enumerate(WEEKDAYS):
        if day.lower() in (name, name[:3]):
            return number
    raise _Invalid(f"The option `on=` needs a day of the week (mon to sun), not {_shown(day)}.")


_PARSERS: dict[str, Parser] = {
    # Whatever follows, the person asked for help, so help is what they get.
    "help": lambda _arguments: Help(),
    "connect": _takes_nothing("connect", Connect()),
    "disconnect": _takes_nothing("disconnect", Disconnect()),
    "service": lambda arguments: ServiceLookup(_service_query(arguments)),
    "search": lambda arguments: Search(
        _joined_words("search", arguments, "`search` needs some words to look for.")
    ),
    "deploys": lambda arguments: Deploys(_single_tag("deploys", arguments)),
    "deploy": _parse_deploy,
    "event": _parse_event,
    "oncall": lambda arguments: Oncall(_single_tag("oncall", arguments)),
    "incident": _takes_nothing("incident", Incident()),
    "sync": _parse_sync,
    "digest": _parse_digest,
}
