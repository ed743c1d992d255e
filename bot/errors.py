"""Domain errors the bot knows how to explain to a person.

Listeners never format these themselves: one error handler maps each type to a sentence. Messages
carry what an operator needs (service, status, the API's own explanation) and never a credential.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cortex.models import Entity, Scorecard


class BotError(Exception):
    """Base class of every error with a known meaning for users."""


class NotConnectedError(BotError):
    """The workspace has no Cortex connection yet: an admin must run `/cortex connect`."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"workspace {team_id} is not connected to Cortex")
        self.team_id = team_id


class NotAdminError(BotError):
    """The user asked for something only workspace admins (or BOT_ADMINS) may do."""

    def __init__(self, user_id: str, action: str) -> None:
        super().__init__(f"user {user_id} is not an admin and cannot {action}")
        self.user_id = user_id
        self.action = action


class UnknownServiceError(BotError):
    """No service in the workspace's catalog is the one the person named; the closest ones are."""

    def __init__(self, query: str, suggestions: Sequence[Entity] = ()) -> None:
        super().__init__(f"no service matches {query!r}")
        self.query = query
        self.suggestions = tuple(suggestions)


class UnknownScorecardError(BotError):
    """No scorecard of the workspace's Cortex is the one the person named; the closest ones are."""

    def __init__(self, query: str, suggestions: Sequence[Scorecard] = ()) -> None:
        super().__init__(f"no scorecard matches {query!r}")
        self.query = query
        self.suggestions = tuple(suggestions)


class CallError(BotError):
    """A call to an outside API gave no answer: the API failed (`ApiError`), or the bot's own
    budget for the key would have made it late (`BudgetBusyError`). Either way, what is cached or
    known without it can still be shown."""

    def __init__(self, service: str, detail: str, message: str) -> None:
        super().__init__(message)
        self.service = service
        self.detail = detail


class ApiError(CallError):
    """A call to an outside API (Cortex, Rootly) failed."""

    def __init__(
        self, service: str, detail: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        self.status = status
        # The API's own machine-readable kind of error, where it gives one.
        self.code = code
        suffix = f" (HTTP {status})" if status is not None else ""
        super().__init__(service, detail, f"{service}: {detail}{suffix}")


class BudgetBusyError(CallError):
    """The key's request budget is taken (by this workspace's own traffic, or Cortex's 429 pause):
    waiting in our queue would miss the answer's deadline. Not Cortex's failure: Cortex was never
    asked."""

    def __init__(self, service: str, retry_in: float) -> None:
        self.retry_in = max(1, math.ceil(retry_in))
        super().__init__(
            service,
            f"this workspace's {service} budget is busy; try again in {self.retry_in} s",
            f"{service}: the request budget is busy for another {self.retry_in} s",
        )


class NotFoundError(ApiError):
    """The thing asked for does not exist (HTTP 404)."""


class UnauthorizedError(ApiError):
    """The API key is wrong, expired or lacks permission (HTTP 401/403)."""


class RateLimitedError(ApiError):
    """The API asked us to slow down (HTTP 429), and waiting longer did not fit the deadline."""

    def __init__(
        self, service: str, detail: str, *, retry_after: float | None, status: int | None = 429
    ) -> None:
        super().__init__(service, detail, status=status)
        self.retry_after = retry_after


class UnavailableError(ApiError):
    """The API could not be reached or failed (5xx, timeout, connection)."""

    def __init__(
        self, service: str, detail: str, *, status: int | None = None, retryable: bool = True
    ) -> None:
        super().__init__(service, detail, status=status)
        self.retryable = retryable


class UnreadableAnswerError(UnavailableError):
    """The API answered, but with something the bot cannot read: not JSON, or not the shape its
    document gives (a list where an object belongs, a page count that is not a number)."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(service, detail, retryable=False)


class OversizeAnswerError(ApiError):
    """The API answered more than the bot reads for one call: a body over the size cap, a listing
    over the page cap, a page with more items than asked for. Not retried."""


class InvalidRequestError(ApiError):
    """The API rejected what we sent (HTTP 400/422), with its own explanation."""

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = 400,
        violations: tuple[str, ...] = (),
    ) -> None:
        super().__init__(service, detail, status=status)
        self.violations = violations
        # For a batch: the items the API refused, by their key, each with the API's reason.
        self.rejected: dict[str, str] = {}


class KeyNotEnteredForUrlError(BotError):
    """A new Cortex URL without the key entered again: a stored key is only ever sent to the URL
    it was entered for."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"workspace {team_id}: a new Cortex URL needs its key entered again")
        self.team_id = team_id


class RootlyNotConnectedError(BotError):
    """The workspace has no Rootly API key: an admin must add one with `/cortex connect`."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"workspace {team_id} has no Rootly API key")
        self.team_id = team_id


class SyncInProgressError(BotError):
    """A Cortex → Rootly sync of this workspace is already running (in this or another process)."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"a sync of workspace {team_id} is already running")
        self.team_id = team_id


class EmptyCatalogError(BotError):
    """Cortex listed no services at all: the sync stops before writing anything."""

    def __init__(self) -> None:
        super().__init__("Cortex listed no services, so the sync stopped before writing anything")


class LeaseLostError(BotError):
    """Another process took over a lease this one held (it could not renew it in time)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"lost the lease {name} to another process")
        self.name = name


class ChannelsUnavailableError(BotError):
    """The workspace's Slack channels could not be listed (to resolve channel names to ids)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Slack channels could not be listed: {reason}")
        self.reason = reason


class PublicUrlMissingError(BotError):
    """Something needs the bot's public address (PUBLIC_URL), and the operator has not set it."""

    def __init__(self) -> None:
        super().__init__("PUBLIC_URL is not set, so Rootly has no address to send webhooks to")
