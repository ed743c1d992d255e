"""The deploy and custom event modals: their views, and reading and checking what was submitted."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DateTimePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.catalog import Catalog
from bot.cortex.models import DeployType
from bot.errors import ApiError
from handlers.common import ids
from handlers.common.blocks import service_picker
from handlers.common.kit import modal, option, options, plain
from handlers.common.mrkdwn import cut
from handlers.recording.grammar import DEPLOY_TYPES, RecordDeploy, RecordEvent, is_http_url

log = logging.getLogger(__name__)

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 3000
# What the event type menu offers before anything is typed (any other type can be typed).
COMMON_EVENT_TYPES = (
    "INCIDENT",
    "CONFIG_CHANGE",
    "FEATURE_FLAG",
    "MAINTENANCE",
    "ALERT",
    "SECURITY",
    "MIGRATION",
)
# The submission must be answered within 3 s; the catalog check gets this much of it.
CATALOG_CHECK_SECONDS = 1.5


def _text_input(
    block_id: str,
    action_id: str,
    label: str,
    value: str | None,
    *,
    optional: bool = True,
    multiline: bool = False,
    limit: int = 500,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=PlainTextInputElement(
            action_id=action_id,
            initial_value=cut(value, limit) if value else None,
            multiline=multiline,
            max_length=limit,
        ),
    )


def _title_input(value: str | None, hint: str | None = None) -> InputBlock:
    return _text_input(
        ids.TITLE_BLOCK,
        ids.TITLE_INPUT,
        "Title",
        value,
        optional=False,
        limit=TITLE_LIMIT,
        hint=hint,
    )


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], channel: str, opened: datetime
) -> View:
    """`opened`: when the form opened, kept so that the submission can tell whether the "When"
    picker was left at that time (see `Form.when`)."""
    metadata = json.dumps({"channel": channel, "opened": _seconds(opened)})
    return modal(callback_id, title, blocks, submit=submit, private_metadata=metadata)


def _choice(
    block_id: str,
    action_id: str,
    label: str,
    chosen: str | None,
    placeholder: str,
    *,
    optional: bool = True,
) -> InputBlock:
    """A menu that takes free text: a typeahead whose options offer what was typed as well
    (`typed_choices`)."""
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        optional=optional,
        element=ExternalDataSelectElement(
            action_id=action_id,
            placeholder=plain(placeholder),
            min_query_length=0,
            initial_option=option(chosen, chosen) if chosen else None,
        ),
    )


def typed_choices(typed: str, known: Sequence[str]) -> list[Option]:
    """The options of a menu that takes free text: what was typed first (unless it is one of
    them), then the known ones that contain it."""
    text = typed.strip()
    wanted = text.lower()
    matching = [name for name in known if wanted in name.lower()]
    mine = [] if not text or any(name.lower() == wanted for name in known) else [text]
    return options((name, name) for name in [*mine, *matching])


def _seconds(moment: datetime) -> int:
    """A time as the "When" picker holds it: in whole seconds."""
    return int(moment.timestamp())


def _when(when: datetime) -> InputBlock:
    return InputBlock(
        block_id=ids.WHEN_BLOCK,
        label=plain("When"),
        element=DateTimePickerElement(action_id=ids.WHEN_PICKER, initial_date_time=_seconds(when)),
    )


def deploy_modal(
    prefill: RecordDeploy, channel: str, *, opened: datetime, name: str | None = None
) -> View:
    """`opened`: when the form opened, where its "When" picker starts. `name`: the prefilled
    service's name, once known."""
    deploy_type = prefill.deploy_type or DeployType.DEPLOY
    choices = options((name.title(), name) for name in DEPLOY_TYPES)
    blocks: list[Block] = [
        service_picker(prefill.tag, name=name),
        _title_input(prefill.title, "Usually the release name, commit message or PR title."),
        InputBlock(
            block_id=ids.DEPLOY_TYPE_BLOCK,
            label=plain("Type"),
            element=StaticSelectElement(
                action_id=ids.DEPLOY_TYPE_SELECT,
                options=choices,
                initial_option=next(o for o in choices if o.value == deploy_type),
            ),
        ),
        _choice(
            ids.ENVIRONMENT_BLOCK,
            ids.ENVIRONMENT_SELECT,
            "Environment",
            prefill.environment,
            "Pick one used lately, or type one",
        ),
        _text_input(
            ids.SHA_BLOCK,
            ids.SHA_INPUT,
            "Commit SHA or version",
            prefill.sha,
            hint="A commit, build number or image digest.",
        ),
        _text_input(ids.URL_BLOCK, ids.URL_INPUT, "Link", prefill.url, hint="https://…"),
        _when(opened),
    ]
    return _modal(ids.DEPLOY_VIEW, "Record a deploy", "Record", blocks, channel, opened)


def event_modal(
    prefill: RecordEvent,
    channel: str,
    *,
    description: str | None = None,
    opened: datetime,
    happened: datetime | None = None,
    name: str | None = None,
) -> View:
    """`opened`: when the form opened; its "When" picker starts at `happened` if known (a
    message's time), else then. `name`: the prefilled service's name, once known."""
    blocks: list[Block] = [
        service_picker(prefill.tag, name=name),
        _choice(
            ids.EVENT_TYPE_BLOCK,
            ids.EVENT_TYPE_SELECT,
            "Type",
            prefill.event_type,
            "Pick a common type, or type your own",
            optional=False,
        ),
        _title_input(prefill.title),
        _text_input(
            ids.DESCRIPTION_BLOCK,
            ids.DESCRIPTION_INPUT,
            "Description",
            description,
            multiline=True,
            limit=DESCRIPTION_LIMIT,
        ),
        _text_input(ids.URL_BLOCK, ids.URL_INPUT, "Link", prefill.url, hint="https://…"),
        _when(happened or opened),
    ]
    return _modal(ids.EVENT_VIEW, "Add a Cortex event", "Add event", blocks, channel, opened)


# --- what was submitted --------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """The values of a submitted modal, read by block and action ID, and what the modal kept in
    its private metadata."""

    values: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, view: dict[str, Any]) -> Form:
        return cls(view["state"]["values"], json.loads(view.get("private_metadata") or "{}"))

    def text(self, block_id: str, action_id: str) -> str:
        return str(self.values.get(block_id, {}).get(action_id, {}).get("value") or "").strip()

    def selected(self, block_id: str, action_id: str) -> str:
        option = self.values.get(block_id, {}).get(action_id, {}).get("selected_option") or {}
        return str(option.get("value") or "")

    @property
    def when(self) -> datetime:
        """The time picked; now if the picker was left at the time the form opened (the person
        meant when they submit, not when they began: a form filled in for a while would otherwise
        record the past, and miss the digest window it happened in) or shows none."""
        picked = (
            self.values.get(ids.WHEN_BLOCK, {}).get(ids.WHEN_PICKER, {}).get("selected_date_time")
        )
        if not picked or picked == self.metadata.get("opened"):
            return datetime.now(UTC)
        return datetime.fromtimestamp(int(picked), UTC)

    @property
    def channel(self) -> str | None:
        """Where the form was opened, to announce there."""
        return self.metadata.get("channel") or None

    @property
    def tag(self) -> str:
        return self.selected(ids.SERVICE_BLOCK, ids.SERVICE_SELECT)

    @property
    def url(self) -> str:
        return self.text(ids.URL_BLOCK, ids.URL_INPUT)

    @property
    def title(self) -> str:
        return self.text(ids.TITLE_BLOCK, ids.TITLE_INPUT)


async def service_error(catalog: Catalog, tag: str) -> str | None:
    if not tag:
        return "Pick a service."
    try:
        services = await asyncio.wait_for(catalog.services(), CATALOG_CHECK_SECONDS)
    except (TimeoutError, ApiError) as error:
        # Cortex will say so itself when the write is sent; do not block the modal on it.
        log.info("could not check %s against the catalog: %s", tag, type(error).__name__)
        return None
    if any(entity.tag == tag for entity in services.value):
        return None
    return f"Cortex has no service `{tag}`; pick one from the list."


def deploy_errors(form: Form) -> dict[str, str]:
    """What Cortex needs of a deploy that a person can get wrong: a title, and a link (if any)
    that opens. (Its other fields are free text to Cortex.) Events need the same, and a type."""
    errors = {}
    if not form.title:
        errors[ids.TITLE_BLOCK] = "Give it a title."
    if form.url and not is_http_url(form.url):
        errors[ids.URL_BLOCK] = "Enter a link starting with http:// or https://."
    return errors


def event_errors(form: Form) -> dict[str, str]:
    errors = deploy_errors(form)
    if not form.selected(ids.EVENT_TYPE_BLOCK, ids.EVENT_TYPE_SELECT):
        errors[ids.EVENT_TYPE_BLOCK] = "Pick a type, or type one, such as INCIDENT."
    return errors
