"""The modal of the "Look up a service" shortcut: a picker, then the card in its place."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.common import ids
from handlers.common.blocks import service_picker
from handlers.common.kit import modal, section
from handlers.common.mrkdwn import Mrkdwn

TITLE = "Look up a service"


def lookup_modal(blocks: Sequence[Block], *, submit: bool) -> View:
    return modal(ids.LOOKUP_VIEW, TITLE, blocks, submit="Show" if submit else None)


def picker_modal() -> View:
    return lookup_modal([service_picker(None, label="Which service?")], submit=True)


def looking_up_modal() -> View:
    return lookup_modal([section(Mrkdwn("Looking it up…"))], submit=False)
