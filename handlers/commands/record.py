"""`/cortex deploy` and `/cortex event`: record at once when complete, else open the modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.cortex.models import DeployType, NewCustomEvent, NewDeploy
from bot.errors import NotFoundError
from handlers.blocks.recording import deploy_modal, event_modal
from handlers.commands.grammar import RecordDeploy, RecordEvent
from handlers.commands.service import not_found_answer
from handlers.context import Invocation, deployer_of
from handlers.recording import Origin, Recorder


async def _record(
    invocation: Invocation, tag: str, write: Callable[[Recorder], Awaitable[None]]
) -> None:
    catalog = await invocation.catalog()
    origin = Origin(
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        channel_id=invocation.channel_id,
        request_id=invocation.trigger_id,
        respond=invocation.respond if invocation.response_url else None,
    )
    try:
        await write(Recorder(invocation.services, invocation.client, catalog, origin))
    except NotFoundError:
        text, blocks = await not_found_answer(catalog, tag)
        await invocation.respond(text=text, blocks=blocks, response_type="ephemeral")


async def deploy(invocation: Invocation, command: RecordDeploy) -> None:
    tag, title = command.tag, command.title
    if tag is None or title is None:
        # The modal goes first: the trigger expires 3 s after the command was sent.
        view = deploy_modal(command, invocation.channel_id)
        await invocation.client.views_open(trigger_id=invocation.trigger_id, view=view)
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
    await _record(invocation, tag, lambda recorder: recorder.deploy(tag, new_deploy))


async def event(invocation: Invocation, command: RecordEvent) -> None:
    tag, title, event_type = command.tag, command.title, command.event_type
    if tag is None or title is None or event_type is None:
        view = event_modal(command, invocation.channel_id, when=datetime.now(UTC))
        await invocation.client.views_open(trigger_id=invocation.trigger_id, view=view)
        return
    new_event = NewCustomEvent(
        type=event_type, title=title, timestamp=datetime.now(UTC), url=command.url
    )
    await _record(invocation, tag, lambda recorder: recorder.event(tag, new_event))
