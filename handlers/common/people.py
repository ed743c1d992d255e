"""People as Slack shows them: a Cortex or Rootly person (a name and an email) becomes a mention of
the workspace member with that email (`users.lookupByEmail`, scope `users:read.email`); someone
Slack does not know by that email shows by name. Any feature may use it:

    people = await slack_people(invocation.client, invocation.services, team_id, emails)
    people.show("Ana Lima", "ana@example.com")   # <@U123>, or "Ana Lima"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UnavailableError
from bot.people import email_key
from bot.services import Services
from handlers.common.mrkdwn import Mrkdwn, escaped, mention

# Slack's answers for an email that is no member's (or a deactivated one's).
NOT_A_MEMBER = frozenset({"users_not_found", "user_not_found"})


@dataclass(frozen=True)
class People:
    """Slack member IDs by lowercased email."""

    members: Mapping[str, str] = field(default_factory=dict)

    def show(self, name: str | None, email: str | None) -> Mrkdwn:
        member = self.members.get(email_key(email))
        return mention(member) if member else escaped(name or email or "someone")


NOBODY_KNOWN = People()


async def slack_people(
    client: AsyncWebClient, services: Services, team_id: str, emails: Iterable[str | None]
) -> People:
    """The members these emails belong to, as far as Slack says; a failure only leaves some
    people shown by name."""

    async def lookup(email: str) -> str | None:
        try:
            answer = await client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code in NOT_A_MEMBER:
                return None
            raise UnavailableError("Slack", f"users.lookupByEmail: {code}") from None
        user = answer.get("user") or {}
        return None if user.get("deleted") else str(user.get("id") or "") or None

    return People(await services.members.members(team_id, emails, lookup))
