"""Block Kit within Slack's limits: the one place that knows them, and the only builders of the
parts that carry text (headers, sections, context, buttons, options, views, messages).

Slack refuses a whole payload over any limit (a 151-character header, a 76-character button, an
option value of 151 characters, 51 blocks, too much text in a message's blocks together), so text
from Cortex, Rootly or a person is cut to fit (marked with "…"), a value that cannot be cut (a tag
behind a button or an option) leaves its element out, blocks past a message's budget are counted
instead of sent, and blank text gets a stand-in. Mrkdwn is cut without breaking its markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers.common.mrkdwn import Mrkdwn, cut, plural

# Slack's limits (slack_sdk's models know most of them; the rest are from Slack's Block Kit pages).
HEADER_TEXT = HeaderBlock.text_max_length  # 150
SECTION_TEXT = SectionBlock.text_max_length  # 3000
FIELD_TEXT = 2000
FIELDS = SectionBlock.fields_max_length  # 10
ACTIONS_ELEMENTS = ActionsBlock.elements_max_length  # 25
BUTTON_TEXT = ButtonElement.text_max_length  # 75
BUTTON_VALUE = ButtonElement.value_max_length  # 2000
BUTTON_URL = ButtonElement.url_max_length  # 3000
OPTION_TEXT = Option.label_max_length  # 75
OPTION_VALUE = Option.value_max_length  # 150
OPTIONS = 100
LABEL_TEXT = 2000
PLACEHOLDER_TEXT = 150
CONFIRM_TITLE = ConfirmObject.title_max_length  # 100
CONFIRM_TEXT = ConfirmObject.text_max_length  # 300
CONFIRM_BUTTON = ConfirmObject.confirm_max_length  # 30
VIEW_TITLE = View.title_max_length  # 24
VIEW_BLOCKS = View.blocks_max_length  # 100
MESSAGE_BLOCKS = 50
# Slack also refuses a message whose blocks hold too much text together (`msg_blocks_too_long`),
# a limit it does not document: bolt-js #2509 was refused at about 13,200 characters, and in
# bolt-js #2867 Slack's staff said "12,000 text characters with a buffer for block containers"
# while a user was refused at 11,341. A block is measured by the length of its JSON (its text
# and more: keys, types, escapes), and 11,000 of those keeps clear of every refusal reported.
MESSAGE_BUDGET = 11_000
# Slack cuts a message's top-level text at 40,000 characters and advises under 4,000.
MESSAGE_TEXT = 4000

NOTHING = Mrkdwn("-")
UNNAMED = "(unnamed)"


def fitting(
    lines: Sequence[Mrkdwn], limit: int = SECTION_TEXT, shown: int | None = None
) -> list[Mrkdwn]:
    """The first lines (at most `shown`) that fit in `limit` characters with the line `fitted`
    adds to say how many more there are."""
    kept: list[Mrkdwn] = []
    size = 0
    for line in lines[:shown]:
        more = len(lines) - len(kept) - 1
        room = limit - size - len(f"\n…and {more:,} more") if more else limit - size
        if len(line) + 1 > room:
            break
        kept.append(line)
        size += len(line) + 1
    return kept


def fitted(lines: Sequence[Mrkdwn], limit: int = SECTION_TEXT, shown: int | None = None) -> Mrkdwn:
    """As many whole lines as fit in `limit` characters (at most `shown`), then how many more."""
    kept = fitting(lines, limit, shown)
    left = len(lines) - len(kept)
    if left:
        kept.append(Mrkdwn("…and {:,} more").format(left))
    return Mrkdwn("\n").join(kept)


def plain(text: str, limit: int = LABEL_TEXT, *, otherwise: str = UNNAMED) -> PlainTextObject:
    """Plain text (labels, hints, headers, buttons): never blank, never over `limit`."""
    return PlainTextObject(text=cut(text.strip() or otherwise, limit))


def _mrkdwn(text: Mrkdwn, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=cut(text if text.strip() else NOTHING, limit))


def header(text: str, *, otherwise: str = UNNAMED) -> HeaderBlock:
    """A header; a blank `text` shows `otherwise` (say, the tag of a service with no name)."""
    return HeaderBlock(text=plain(text, HEADER_TEXT, otherwise=otherwise.strip() or UNNAMED))


def section(text: Mrkdwn, *, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(text, SECTION_TEXT), accessory=accessory)


def fields(texts: Sequence[Mrkdwn]) -> SectionBlock:
    """Side-by-side fields (the first ten)."""
    return SectionBlock(fields=[_mrkdwn(text, FIELD_TEXT) for text in texts[:FIELDS]])


def context(text: Mrkdwn) -> ContextBlock:
    return ContextBlock(elements=[_mrkdwn(text, SECTION_TEXT)])


@dataclass(frozen=True)
class Confirm:
    """Slack's "are you sure?" dialog before a button acts: a question, what it will do, and the
    words of its two buttons (the first one says the action, "Cancel" backs out)."""

    title: str
    text: Mrkdwn
    yes: str
    no: str = "Cancel"

    def build(self, style: str | None) -> ConfirmObject:
        return ConfirmObject(
            title=plain(self.title, CONFIRM_TITLE),
            text=_mrkdwn(self.text, CONFIRM_TEXT),
            confirm=plain(self.yes, CONFIRM_BUTTON),
            deny=plain(self.no, CONFIRM_BUTTON),
            # The dialog's button looks like the one that opened it (red for a deletion).
            style=style,
        )


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    url: str | None = None,
    confirm: Confirm | None = None,
) -> ButtonElement | None:
    """A button, or None when its value or URL is longer than Slack takes (it cannot be cut)."""
    if len(value) > BUTTON_VALUE or (url is not None and len(url) > BUTTON_URL):
        return None
    return ButtonElement(
        text=plain(text, BUTTON_TEXT),
        action_id=action_id,
        value=value or None,
        style=style,
        url=url,
        confirm=confirm.build(style) if confirm else None,
    )


def actions(*buttons: ButtonElement | None) -> list[Block]:
    """A row of the buttons that could be built (none: no row)."""
    kept = [found for found in buttons if found is not None][:ACTIONS_ELEMENTS]
    return [ActionsBlock(elements=kept)] if kept else []


def option(label: str, value: str, description: str | None = None) -> Option | None:
    """A choice in a select or of checkboxes (with a line of `description` under it), or None when
    `value` is longer than Slack takes (it cannot be cut)."""
    if not value or len(value) > OPTION_VALUE:
        return None
    return Option(
        value=value,
        text=plain(label, OPTION_TEXT, otherwise=value),
        description=plain(description, OPTION_TEXT) if description else None,
    )


def options(choices: Iterable[tuple[str, str]]) -> list[Option]:
    """Options from `(label, value)` pairs: those Slack can take, at most a hundred."""
    built = (option(label, value) for label, value in choices)
    return [found for found in built if found is not None][:OPTIONS]


def weight(block: Block) -> int:
    """What a block counts for against a message's budget: the length of its JSON, never less
    than the text Slack counts."""
    return len(json.dumps(block.to_dict(), ensure_ascii=False, separators=(",", ":")))


def _left_out(count: int) -> Block:
    return context(Mrkdwn("…and {} not shown").format(plural(count, "block")))


def capped(blocks: Sequence[Block], limit: int, budget: int | None = None) -> list[Block]:
    """The first blocks while at most `limit` of them weigh at most `budget` together (no budget:
    any weight), the last saying how many more there were."""
    if len(blocks) <= limit and (budget is None or sum(map(weight, blocks)) <= budget):
        return list(blocks)
    # The note is weighed with the largest count it could say, so the one it says fits.
    room = None if budget is None else budget - weight(_left_out(len(blocks)))
    kept: list[Block] = []
    for block in blocks[: limit - 1]:
        if room is not None:
            room -= weight(block)
            if room < 0:
                break
        kept.append(block)
    return [*kept, _left_out(len(blocks) - len(kept))]


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str | None = None,
) -> View:
    """A modal; its close button says "Cancel" when there is something to submit, else "Close",
    the same words in every modal unless `close` says otherwise."""
    close = close or ("Cancel" if submit else "Close")
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, VIEW_TITLE),
        submit=plain(submit, VIEW_TITLE) if submit else None,
        close=plain(close, VIEW_TITLE),
        private_metadata=private_metadata,
        blocks=capped(blocks, VIEW_BLOCKS),
    )


def home(blocks: Sequence[Block]) -> View:
    return View(type="home", blocks=capped(blocks, VIEW_BLOCKS))


@dataclass(frozen=True)
class Message:
    """A message: its top-level `text` (it drives notifications and screen readers, and Slack
    parses it as mrkdwn) and its blocks."""

    text: Mrkdwn
    blocks: Sequence[Block] = ()

    def payload(self) -> dict[str, Any]:
        """The message as chat.postMessage, chat.update and response URLs take it."""
        fields: dict[str, Any] = {"text": cut(self.text, MESSAGE_TEXT)}
        if self.blocks:
            fields["blocks"] = capped(self.blocks, MESSAGE_BLOCKS, MESSAGE_BUDGET)
        return fields
