"""Block Kit that features share: the message shape, Slack's limits, text helpers, and the few
blocks more than one feature shows (the deploy line, the service picker, "did you mean", the
connection and not-connected notes). Pure functions, built with slack_sdk's models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlparse

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)

from bot.cortex.models import Deploy, Entity
from bot.errors import BudgetBusyError, CallError
from bot.oncall import OnCall, OnCallSource
from bot.workspaces import Connection, masked
from handlers.common import ids


class Message(NamedTuple):
    """A message's fallback text (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[Block]


SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75


def trimmed(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Text cut to Slack's limit on a whole character, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escaped(text: str) -> str:
    """Text from Cortex shown as itself: Slack reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def moment(when: datetime) -> str:
    """A time Slack shows in each reader's own time zone."""
    epoch = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def fitted(lines: Sequence[str], limit: int = SECTION_TEXT_LIMIT, shown: int | None = None) -> str:
    """As many whole lines as fit in `limit` characters (at most `shown`), then how many more."""
    kept: list[str] = []
    size = 0
    for line in lines[:shown]:
        more = len(lines) - len(kept) - 1
        room = limit - size - len(f"\n…and {more:,} more") if more else limit - size
        if len(line) + 1 > room:
            break
        kept.append(line)
        size += len(line) + 1
    left = len(lines) - len(kept)
    return "\n".join([*kept, f"…and {left:,} more"] if left else kept)


def section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=trimmed(markdown)))


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=trimmed(markdown))])


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    url: str | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=trimmed(text, BUTTON_TEXT_LIMIT)),
        action_id=action_id,
        value=value or None,
        style=style,
        url=url,
    )


def plain_blocks(text: str) -> list[Block]:
    return [section(text)]


def connect_button() -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text="Connect Cortex"), action_id=ids.OPEN_CONNECT, style="primary"
    )


def not_connected_blocks() -> list[Block]:
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    "This workspace is not connected to Cortex yet. A workspace admin can connect "
                    "it with `/cortex connect` (a Cortex API key, and optionally a Rootly key)."
                )
            )
        ),
        ActionsBlock(elements=[connect_button()]),
    ]


def connection_summary(connection: Connection) -> str:
    """The workspace's connection, as the connect modal and App Home show it."""
    rootly = (
        f"connected, key `{masked(connection.rootly_key_last4)}`"
        if connection.rootly_key_last4
        else "not connected"
    )
    return (
        f":white_check_mark: Connected to Cortex at {connection.cortex_url} with key "
        f"`{masked(connection.cortex_key_last4)}`.\n"
        f"Rootly: {rootly}.\n"
        f"Connected by <@{connection.connected_by}> "
        f"<!date^{int(connection.connected_at.timestamp())}^{{date_short_pretty}} at {{time}}|"
        f"{connection.connected_at:%Y-%m-%d %H:%M} UTC>."
    )


def _who(deploy: Deploy) -> str:
    deployer = deploy.deployer
    return escaped((deployer and (deployer.name or deployer.email)) or "someone")


def deploy_line(deploy: Deploy) -> str:
    """One deploy on one line, as cards, digests, incident context and confirmations show it."""
    title = escaped(deploy.title)
    title = f"<{deploy.url}|{title}>" if deploy.url else title
    where = f" to *{escaped(deploy.environment)}*" if deploy.environment else ""
    kind = "" if deploy.type == "DEPLOY" else f" ({deploy.type.lower()})"
    sha = f" `{escaped(deploy.sha[:10])}`" if deploy.sha else ""
    return f"{title}{kind}{where}{sha} by {_who(deploy)}, {moment(deploy.timestamp)}"


def oncall_summary(oncall: OnCall | None) -> str:
    """Who is on call at the first escalation level and which source said so, as the card and
    the incident modal show it."""
    if oncall is None:
        return "_could not be read_"
    if oncall.source is None:
        asked_rootly = OnCallSource.ROOTLY in oncall.asked
        return "_not known to Cortex or Rootly_" if asked_rootly else "_no on-call integration_"
    first = [level for level in oncall.levels if level.level == oncall.levels[0].level]
    names = ", ".join(escaped(user.name) for level in first for user in level.users)
    return f"{names or '_nobody on call_'} _({oncall.source})_"


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


def service_buttons(entities: Sequence[Entity], action_id: str = ids.SHOW_SERVICE) -> list[Block]:
    """One line per service with a button: its card, or what `action_id` shows of it."""
    return [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{escaped(entity.name)}* `{escaped(entity.tag)}`"),
            accessory=button("Open", action_id, entity.tag),
        )
        for entity in entities
    ]


def suggestions(
    query: str,
    candidates: Sequence[Entity],
    maybe_subcommand: str | None = None,
    action_id: str = ids.SHOW_SERVICE,
) -> list[Block]:
    """The answer to a name Cortex does not know: the closest services, each one click away."""
    lines = [f"No service matches `{escaped(query)}`."]
    if maybe_subcommand:
        lines.append(f"Did you mean `/cortex {maybe_subcommand} …`?")
    if candidates:
        lines.append("Did you mean one of these?")
    blocks: list[Block] = [section(" ".join(lines))]
    return blocks + service_buttons(candidates, action_id)


def unknown_service_message(
    query: str,
    candidates: Sequence[Entity],
    maybe_subcommand: str | None = None,
    action_id: str = ids.SHOW_SERVICE,
) -> Message:
    """ "Did you mean" for a service: each button shows the service's card, or what `action_id`
    shows of it (its scores, for `/cortex scores`)."""
    return Message(
        f"No service matches {escaped(query)}",
        suggestions(query, candidates, maybe_subcommand, action_id),
    )


def older_data_note(because: CallError, what: str) -> str:
    """Why `what` is older cached data: our own budget for the key, or Cortex failing; never one
    said for the other."""
    cause = (
        "this workspace's Cortex budget is busy"
        if isinstance(because, BudgetBusyError)
        else "Cortex is not answering"
    )
    return f"{cause}; {what} is older cached data"


def cortex_app_url(cortex_api_url: str, path: str) -> str:
    """A page of the Cortex app: the API's host with `api.` replaced by `app.`, and `path`."""
    parsed = urlparse(cortex_api_url)
    host = parsed.netloc.removeprefix("api.")
    web_host = f"app.{host}" if parsed.netloc.startswith("api.") else host
    return f"{parsed.scheme}://{web_host}{path}"
