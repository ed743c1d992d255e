"""The `/cortex sync fields` modal, in each of its states: loading, refused, the form, saved, and
what went wrong when it could not be filled."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, CheckboxesElement, InputBlock, Option
from slack_sdk.models.views import View

from bot.sync import FieldChoice, SyncField
from handlers.common import ids
from handlers.common.home import owned_fields
from handlers.common.kit import context, modal, option, plain, section
from handlers.common.mrkdwn import Mrkdwn

TITLE = "Sync fields"


def _modal(blocks: Sequence[Block], *, submit: str | None = None, close: str = "Close") -> View:
    return modal(ids.SYNC_FIELDS_VIEW, TITLE, blocks, submit=submit, close=close)


def loading_view() -> View:
    return _modal([section(Mrkdwn("Loading the fields this workspace's sync owns…"))])


def refusal_view(slash: str) -> View:
    return _modal(
        [
            section(
                Mrkdwn(
                    "Only workspace admins and owners can choose what the Rootly sync writes. "
                    "`{} sync status` shows the fields it owns now."
                ).format(slash)
            )
        ]
    )


def _options(fields: Sequence[SyncField]) -> list[Option]:
    built = (option(field.label, field.value, field.explanation) for field in fields)
    return [found for found in built if found is not None]


def fields_form(choice: FieldChoice | None) -> View:
    enabled = [] if choice is None else choice.ordered()
    checkboxes = CheckboxesElement(
        action_id=ids.SYNC_FIELDS,
        options=_options(list(SyncField)),
        initial_options=_options(enabled) or None,
    )
    return _modal(
        [
            section(
                Mrkdwn(
                    "The sync always writes each service's name and description. Choose what "
                    "else it may own in Rootly: Cortex's value replaces Rootly's. A field left "
                    "off is never written."
                )
            ),
            InputBlock(
                block_id=ids.SYNC_FIELDS_BLOCK,
                label=plain("Fields the sync owns"),
                element=checkboxes,
                optional=True,
            ),
            context(
                Mrkdwn(
                    "Slack channels are written with their ids: the bot must see the channels "
                    "(`channels:read`, and `groups:read` for private ones it is in)."
                )
            ),
        ],
        submit="Save",
        close="Cancel",
    )


def saved_view(choice: FieldChoice, slash: str) -> View:
    return _modal(
        [
            section(
                Mrkdwn(
                    ":white_check_mark: Saved. The sync owns {}. The next sync (`{} sync`, "
                    "or `{} sync dry-run` to see it first) writes them."
                ).format(owned_fields(choice), slash, slash)
            )
        ]
    )
