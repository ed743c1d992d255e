"""The modal of the "Look up a service" shortcut: a picker, then the card in its place."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.common import ids
from handlers.common.blocks import section, service_picker

TITLE = "Look up a service"


def lookup_modal(blocks: list[Block], *, submit: bool) -> View:
    return View(
        type="modal",
        callback_id=ids.LOOKUP_VIEW,
        title=TITLE,
        submit="Show" if submit else None,
        close="Close",
        blocks=blocks,
    )


def picker_modal() -> View:
    return lookup_modal([service_picker(None, label="Which service?")], submit=True)


def looking_up_modal() -> View:
    return lookup_modal([section("Looking it up…")], submit=False)
