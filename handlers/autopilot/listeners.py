"""`/cortex incidents`: the incident autopilot from Slack.

- `incidents auto on [#channel] [window=24h]` (admins): registers the Rootly webhook (or shows
  an admin the URL and secret to enter by hand, once);
- `incidents auto off` (admins): deletes it and forgets the secret;
- `incidents status` (everyone): whether it is on, where it posts, the last delivery.

The deliveries themselves arrive at `POST /rootly/webhooks/<token>` (`bot.web`), and their
messages are posted by `publisher.SlackPublisher`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.scheduler import utc_now
from handlers.autopilot.blocks import turned_off_message, turned_on_message
from handlers.autopilot.grammar import AutopilotAction, AutopilotCommand
from handlers.common.acking import admin_only
from handlers.common.context import Invocation
from handlers.common.home import autopilot_status_blocks
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn


async def turn_on(invocation: Invocation, command: AutopilotCommand) -> None:
    channel_id = command.channel_id or invocation.channel_id
    turned_on = await invocation.services.autopilot.turn_on(
        invocation.team_id,
        channel_id=channel_id,
        window=command.window,
        by=invocation.user_id,
        now=utc_now(),
    )
    await invocation.respond(turned_on_message(turned_on, channel_id, command.window))


async def turn_off(invocation: Invocation, _command: AutopilotCommand) -> None:
    turned_off = await invocation.services.autopilot.turn_off(invocation.team_id)
    await invocation.respond(turned_off_message(turned_off, invocation.slash))


async def show_status(invocation: Invocation, _command: AutopilotCommand) -> None:
    connection = await invocation.services.connection(invocation.team_id)
    settings = await invocation.services.autopilot.status(invocation.team_id)
    blocks = autopilot_status_blocks(settings, connection.has_rootly, invocation.slash)
    text = Mrkdwn("The incident autopilot is {}").format("on" if settings else "off")
    await invocation.respond(Message(text, blocks))


ACTIONS: dict[AutopilotAction, Callable[[Invocation, AutopilotCommand], Awaitable[None]]] = {
    "on": admin_only("turn the incident autopilot on", turn_on),
    "off": admin_only("turn the incident autopilot off", turn_off),
    "status": show_status,
}


async def incidents_command(invocation: Invocation, command: AutopilotCommand) -> None:
    await ACTIONS[command.action](invocation, command)
