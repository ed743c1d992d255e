"""Submitting the deploy and event modals: inline errors for bad input, then record once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.cortex.models import DeployType, NewCustomEvent, NewDeploy
from bot.errors import ApiError
from handlers import ids
from handlers.background import continue_in_background
from handlers.commands.grammar import is_http_url, is_sha
from handlers.context import Invocation, catalog_of, deployer_of
from handlers.recording import Origin, Recorder

log = logging.getLogger(__name__)

# The submission must be answered within 3 s; the catalog check gets this much of it.
CATALOG_CHECK_SECONDS = 1.5


@dataclass(frozen=True)
class Form:
    """The values of a submitted modal, read by block and action ID."""

    values: dict[str, Any]

    def text(self, block_id: str, action_id: str) -> str:
        return str(self.values.get(block_id, {}).get(action_id, {}).get("value") or "").strip()

    def selected(self, block_id: str, action_id: str) -> str:
        option = self.values.get(block_id, {}).get(action_id, {}).get("selected_option") or {}
        return str(option.get("value") or "")

    def moment(self, block_id: str, action_id: str) -> datetime:
        picked = self.values.get(block_id, {}).get(action_id, {}).get("selected_date_time")
        return datetime.fromtimestamp(int(picked), UTC) if picked else datetime.now(UTC)

    @property
    def tag(self) -> str:
        return self.selected(ids.SERVICE_BLOCK, ids.SERVICE_SELECT)

    @property
    def url(self) -> str:
        return self.text(ids.URL_BLOCK, ids.URL_INPUT)

    @property
    def title(self) -> str:
        return self.text(ids.TITLE_BLOCK, ids.TITLE_INPUT)


async def _service_error(catalog: Catalog, tag: str) -> str | None:
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


def _common_errors(form: Form) -> dict[str, str]:
    errors = {}
    if not form.title:
        errors[ids.TITLE_BLOCK] = "Give it a title."
    if form.url and not is_http_url(form.url):
        errors[ids.URL_BLOCK] = "Enter a link starting with http:// or https://."
    return errors


def _deploy_errors(form: Form) -> dict[str, str]:
    errors = _common_errors(form)
    sha = form.text(ids.SHA_BLOCK, ids.SHA_INPUT)
    if sha and not is_sha(sha):
        errors[ids.SHA_BLOCK] = "A commit SHA is 7 to 40 hexadecimal characters."
    return errors


def _event_errors(form: Form) -> dict[str, str]:
    errors = _common_errors(form)
    if not form.text(ids.EVENT_TYPE_BLOCK, ids.EVENT_TYPE_INPUT):
        errors[ids.EVENT_TYPE_BLOCK] = "Give the event a type, such as INCIDENT."
    return errors


async def _checked(
    ack: AsyncAck, context: AsyncBoltContext, form: Form, errors: dict[str, str]
) -> Catalog | None:
    """Answer Slack: inline errors (None), or close the modal and return the catalog to write to."""
    catalog = await catalog_of(context)
    service_error = await _service_error(catalog, form.tag)
    if service_error:
        errors[ids.SERVICE_BLOCK] = service_error
    if errors:
        await ack(response_action="errors", errors=errors)
        return None
    await ack()
    return catalog


def _recorder(invocation: Invocation, catalog: Catalog) -> Recorder:
    view = invocation.body["view"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    origin = Origin(
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        channel_id=metadata.get("channel") or None,
        request_id=view["id"],
    )
    return Recorder(invocation.services, invocation.client, catalog, origin)


Validate = Callable[[Form], dict[str, str]]
Record = Callable[[Invocation, Recorder, Form], Coroutine[Any, Any, None]]


def _submission(errors_of: Validate, record: Record) -> Callable[..., Awaitable[None]]:
    """A modal's submit listener: inline errors, or close the modal and record in the background."""

    async def submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        form = Form(body["view"]["state"]["values"])
        catalog = await _checked(ack, context, form, errors_of(form))
        if catalog is not None:
            continue_in_background(
                lambda invocation: record(invocation, _recorder(invocation, catalog), form),
                Invocation.of(context, client, body),
                context,
            )

    return submit


async def _record_deploy(invocation: Invocation, recorder: Recorder, form: Form) -> None:
    deploy = NewDeploy(
        title=form.title,
        type=DeployType(form.selected(ids.DEPLOY_TYPE_BLOCK, ids.DEPLOY_TYPE_SELECT) or "DEPLOY"),
        timestamp=datetime.now(UTC),
        environment=form.text(ids.ENVIRONMENT_BLOCK, ids.ENVIRONMENT_INPUT) or None,
        sha=form.text(ids.SHA_BLOCK, ids.SHA_INPUT) or None,
        url=form.url or None,
        deployer=await deployer_of(invocation.client, invocation.user_id),
    )
    await recorder.deploy(form.tag, deploy)


async def _record_event(_invocation: Invocation, recorder: Recorder, form: Form) -> None:
    event = NewCustomEvent(
        type=form.text(ids.EVENT_TYPE_BLOCK, ids.EVENT_TYPE_INPUT),
        title=form.title,
        description=form.text(ids.DESCRIPTION_BLOCK, ids.DESCRIPTION_INPUT) or None,
        url=form.url or None,
        timestamp=form.moment(ids.WHEN_BLOCK, ids.WHEN_PICKER),
    )
    await recorder.event(form.tag, event)


def register(app: AsyncApp) -> None:
    app.view(ids.DEPLOY_VIEW)(_submission(_deploy_errors, _record_deploy))
    app.view(ids.EVENT_VIEW)(_submission(_event_errors, _record_event))
