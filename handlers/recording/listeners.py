"""Recording deploys and custom events from Slack: `/cortex deploy|event` (at once when complete,
else the modal), the card's *Record deploy* and *Add event* buttons, the modals' submissions, and
the message shortcut "Record as Cortex event"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.cortex.models import DeployType, NewCustomEvent, NewDeploy
from bot.errors import BotError, UnknownServiceError
from handlers.common import ids
from handlers.common.acking import continue_in_background
from handlers.common.blocks import unknown_service_message
from handlers.common.context import Invocation, catalog_of, deployer_of, open_modal
from handlers.common.mrkdwn import cut
from handlers.recording.grammar import RecordDeploy, RecordEvent
from handlers.recording.modals import (
    COMMON_EVENT_TYPES,
    TITLE_LIMIT,
    Form,
    deploy_modal,
    event_modal,
    service_error,
    typed_choices,
)
from handlers.recording.recorder import Origin, Recorder, tagged

log = logging.getLogger(__name__)

Write = Callable[[Recorder, str], Awaitable[None]]


async def _record(invocation: Invocation, tag: str, write: Write) -> None:
    catalog = await invocation.catalog()
    origin = Origin(
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        channel_id=invocation.channel_id,
        request_id=invocation.trigger_id,
        respond=invocation.respond if invocation.response_url else None,
    )
    recorder = Recorder(invocation.services, invocation.client, catalog, origin)
    try:
        await catalog.resolve(tag, lambda resolved: write(recorder, resolved))
    except UnknownServiceError as unknown:
        await invocation.respond(
            unknown_service_message(tag, unknown.suggestions, invocation.slash)
        )


Build = Callable[[str | None], View]


def _builder(prefill: RecordDeploy | RecordEvent, channel: str) -> Build:
    """The form for `prefill`, given the service's name once known."""
    opened = datetime.now(UTC)
    if isinstance(prefill, RecordDeploy):
        return lambda name: deploy_modal(prefill, channel, opened=opened, name=name)
    return lambda name: event_modal(prefill, channel, opened=opened, name=name)


async def _listed_name(invocation: Invocation, tag: str) -> str:
    """The name of the service tagged `tag` in the catalog's listing (cached: the card, the
    picker and the submission's check read it too), empty when it is not listed."""
    service = tagged((await (await invocation.catalog()).services()).value, tag)
    return service.name if service else ""


async def _open_then_update(
    invocation: Invocation, first: View, later: Callable[[], Awaitable[View | None]]
) -> None:
    """Open `first` at once (the trigger expires 3 s after the click, command or shortcut), then
    replace it with what `later` makes, if anything, once that is known."""
    opened = await open_modal(invocation.client, invocation.body, first)
    view = await later()
    if view is None:
        return
    try:
        await invocation.client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    except SlackApiError as error:
        # hash_conflict: the form was updated since it opened (typing does not change its hash,
        # a newer update does); this update, made from what was known before, gives way to it.
        if error.response.get("error") != "hash_conflict":
            raise


async def _open_form(invocation: Invocation, prefill: RecordDeploy | RecordEvent) -> None:
    """The form, showing a prefilled service by its name once the catalog's listing says it."""
    build, tag = _builder(prefill, invocation.channel_id), prefill.tag

    async def named() -> View | None:
        if not tag:
            return None
        try:
            name = await _listed_name(invocation, tag)
        except BotError as error:
            # The form keeps the tag; submitting says what is wrong, if anything is.
            log.info("the form for %s in %s keeps its tag: %s", tag, invocation.team_id, error)
            return None
        return build(name) if name.strip() else None

    await _open_then_update(invocation, build(None), named)


async def deploy(invocation: Invocation, command: RecordDeploy) -> None:
    tag, title = command.tag, command.title
    if tag is None or title is None:
        await _open_form(invocation, command)
        return
    new_deploy = NewDeploy(
        title=title,
        type=DeployType(command.deploy_type or DeployType.DEPLOY),
        timestamp=datetime.now(UTC),
        environment=command.environment,
        sha=command.sha,
        url=command.url,
        deployer=await deployer_of(invocation.client, invocation.user_id),
    )
    await _record(invocation, tag, lambda recorder, tag: recorder.deploy(tag, new_deploy))


async def event(invocation: Invocation, command: RecordEvent) -> None:
    tag, title, event_type = command.tag, command.title, command.event_type
    if tag is None or title is None or event_type is None:
        await _open_form(invocation, command)
        return
    new_event = NewCustomEvent(
        type=event_type, title=title, timestamp=datetime.now(UTC), url=command.url
    )
    await _record(invocation, tag, lambda recorder, tag: recorder.event(tag, new_event))


# --- the card's buttons --------------------------------------------------------------------------


async def record_deploy(invocation: Invocation) -> None:
    await _open_form(invocation, RecordDeploy(tag=invocation.value or None))


async def add_event(invocation: Invocation) -> None:
    await _open_form(invocation, RecordEvent(tag=invocation.value or None))


# --- the menus that take free text ---------------------------------------------------------------


async def environment_options(
    ack: AsyncAck, payload: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The environments this workspace deployed to lately, and what was typed."""
    try:
        recent = (await catalog_of(context)).recent_environments()
    except BotError as error:
        log.info("no recent environments for team %s: %s", context.team_id, error)
        recent = []
    await ack(options=typed_choices(str(payload.get("value", "")), recent))


async def event_type_options(ack: AsyncAck, payload: dict[str, Any]) -> None:
    await ack(options=typed_choices(str(payload.get("value", "")), COMMON_EVENT_TYPES))


# --- the modals' submissions: inline errors for bad input, then record once ----------------------


async def _checked(
    ack: AsyncAck, context: AsyncBoltContext, form: Form, errors: dict[str, str]
) -> Catalog | None:
    """Answer Slack: inline errors (None), or close the modal and return the catalog to write to."""
    catalog = await catalog_of(context)
    unknown = await service_error(catalog, form.tag)
    if unknown:
        errors[ids.SERVICE_BLOCK] = unknown
    if errors:
        await ack(response_action="errors", errors=errors)
        return None
    await ack()
    return catalog


def _recorder(invocation: Invocation, catalog: Catalog, form: Form) -> Recorder:
    origin = Origin(
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        channel_id=form.channel,
        request_id=invocation.body["view"]["id"],
    )
    return Recorder(invocation.services, invocation.client, catalog, origin)


Validate = Callable[[Form], dict[str, str]]
Record = Callable[[Invocation, Recorder, Form], Coroutine[Any, Any, None]]


def submission(errors_of: Validate, record: Record) -> Callable[..., Awaitable[None]]:
    """A modal's submit listener: inline errors, or close the modal and record in the background."""

    async def submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        form = Form.of(body["view"])
        catalog = await _checked(ack, context, form, errors_of(form))
        if catalog is not None:
            continue_in_background(
                lambda invocation: record(invocation, _recorder(invocation, catalog, form), form),
                Invocation.of(context, client, body),
                context,
            )

    return submit


async def submit_deploy(invocation: Invocation, recorder: Recorder, form: Form) -> None:
    picked = form.selected(ids.DEPLOY_TYPE_BLOCK, ids.DEPLOY_TYPE_SELECT)
    deploy = NewDeploy(
        title=form.title,
        type=DeployType(picked or DeployType.DEPLOY),
        timestamp=form.when,
        environment=form.selected(ids.ENVIRONMENT_BLOCK, ids.ENVIRONMENT_SELECT) or None,
        sha=form.text(ids.SHA_BLOCK, ids.SHA_INPUT) or None,
        url=form.url or None,
        deployer=await deployer_of(invocation.client, invocation.user_id),
    )
    await recorder.deploy(form.tag, deploy)


async def submit_event(_invocation: Invocation, recorder: Recorder, form: Form) -> None:
    event = NewCustomEvent(
        type=form.selected(ids.EVENT_TYPE_BLOCK, ids.EVENT_TYPE_SELECT),
        title=form.title,
        description=form.text(ids.DESCRIPTION_BLOCK, ids.DESCRIPTION_INPUT) or None,
        url=form.url or None,
        timestamp=form.when,
    )
    await recorder.event(form.tag, event)


# --- the message shortcut "Record as Cortex event" -----------------------------------------------


def _title(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return cut(first_line.strip(), TITLE_LIMIT)


async def record_message_as_event(invocation: Invocation) -> None:
    """The event modal, prefilled from the message, and its link once Slack gives it."""
    client, channel, message = invocation.client, invocation.channel_id, invocation.body["message"]
    text = message.get("text", "")
    opened, happened = datetime.now(UTC), datetime.fromtimestamp(float(message["ts"]), UTC)
    prefill = RecordEvent(title=_title(text) or None)

    def form(filled: RecordEvent) -> View:
        return event_modal(filled, channel, description=text, opened=opened, happened=happened)

    async def with_link() -> View:
        permalink = await client.chat_getPermalink(channel=channel, message_ts=message["ts"])
        return form(replace(prefill, url=permalink["permalink"]))

    await _open_then_update(invocation, form(prefill), with_link)
