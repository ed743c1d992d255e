"""The slash command's registry, and the one router every slash command goes through.

The command is `SLACK_COMMAND` (`/cortex` by default: a workspace that also runs Cortex's own Slack
app picks another), so usage lines are the words after it, and every text names the configured one.
Each subcommand is declared once, by its feature (the `SUBCOMMANDS` of each package): its name, its
usage, its parser, its handler, whether only admins may run it, and for help the task it serves
and one line of what it does. The router derives the rest from the registry: dispatch, help's
listing, the usage shown with a parse error, the "did you mean `/cortex sync`?" suggestion for a
mistyped subcommand, and the metrics label.

    Subcommand("oncall", "oncall <tag>", parse=parse_oncall, handle=oncall,
               task=Task.LOOK_UP, does="who is on call for a service now")

An empty command asks for help; text that starts with no subcommand goes to the one subcommand
declared with a `shorthand` parser (`/cortex <tag>` looks the service up).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from rapidfuzz.distance import DamerauLevenshtein
from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import Block

from bot.observability import COMMANDS
from handlers.common.acking import acked, admin_only
from handlers.common.context import Invocation
from handlers.common.kit import Message, section
from handlers.common.lexer import InvalidCommand, Word, shown, words
from handlers.common.mrkdwn import Mrkdwn, escaped

C = TypeVar("C")
HELP = "help"


class Task(StrEnum):
    """What people come to do, in the order help lists them; each subcommand serves one."""

    LOOK_UP = "Look up services"
    RECORD = "Record what changed"
    INCIDENTS = "Incidents"
    SYNC = "Keep Rootly in step"
    DIGESTS = "Digests in a channel"
    ADMIN = "Set up (admins)"


@dataclass(frozen=True)
class Subcommand(Generic[C]):
    name: str
    usage: str  # the words after the slash command, starting with the name
    parse: Callable[[Sequence[Word]], C]
    handle: Callable[[Invocation, C], Awaitable[None]]
    # What only admins may do, as the refusal says it ("disconnect Cortex"); None: everyone may.
    admin_only: str | None = None
    # Reads text that starts with no subcommand: every word, and the subcommand the first word may
    # be a slip of the finger for (so a failed lookup can offer it).
    shorthand: Callable[[Sequence[Word], str | None], C] | None = None
    # Where help lists it, and its one line there (mrkdwn: `code` reads as code); help has neither.
    task: Task | None = None
    does: str = ""


# An option in a usage (`[env=E]`): for the usage shown with a mistake, not for help's listing.
_OPTION = re.compile(r" \[[^\]]*\]")


@dataclass(frozen=True)
class HelpLine:
    """A subcommand as help lists it: its first form as typed, without options, and what it does."""

    task: Task
    synopsis: str
    does: str


@dataclass(frozen=True)
class Listing:
    """Every subcommand but help, in the registry's order: what help shows. A parser that answers
    an empty `Listing` has its handler given the registry's."""

    lines: tuple[HelpLine, ...] = ()


@dataclass(frozen=True)
class Parsed:
    subcommand: Subcommand[Any]
    value: Any


@dataclass(frozen=True)
class ParseError:
    """Why the text was not understood, the form to use instead, and maybe the subcommand meant."""

    message: str
    usage: str
    suggestion: str | None = None


class Commands:
    def __init__(self, subcommands: Sequence[Subcommand[Any]]) -> None:
        self.subcommands = {entry.name: entry for entry in subcommands}
        shorthands = [entry for entry in subcommands if entry.shorthand is not None]
        if HELP not in self.subcommands or len(shorthands) != 1:
            raise ValueError("the registry needs `help` and exactly one shorthand subcommand")
        unlisted = [e.name for e in subcommands if e.name != HELP and not (e.task and e.does)]
        if unlisted:
            raise ValueError(f"help needs a task and a line for {', '.join(unlisted)}")
        self._shorthand = shorthands[0]

    def register(self, app: AsyncApp, slash: str) -> None:
        app.command(slash)(acked(self.dispatch))

    def usage(self, name: str) -> str:
        """The usage of a subcommand; for a name that is none, the usage that leads to help."""
        entry = self.subcommands.get(name.lower()) or self.subcommands[HELP]
        return entry.usage

    def listing(self, slash: str) -> Listing:
        """Help's lines: each subcommand's first form, the shorthand's without its name."""
        lines = []
        for entry in self.subcommands.values():
            if entry.task is None:
                continue
            form = _OPTION.sub("", entry.usage.split(" / ")[0])
            if entry is self._shorthand:
                form = form.removeprefix(entry.name).strip()
            lines.append(HelpLine(entry.task, f"{slash} {form}", entry.does))
        return Listing(tuple(lines))

    def label(self, text: str) -> str:
        """The metrics label: the subcommand named first; anything else is the shorthand's."""
        first = text.split(maxsplit=1)[:1]
        word = first[0].lower() if first else HELP
        return word if word in self.subcommands else self._shorthand.name

    def parse(self, text: str) -> Parsed | ParseError:
        """Read the text Slack sends after `/cortex`; never raises, whatever the text."""
        read: list[Word] = []
        try:
            # Collected one at a time so that a quote left open further on is still reported with
            # the usage of the subcommand the text started with.
            for word in words(text):
                read.append(word)
            return self._interpret(read)
        except InvalidCommand as invalid:
            first = self._named(read[0]) if read else None
            meant = invalid.suggestion or first or self._shorthand.name
            return ParseError(invalid.message, self.usage(meant), invalid.suggestion)

    async def dispatch(self, invocation: Invocation) -> None:
        text = str(invocation.body.get("text", ""))
        outcome = "ok"
        try:
            await self._run(invocation, self.parse(text))
        except Exception as error:
            outcome = type(error).__name__
            raise
        finally:
            COMMANDS.labels(self.label(text), outcome).inc()

    async def _run(self, invocation: Invocation, parsed: Parsed | ParseError) -> None:
        slash = invocation.slash
        if isinstance(parsed, ParseError):
            blocks = parse_error_blocks(parsed, slash)
            await invocation.respond(Message(escaped(parsed.message), blocks))
            return
        entry, value = parsed.subcommand, parsed.value
        if isinstance(value, Listing):
            value = self.listing(slash)
        handle = (
            entry.handle if entry.admin_only is None else admin_only(entry.admin_only, entry.handle)
        )
        await handle(invocation, value)

    def _named(self, word: Word) -> str | None:
        if word.key is not None:
            return None
        name = word.text.lower()
        return name if name in self.subcommands else None

    def _interpret(self, read: Sequence[Word]) -> Parsed:
        if not read:
            return Parsed(self.subcommands[HELP], self.subcommands[HELP].parse(()))
        first, arguments = read[0], read[1:]
        if first.key is not None:
            raise InvalidCommand(
                f"Start with a subcommand or a service tag, not the option `{first.key}=`."
            )
        name = self._named(first)
        if name is None:
            return self._shorthand_of(read)
        entry = self.subcommands[name]
        return Parsed(entry, entry.parse(arguments))

    def _shorthand_of(self, read: Sequence[Word]) -> Parsed:
        """Text that starts with no subcommand: a first word one typo away from a subcommand is
        still read by the shorthand, because it may be real (a tag like `events`), but remembered;
        if the words cannot be read that way, the text is reported as that subcommand mistyped."""
        typo = self._mistyped(read[0].text)
        assert self._shorthand.shorthand is not None
        try:
            value = self._shorthand.shorthand(read, typo)
        except InvalidCommand:
            if typo is None:
                raise
            unknown = f"Unknown subcommand {shown(read[0].text)}."
            raise InvalidCommand(unknown, suggestion=typo) from None
        return Parsed(self._shorthand, value)

    def _mistyped(self, word: str) -> str | None:
        """The subcommand `word` is one slip of the finger from: a letter missing, extra, wrong, or
        two neighbours swapped (`serach`, `deplyo`, `oncal`). One edit is enough to catch typos;
        two would flag ordinary tags (`report` is two edits from `deploy`)."""
        distance, name = min(
            (DamerauLevenshtein.distance(word.lower(), name, score_cutoff=1), name)
            for name in self.subcommands
        )
        return name if distance == 1 else None


def parse_error_blocks(error: ParseError, slash: str) -> list[Block]:
    said = [escaped(error.message)]
    if error.suggestion:
        said.append(Mrkdwn("Did you mean `{} {}`?").format(slash, error.suggestion))
    said.append(Mrkdwn("Usage: `{} {}`").format(slash, error.usage))
    return [section(Mrkdwn("\n").join(said))]
