"""Text Slack reads as markup (mrkdwn), built one safe way.

Slack reads `&`, `<` and `>` as markup in mrkdwn and in a message's top-level `text`: `<!channel>`
pings a channel, `<@U123>` a person, `<url|label>` is a link. A name from Cortex, a title from
Rootly or words a person typed must show as themselves, so every such text is a `Mrkdwn`: the
literal template a builder writes is trusted, and every value formatted, joined or added into it
is escaped, unless it is `Mrkdwn` already (MarkupSafe's `Markup`, with Slack's escaping).

    Mrkdwn("*{}* `{}`").format(entity.name, entity.tag)       # a name cannot ping anyone
    Mrkdwn("\\n").join(lines)                                  # each line escaped unless Mrkdwn
    link(deploy.url, deploy.title)                             # a link only to an http(s) URL

The blocks builders (`handlers.common.kit`) and the message senders take `Mrkdwn`, not `str`, so
mypy refuses text that was never escaped. Never write `Mrkdwn(f"…")`: that marks the values inside
the f-string as trusted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Self, overload

from markupsafe import Markup


class Mrkdwn(Markup):
    """Text safe to send where Slack parses mrkdwn."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Self:
        if isinstance(s, Mrkdwn):
            return cls(s)
        return cls(str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def escaped(text: object) -> Mrkdwn:
    """Any value shown as itself."""
    return Mrkdwn.escape(text)


# An http(s) URL Slack can hold inside `<…|…>`: no whitespace, and none of the characters that end
# a link or its label. One character class, so the check is linear on any input.
_LINKABLE = re.compile(r"https?://[^\s|<>]+", re.IGNORECASE)
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]+")


def link(url: str | None, label: object) -> Mrkdwn:
    """`label` linked to `url` when it is an http(s) URL Slack can hold; otherwise both as text."""
    if not url:
        return escaped(label)
    if _LINKABLE.fullmatch(url):
        return Mrkdwn("<{}|{}>").format(url, label)
    return Mrkdwn("{} ({})").format(label, url)


def mention(user_id: str) -> Mrkdwn:
    """A person, as Slack shows them (an ID that is not a Slack user ID shows as text)."""
    return Mrkdwn("<@{}>").format(user_id) if _USER_ID.fullmatch(user_id) else escaped(user_id)


def channel_link(channel_id: str) -> Mrkdwn:
    return (
        Mrkdwn("<#{}>").format(channel_id)
        if _CHANNEL_ID.fullmatch(channel_id)
        else escaped(channel_id)
    )


def moment(when: datetime) -> Mrkdwn:
    """A time Slack shows in each reader's own time zone."""
    return Mrkdwn("<!date^%d^{date_short_pretty} at {time}|%s>") % (
        int(when.timestamp()),
        utc_text(when),
    )


def utc_text(when: datetime) -> str:
    """A time written out in UTC, for where Slack does not show it in the reader's time zone."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def plural(count: int, noun: str) -> Mrkdwn:
    return Mrkdwn("{:,} {}{}").format(count, noun, "" if count == 1 else "s")


@overload
def cut(text: Mrkdwn, limit: int) -> Mrkdwn: ...
@overload
def cut(text: str, limit: int) -> str: ...
def cut(text: str, limit: int) -> str:
    """At most `limit` characters, marked with an ellipsis when cut. Mrkdwn is never cut inside
    an escape or a `<…>` (half a link or mention would show as raw markup)."""
    if len(text) <= limit:
        return text
    kept = str(text)[: limit - 1]
    if not isinstance(text, Mrkdwn):
        return kept.rstrip() + "…"
    opened = kept.rfind("<")
    if opened > kept.rfind(">"):
        kept = kept[:opened]
    ampersand = kept.rfind("&")
    if ampersand > kept.rfind(";"):
        kept = kept[:ampersand]
    return Mrkdwn(kept.rstrip() + "…")
