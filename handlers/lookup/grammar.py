"""The arguments of `/cortex service`, `search`, `deploys` and `oncall`, and of `/cortex <tag>`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.common.lexer import (
    InvalidCommand,
    Word,
    joined,
    joined_words,
    shown,
    split_options,
)


@dataclass(frozen=True)
class ServiceLookup:
    """Show the card of the service with this tag or name.

    `maybe_subcommand` is set when the text started with what may be a mistyped subcommand, so a
    failed lookup can ask "did you mean `/cortex search`?".
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
class Oncall:
    tag: str


def _service_query(arguments: Sequence[Word]) -> str:
    return joined_words("service", arguments, "`service` needs a service tag or name.")


def _single_tag(name: str, arguments: Sequence[Word]) -> str:
    plain, _ = split_options(name, arguments)
    if not plain or not plain[0].text:
        raise InvalidCommand(f"`{name}` needs a service tag.")
    if len(plain) > 1:
        raise InvalidCommand(f"`{name}` takes one service tag, not {shown(joined(plain))}.")
    return plain[0].text


def parse_service(arguments: Sequence[Word]) -> ServiceLookup:
    return ServiceLookup(_service_query(arguments))


def parse_shorthand(words: Sequence[Word], maybe_subcommand: str | None) -> ServiceLookup:
    """`/cortex <tag>`: any text that does not start with a subcommand names a service."""
    return ServiceLookup(_service_query(words), maybe_subcommand=maybe_subcommand)


def parse_search(arguments: Sequence[Word]) -> Search:
    return Search(joined_words("search", arguments, "`search` needs some words to look for."))


def parse_deploys(arguments: Sequence[Word]) -> Deploys:
    return Deploys(_single_tag("deploys", arguments))


def parse_oncall(arguments: Sequence[Word]) -> Oncall:
    return Oncall(_single_tag("oncall", arguments))
