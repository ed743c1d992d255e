"""The deploy and custom event modals, and the messages that confirm a recording."""

from __future__ import annotations

import json
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    DateTimePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.cortex.models import CustomEvent, Deploy
from handlers import ids
from handlers.blocks.common import escaped, moment, trimmed
from handlers.blocks.service import deploy_line
from handlers.commands.grammar import DEPLOY_TYPES, RecordDeploy, RecordEvent

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 3000
DEFAULT_EVENT_TYPE = "CUSTOM"


def service_picker(tag: str | None, *, label: str = "Service") -> InputBlock:
    """A typeahead fed by the options-load listener, answered from the cached catalog."""
    return InputBlock(
        block_id=ids.SERVICE_BLOCK,
        label=PlainTextObject(text=label),
        element=ExternalDataSelectElement(
            action_id=ids.SERVICE_SELECT,
            placeholder=PlainTextObject(text="Type a name or tag"),
            min_query_length=0,
            initial_option=Option(value=tag, label=tag) if tag else None,
        ),
    )


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
        label=PlainTextObject(text=label),
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
        element=PlainTextInputElement(
            action_id=action_id,
            initial_value=trimmed(value, limit) if value else None,
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


def _modal(callback_id: str, title: str, submit: str, blocks: list[Block], channel: str) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel": channel}),
        blocks=blocks,
    )


def deploy_modal(prefill: RecordDeploy, channel: str) -> View:
    deploy_type = prefill.deploy_type or "DEPLOY"
    options = [Option(value=name, label=name.title()) for name in DEPLOY_TYPES]
    blocks: list[Block] = [
        service_picker(prefill.tag),
        _title_input(prefill.title, "Usually the release name, commit message or PR title."),
        InputBlock(
            block_id=ids.DEPLOY_TYPE_BLOCK,
            label=PlainTextObject(text="Type"),
            element=StaticSelectElement(
                action_id=ids.DEPLOY_TYPE_SELECT,
                options=options,
                initial_option=next(o for o in options if o.value == deploy_type),
            ),
        ),
        _text_input(
            ids.ENVIRONMENT_BLOCK, ids.ENVIRONMENT_INPUT, "Environment", prefill.environment
        ),
        _text_input(ids.SHA_BLOCK, ids.SHA_INPUT, "Commit SHA", prefill.sha, limit=40),
        _text_input(ids.URL_BLOCK, ids.URL_INPUT, "Link", prefill.url, hint="https://…"),
    ]
    return _modal(ids.DEPLOY_VIEW, "Record a deploy", "Record", blocks, channel)


def event_modal(
    prefill: RecordEvent, channel: str, *, description: str | None = None, when: datetime
) -> View:
    blocks: list[Block] = [
        service_picker(prefill.tag),
        _text_input(
            ids.EVENT_TYPE_BLOCK,
            ids.EVENT_TYPE_INPUT,
            "Type",
            prefill.event_type or DEFAULT_EVENT_TYPE,
            optional=False,
            limit=100,
            hint="A short kind, such as INCIDENT, CONFIG_CHANGE or FEATURE_FLAG.",
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
        InputBlock(
            block_id=ids.WHEN_BLOCK,
            label=PlainTextObject(text="When"),
            element=DateTimePickerElement(
                action_id=ids.WHEN_PICKER, initial_date_time=int(when.timestamp())
            ),
        ),
    ]
    return _modal(ids.EVENT_VIEW, "Add a Cortex event", "Add event", blocks, channel)


def deploy_recorded(user_id: str, tag: str, deploy: Deploy) -> str:
    return f"<@{user_id}> recorded a deploy of `{escaped(tag)}`: {deploy_line(deploy)}"


def event_recorded(user_id: str, tag: str, event: CustomEvent) -> str:
    title = escaped(event.title)
    title = f"<{event.url}|{title}>" if event.url else title
    return (
        f"<@{user_id}> added a *{escaped(event.type)}* event to `{escaped(tag)}`: {title}, "
        f"{moment(event.timestamp)}"
    )
