"""What Slack would refuse or misread in what the bot sends: the fake Slack runs every message, view
and options answer through `problems`, and a test fails on any (see `FakeSlack.violations`).

Refused: Block Kit over its limits (written out here from Slack's reference pages and reports, not
taken from the bot's own constants), blank plain text. Misread: mrkdwn or a top-level `text` where
a `<…>` is anything but a user or channel mention, a date, or a link to an http(s) URL, and where a
`&` starts no escape: that is text from Cortex, Rootly or a person that reached Slack unescaped
(`<!channel>` would ping a whole channel).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

LIMITS = {
    "message blocks": 50,
    "view blocks": 100,
    "view title": 24,
    "header": 150,
    "section text": 3000,
    "section fields": 10,
    "field": 2000,
    "context elements": 10,
    "actions elements": 25,
    "button text": 75,
    "button value": 2000,
    "button url": 3000,
    "options": 100,
    "option text": 75,
    "option value": 150,
    "label": 2000,
    "hint": 2000,
    "placeholder": 150,
    "confirm title": 100,
    "confirm text": 300,
    "confirm button": 30,
    "message text": 40_000,
    # Not on Slack's pages: it refuses a message whose blocks hold too much text altogether
    # (`msg_blocks_too_long`), "12,000 text characters with a buffer for block containers" said
    # its staff (bolt-js #2509, #2867), and one message was refused at 11,341: so the fake
    # refuses above 11,000 characters of text.
    "message blocks text": 11_000,
}
# Slack's answer to such a message.
BLOCKS_TOO_LONG = "msg_blocks_too_long"

# The markup the bot may write: a user or channel mention, a date, an http(s) link.
_ALLOWED_MARKUP = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#[CDG][A-Z0-9]+|!date\^\d+\^[^|<>]*\|[^<>]*"
    r"|https?://[^\s|<>]+(?:\|[^<>]*)?)>"
)
_ESCAPE = re.compile(r"&(?:amp|lt|gt);")


def mrkdwn_problems(where: str, text: str) -> list[str]:
    """Markup Slack would act on that the bot did not mean to write."""
    rest = _ALLOWED_MARKUP.sub("", text)
    rest = _ESCAPE.sub("", rest)
    found = [mark for mark in ("<", ">", "&") if mark in rest]
    return [f"{where}: unescaped {', '.join(found)} in {text[:200]!r}"] if found else []


def _over(where: str, what: str, size: int) -> list[str]:
    allowed = LIMITS[what]
    return [f"{where}: {what} of {size}, Slack allows {allowed}"] if size > allowed else []


def _plain(where: str, what: str, text_object: Any) -> list[str]:
    text = (text_object or {}).get("text", "")
    if not text.strip():
        return [f"{where}: blank {what}"]
    return _over(where, what, len(text))


def _text(where: str, what: str, text_object: Any) -> list[str]:
    """A text object: plain (limits) or mrkdwn (limits and escaping)."""
    if not text_object:
        return []
    problems = _plain(where, what, text_object)
    if text_object.get("type") == "mrkdwn":
        problems += mrkdwn_problems(f"{where} {what}", text_object.get("text", ""))
    return problems


def _option(where: str, option: dict[str, Any]) -> list[str]:
    return [
        *_plain(where, "option text", option.get("text")),
        *_over(where, "option value", len(option.get("value", ""))),
    ]


def options_problems(where: str, options: list[dict[str, Any]]) -> list[str]:
    problems = _over(where, "options", len(options))
    for option in options:
        problems += _option(where, option)
    return problems


def _element(where: str, element: dict[str, Any]) -> Iterator[str]:
    kind = element.get("type")
    if kind == "button":
        yield from _plain(where, "button text", element.get("text"))
        yield from _over(where, "button value", len(element.get("value") or ""))
        yield from _over(where, "button url", len(element.get("url") or ""))
        if element.get("confirm"):
            yield from _confirm(where, element["confirm"])
    if "placeholder" in element:
        yield from _plain(where, "placeholder", element["placeholder"])
    if "options" in element:
        yield from options_problems(where, element["options"])
    for chosen in [element.get("initial_option"), *(element.get("initial_options") or ())]:
        if chosen:
            yield from _option(where, chosen)
    initial, longest = element.get("initial_value"), element.get("max_length")
    if isinstance(initial, str) and longest is not None and len(initial) > longest:
        yield f"{where}: initial value of {len(initial)} over its max_length {longest}"


def _confirm(where: str, confirm: dict[str, Any]) -> Iterator[str]:
    yield from _plain(where, "confirm title", confirm.get("title"))
    yield from _text(where, "confirm text", confirm.get("text"))
    for button in ("confirm", "deny"):
        yield from _plain(where, "confirm button", confirm.get(button))


def _block(where: str, block: dict[str, Any]) -> Iterator[str]:
    kind = block.get("type")
    where = f"{where} {kind}"
    if kind == "header":
        yield from _plain(where, "header", block.get("text"))
    elif kind == "section":
        yield from _text(where, "section text", block.get("text"))
        fields = block.get("fields") or []
        yield from _over(where, "section fields", len(fields))
        for field in fields:
            yield from _text(where, "field", field)
        if not block.get("text") and not fields:
            yield f"{where}: neither text nor fields"
        if block.get("accessory"):
            yield from _element(where, block["accessory"])
    elif kind == "context":
        elements = block.get("elements") or []
        yield from _over(where, "context elements", len(elements))
        for element in elements:
            yield from _text(where, "section text", element)
    elif kind == "actions":
        elements = block.get("elements") or []
        yield from _over(where, "actions elements", len(elements))
        for element in elements:
            yield from _element(where, element)
    elif kind == "input":
        yield from _plain(where, "label", block.get("label"))
        if block.get("hint"):
            yield from _plain(where, "hint", block["hint"])
        yield from _element(where, block.get("element") or {})


def blocks_problems(where: str, blocks: list[dict[str, Any]], limit: str) -> list[str]:
    problems = _over(where, limit, len(blocks))
    for block in blocks:
        problems += _block(where, block)
    return problems


def _text_length(part: Any) -> int:
    """The characters of every text in a part of a payload (texts of texts objects, of buttons,
    of options...), as Slack counts a message's blocks."""
    if isinstance(part, list):
        return sum(map(_text_length, part))
    if not isinstance(part, dict):
        return 0
    own = len(part["text"]) if isinstance(part.get("text"), str) else 0
    return own + sum(_text_length(value) for value in part.values() if not isinstance(value, str))


def blocks_too_long(message: dict[str, Any]) -> bool:
    """Whether Slack refuses the message for the text of its blocks together."""
    return _text_length(message.get("blocks") or []) > LIMITS["message blocks text"]


def message_problems(where: str, message: dict[str, Any]) -> list[str]:
    """A chat.postMessage, chat.postEphemeral, chat.update or response URL payload."""
    text = message.get("text") or ""
    problems = _over(where, "message text", len(text)) + mrkdwn_problems(f"{where} text", text)
    if not text.strip():
        problems.append(f"{where}: blank text (it is what notifications and screen readers show)")
    blocks = message.get("blocks") or []
    problems += _over(where, "message blocks text", _text_length(blocks))
    return problems + blocks_problems(where, blocks, "message blocks")


def view_problems(where: str, view: dict[str, Any]) -> list[str]:
    problems = blocks_problems(where, view.get("blocks") or [], "view blocks")
    if view.get("type") == "modal":
        for part in ("title", "submit", "close"):
            if view.get(part):
                problems += _over(where, "view title", len(view[part].get("text", "")))
    return problems
