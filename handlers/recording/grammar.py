"""The arguments of `/cortex deploy` and `/cortex event`, and the checks the modals share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.cortex.models import DeployType
from handlers.common.lexer import InvalidCommand, Word, joined, option, pick, shown, split_options

DEPLOY_TYPES = tuple(DeployType)


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


# Cortex takes any string as a deploy's `sha` (short SHAs, build numbers, image digests are all
# real), so the only field checked here is the link, which must be one people can open.
# A host, then optionally a path, query or fragment. After the host only `/`, `?` or `#` may come,
# so the check is linear on any input (`[^\s/?#]+\S*` backtracked quadratically on long values).
_HTTP_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


def is_http_url(text: str) -> bool:
    return _HTTP_URL.fullmatch(text) is not None


def _deploy_type(word: Word) -> DeployType:
    return pick(word.text, DEPLOY_TYPES, "`type` must be")


def _url(word: Word) -> str:
    if not is_http_url(word.as_url):
        raise InvalidCommand(f"`url` must be an http or https link, not {shown(word.as_url)}.")
    return word.as_url


def _tag_title_options(
    name: str, arguments: Sequence[Word], known: Sequence[str]
) -> tuple[str | None, str | None, dict[str, Word]]:
    if not arguments:
        return None, None, {}
    if arguments[0].key is not None or not arguments[0].text:
        raise InvalidCommand(f"`{name}` needs a service tag first.")
    plain, options = split_options(name, arguments[1:], known)
    return arguments[0].text, joined(plain) or None, options


def parse_deploy(arguments: Sequence[Word]) -> RecordDeploy:
    tag, title, options = _tag_title_options("deploy", arguments, ("env", "sha", "type", "url"))
    deploy_type = options.get("type")
    return RecordDeploy(
        tag=tag,
        title=title,
        environment=option(options, "env"),
        sha=option(options, "sha"),
        deploy_type=None
        if deploy_type is None
        else pick(deploy_type.text, DEPLOY_TYPES, "`type` must be"),
        url=option(options, "url", _url),
    )


def parse_event(arguments: Sequence[Word]) -> RecordEvent:
    tag, title, options = _tag_title_options("event", arguments, ("type", "url"))
    return RecordEvent(
        tag=tag,
        title=title,
        event_type=option(options, "type"),
        url=option(options, "url", _url),
    )
