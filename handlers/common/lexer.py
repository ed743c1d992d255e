"""The words of a `/cortex` command's text, and the small readers every subcommand's grammar uses.

Pure text → data, with nothing from Slack's SDK. Words are separated by whitespace. A word that
opens with a quote (straight, or the curly quotes Slack clients send) runs to a matching quote that
ends a word, so apostrophes (`don't`) need no escaping. A word `key=value` is an option (key
case-insensitive, value quotable); a title holding `key=value` literally can be quoted. Slack sends
links and mentions as `<target|label>` and escapes `&`, `<`, `>`: words read as the person saw them
(the label), while `as_url` takes the link's target.

A grammar that cannot read its words raises `InvalidCommand` with one plain sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Choice = TypeVar("Choice", bound=str)


class InvalidCommand(Exception):
    """Why the words were not understood, and maybe the subcommand they were meant for."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


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
class Word:
    text: str
    key: str | None = None
    link: str | None = None
    # What a value that is exactly one Slack mention names: `#C123`, `@U123`, `!here`.
    mention: str | None = None

    @property
    def as_url(self) -> str:
        return self.link or self.text


def words(text: str) -> Iterator[Word]:
    """The words of `text`, one at a time (a quote left open raises when it is reached)."""
    position = _skip_whitespace(text, 0)
    while position < len(text):
        word, position = _read_word(text, position)
        yield word
        position = _skip_whitespace(text, position)


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _read_word(text: str, start: int) -> tuple[Word, int]:
    key: str | None = None
    if option := _OPTION_KEY.match(text, start):
        key, start = option.group(1).lower(), option.end()
    if start < len(text) and text[start] in _CLOSING_QUOTE:
        raw, end = _read_quoted(text, start)
    else:
        unquoted = _UNQUOTED_VALUE.match(text, start)
        # Nothing matches only right after a `key=` that has no value.
        raw, end = (unquoted.group(), unquoted.end()) if unquoted else ("", start)
    return Word(text=_as_seen(raw), key=key, link=_link_target(raw), mention=_mention(raw)), end


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    opening = text[start]
    closing = _CLOSING_QUOTE[opening].search(text, start + 1)
    if closing is None:
        quote = shown(opening)
        raise InvalidCommand(
            f"The quote {quote} is never closed (a closing quote must end a word)."
        )
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


def _mention(raw: str) -> str | None:
    link = _SLACK_LINK.fullmatch(raw)
    target = link.group(1).partition("|")[0] if link else ""
    return target if target[:1] in _MENTION_SIGILS else None


def _unescape(text: str) -> str:
    # One pass, so `&amp;lt;` (a person typing "&lt;") stays "&lt;".
    return _SLACK_ESCAPE.sub(lambda escape: _UNESCAPED[escape.group(1)], text)


def shown(value: str) -> str:
    """A value echoed in a message: on one line, short, and unable to break Slack's code span."""
    flat = " ".join(value.replace("`", "'").split())
    return f"`{flat[:40]}…`" if len(flat) > 40 else f"`{flat}`"


# --- Readers the grammars share ------------------------------------------------------------------


def expect_nothing(name: str, arguments: Sequence[Word]) -> None:
    if arguments:
        raise InvalidCommand(f"`{name}` takes nothing after it.")


def takes_nothing(name: str, command: T) -> Callable[[Sequence[Word]], T]:
    """The parser of a subcommand that takes no arguments."""

    def parse(arguments: Sequence[Word]) -> T:
        expect_nothing(name, arguments)
        return command

    return parse


def split_options(
    name: str, arguments: Sequence[Word], known: Sequence[str] = ()
) -> tuple[list[Word], dict[str, Word]]:
    """The plain words in order, and the options by key, each known, given once, with a value."""
    plain: list[Word] = []
    options: dict[str, Word] = {}
    for word in arguments:
        if word.key is None:
            plain.append(word)
        elif word.key not in known:
            raise InvalidCommand(_unknown_option(name, word.key, known))
        elif word.key in options:
            raise InvalidCommand(f"The option `{word.key}=` is given more than once.")
        elif not word.text:
            raise InvalidCommand(f"The option `{word.key}=` needs a value.")
        else:
            options[word.key] = word
    return plain, options


def _unknown_option(name: str, key: str, known: Sequence[str]) -> str:
    if not known:
        return f"`{name}` takes no options, so `{key}=` is not understood."
    return f"Unknown option `{key}=`; `{name}` understands {', '.join(known)}."


def joined(words: Sequence[Word]) -> str:
    return " ".join(word.text for word in words if word.text)


def joined_words(name: str, arguments: Sequence[Word], missing: str) -> str:
    """The plain words of a subcommand that takes free text (a name, search words) and no
    options; `missing` is what to say when there are none."""
    plain, _ = split_options(name, arguments)
    if not (text := joined(plain)):
        raise InvalidCommand(missing)
    return text


def pick(word: str, choices: Sequence[Choice], lead: str) -> Choice:
    """The choice `word` names, whatever its case; `lead` starts the message when it names none."""
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    raise InvalidCommand(f"{lead} one of {', '.join(choices)}, not {shown(word)}.")


def _as_given(word: Word) -> str:
    return word.text


def option(
    options: Mapping[str, Word], key: str, check: Callable[[Word], str] = _as_given
) -> str | None:
    word = options.get(key)
    return None if word is None else check(word)
