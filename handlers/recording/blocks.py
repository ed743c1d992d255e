"""What the channel is told when someone records a deploy or an event: news, read at a glance.

    :rocket: @ana deployed *Payments API* `v1.2.3` to *production*          [Open card]
    :rewind: @ana *rolled back* *Payments API* to `v1.2.2` in *production*  [Open card]
    :pushpin: @ana added *Flag on* (FEATURE_FLAG) to *Payments API*          [Open card]

The person is named once (the Slack mention: Cortex records them as the deployer), the service by
its name, and the time only when it is not now (a deploy or event recorded after the fact).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.cortex.models import CustomEvent, Deploy, DeployType
from handlers.common import ids
from handlers.common.kit import Message, actions, button, section
from handlers.common.mrkdwn import Mrkdwn, cut, link, mention, moment

# A recorded time this close to now is now: it is not repeated.
NOW_ENOUGH = timedelta(minutes=5)
# Room for a title and a service name, so that one line of news stays one line or two.
TITLE_ROOM = 150
NAME_ROOM = 150
VERBS = {DeployType.SCALE: "scaled", DeployType.RESTART: "restarted"}


def _when(recorded_at: datetime, now: datetime) -> Mrkdwn:
    if abs(now - recorded_at) <= NOW_ENOUGH:
        return Mrkdwn("")
    return Mrkdwn(", {}").format(moment(recorded_at))


def _news(text: Mrkdwn, tag: str) -> Message:
    return Message(text, [section(text), *actions(button("Open card", ids.SHOW_SERVICE, tag))])


def deploy_recorded(
    user_id: str, name: str, tag: str, deploy: Deploy, now: datetime | None = None
) -> Message:
    """`name`: the service's name as Cortex has it (its tag when it has none)."""
    title = cut(deploy.title, TITLE_ROOM)
    # A link's label cannot be code: a linked title is plain.
    what = link(deploy.url, title) if deploy.url else Mrkdwn("`{}`").format(title)
    service = cut(name, NAME_ROOM)
    who = mention(user_id)
    environment = deploy.environment
    if deploy.type is DeployType.ROLLBACK:
        where = Mrkdwn(" in *{}*").format(environment) if environment else ""
        said = Mrkdwn(":rewind: {} *rolled back* *{}* to {}{}").format(who, service, what, where)
    else:
        where = Mrkdwn(" to *{}*").format(environment) if environment else ""
        icon = ":rocket:" if deploy.type is DeployType.DEPLOY else ":gear:"
        verb = VERBS.get(deploy.type, "deployed")
        said = Mrkdwn("{} {} {} *{}* {}{}").format(icon, who, verb, service, what, where)
    sha = Mrkdwn(" · `{}`").format(deploy.sha[:12]) if deploy.sha else ""
    return _news(
        Mrkdwn("{}{}{}").format(said, sha, _when(deploy.timestamp, now or datetime.now(UTC))), tag
    )


def event_recorded(
    user_id: str, name: str, tag: str, event: CustomEvent, now: datetime | None = None
) -> Message:
    text = Mrkdwn(":pushpin: {} added *{}* ({}) to *{}*{}").format(
        mention(user_id),
        link(event.url, cut(event.title, TITLE_ROOM)),
        event.type,
        cut(name, NAME_ROOM),
        _when(event.timestamp, now or datetime.now(UTC)),
    )
    return _news(text, tag)
