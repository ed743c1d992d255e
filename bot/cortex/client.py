"""Async client of the Cortex REST API (the calls the bot needs, shapes from the official document).

One `CortexClient` is one workspace's view of one Cortex instance: its base URL (a workspace may
use a self-managed Cortex) and its API key. Clients are cheap; the HTTP session, rate limiters
and retry policy live in the shared `JsonApi`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.cortex.models import (
    CustomEvent,
    Dependency,
    Deploy,
    Entity,
    EntityDetails,
    ListingPage,
    NewCustomEvent,
    NewDeploy,
    NextSteps,
    OncallCurrent,
    OncallLevel,
    OncallRegistration,
    Scorecard,
    ScorecardScore,
    ScorecardScores,
    Team,
    Teams,
)
from bot.errors import NotFoundError, UnreadableAnswerError
from bot.http import (
    ApiClient,
    ApiSpec,
    ErrorDescription,
    Paging,
    QueryParams,
    RetryPolicy,
    parsed,
    path_segment,
    read_pages,
)

SERVICE_NAME = "Cortex"
PAGE_SIZE = 1000
# A listing is read in full up to 100 pages (100,000 entities, deploys of one service, or scores
# on one scorecard), four pages at a time; Cortex saying there are more is an error rather than
# unbounded work.
PAGING = Paging(size=PAGE_SIZE, max_pages=100, in_flight=4)
# Cortex answers 404 with one of these codes when an entity has no on-call integration.
ONCALL_NOT_REGISTERED = frozenset({"INTEGRATION_UNREGISTERED", "INTEGRATION_MISSING"})

ModelT = TypeVar("ModelT", bound=BaseModel)
PageT = TypeVar("PageT")


def describe_cortex_error(payload: Any) -> ErrorDescription:
    """Cortex's own explanation from an ErrorResponse or problem+json body."""
    if not isinstance(payload, dict):
        return ErrorDescription()
    message = str(payload.get("message") or payload.get("detail") or payload.get("title") or "")
    details = payload.get("details") or payload.get("violations") or ()
    if isinstance(details, str):
        details = (details,)
    code = payload.get("type") if isinstance(payload.get("type"), str) else None
    return ErrorDescription(message, tuple(str(item) for item in details), code)


CORTEX = ApiSpec(SERVICE_NAME, describe_cortex_error)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class CortexClient(ApiClient):
    async def list_entities(
        self,
        *,
        query: str | None = None,
        types: Sequence[str] = (),
        groups: Sequence[str] = (),
        owners: Sequence[str] = (),
        include_archived: bool = False,
    ) -> list[Entity]:
        """Every matching entity, all pages, with owners, links and Slack channels."""
        params: list[tuple[str, str]] = [
            ("includeArchived", _bool(include_archived)),
            ("includeOwners", "true"),
            ("includeLinks", "true"),
            ("includeSlackChannels", "true"),
        ]
        if query:
            params.append(("query", query))
        params += [("types", value) for value in types]
        params += [("groups", value) for value in groups]
        params += [("owners", value) for value in owners]
        return await self._all_pages("/api/v1/catalog", params, "entities", Entity)

    async def check_access(self, policy: RetryPolicy | None = None) -> None:
        """The cheapest authenticated read: raises `UnauthorizedError` for a bad key."""
        await self._get("/api/v1/catalog", [("page", "0"), ("pageSize", "1")], policy)

    async def get_entity(self, tag: str) -> EntityDetails:
        payload = await self._get(
            f"/api/v1/catalog/{path_segment(tag)}", [("includeOwners", "true")]
        )
        return _parse(EntityDetails, payload)

    async def list_deploys(self, tag: str) -> list[Deploy]:
        """All deploys of an entity, newest first."""
        deploys = await self._all_pages(
            f"/api/v1/catalog/{path_segment(tag)}/deploys", [], "deployments", Deploy
        )
        return sorted(deploys, key=lambda deploy: deploy.timestamp, reverse=True)

    async def add_deploy(self, tag: str, deploy: NewDeploy) -> Deploy:
        payload = await self._post(f"/api/v1/catalog/{path_segment(tag)}/deploys", deploy)
        return _parse(Deploy, payload)

    async def list_custom_events(
        self,
        tag: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        event_type: str | None = None,
    ) -> list[CustomEvent]:
        """Custom events of an entity in a time window, newest first."""
        params: list[tuple[str, str]] = []
        if start is not None:
            params.append(("startTime", _iso(start)))
        if end is not None:
            params.append(("endTime", _iso(end)))
        if event_type:
            params.append(("type", event_type))
        events = await self._all_pages(
            f"/api/v1/catalog/{path_segment(tag)}/custom-events", params, "events", CustomEvent
        )
        return sorted(events, key=lambda event: event.timestamp, reverse=True)

    async def add_custom_event(self, tag: str, event: NewCustomEvent) -> CustomEvent:
        payload = await self._post(f"/api/v1/catalog/{path_segment(tag)}/custom-events", event)
        return _parse(CustomEvent, payload)

    async def get_scorecard_scores(self, tag: str) -> list[ScorecardScore]:
        payload = await self._get(f"/api/v1/catalog/{path_segment(tag)}/scorecards")
        return [_parse(ScorecardScore, item) for item in _listed(payload)]

    async def list_scorecards(self) -> list[Scorecard]:
        """Every scorecard's definition (name, levels, rules), drafts left out, all pages."""
        return await self._all_pages("/api/v1/scorecards", [], "scorecards", Scorecard)

    async def list_service_scores(
        self, scorecard_tag: str, *, entity_tag: str | None = None
    ) -> ScorecardScores:
        """Every entity's score on one scorecard (or one entity's), all pages.

        A scorecard can cover thousands of entities: the official document gives the answer no
        page count, but Cortex sends `totalPages` as its other listings do, and it is read here.
        """
        params = [("entityTag", entity_tag)] if entity_tag else []
        path = f"/api/v1/scorecards/{path_segment(scorecard_tag)}/scores"
        pages = await self._pages(
            path, params, "serviceScores", lambda page: _parse(ScorecardScores, page)
        )
        scores = tuple(score for page in pages for score in page.service_scores)
        return pages[0].model_copy(update={"service_scores": scores})

    async def get_next_steps(self, scorecard_tag: str, entity_tag: str) -> NextSteps:
        """The rules an entity must pass to reach the scorecard's next level."""
        payload = await self._get(
            f"/api/v1/scorecards/{path_segment(scorecard_tag)}/next-steps",
            [("entityTag", entity_tag)],
        )
        return _parse(NextSteps, payload)

    async def list_teams(self) -> list[Team]:
        """Every team with members, and who they are (one answer: Cortex does not page it)."""
        return list(_parse(Teams, await self._get("/api/v1/teams")).teams)

    async def get_current_oncall(self, tag: str) -> list[OncallLevel] | None:
        """Who is on call now, per provider and escalation level, lowest level first; None when
        the entity has no on-call integration registered (an answer, not a failure)."""
        try:
            payload = await self._get(
                f"/api/v1/catalog/{path_segment(tag)}/integrations/oncall/current"
            )
        except NotFoundError as error:
            if error.code in ONCALL_NOT_REGISTERED:
                return None
            raise
        return sorted(_oncall_levels(payload), key=lambda level: (level.level, level.provider))

    async def get_oncall_registrations(self, tag: str) -> list[OncallRegistration]:
        """The on-call providers the entity is registered with; none is an answer (404)."""
        try:
            payload = await self._get(
                f"/api/v1/catalog/{path_segment(tag)}/integrations/oncall/registration"
            )
        except NotFoundError:
            return []
        return [_parse(OncallRegistration, item) for item in _listed(payload)]

    async def list_dependencies(self, tag: str) -> list[Dependency]:
        """Outgoing dependencies; Cortex answers 404 when an entity has none."""
        try:
            payload = await self._get(
                f"/api/v1/catalog/{path_segment(tag)}/dependencies",
                [("includeOutgoing", "true"), ("page", "0"), ("pageSize", str(PAGE_SIZE))],
            )
        except NotFoundError:
            return []
        return [_parse(Dependency, item) for item in _dependency_items(payload)]

    async def _all_pages(
        self, path: str, params: QueryParams, items_field: str, model: type[ModelT]
    ) -> list[ModelT]:
        def read(page: Any) -> list[ModelT]:
            return [_parse(model, item) for item in _items(page, items_field)]

        pages = await self._pages(path, params, items_field, read)
        return [item for page in pages for item in page]

    async def _pages(
        self, path: str, params: QueryParams, items_field: str, read: Callable[[Any], PageT]
    ) -> list[PageT]:
        """Every page of a listing (its items under `items_field`), within `PAGING`. Each is read
        as it arrives, so a long listing never holds the event loop for all of it at once."""

        def fetch(page: int) -> Awaitable[Any]:
            return self._get(path, [*params, ("page", str(page)), ("pageSize", str(PAGE_SIZE))])

        return await read_pages(
            SERVICE_NAME,
            PAGING,
            fetch,
            first=0,
            total_pages_of=lambda page: _parse(ListingPage, page).total_pages or 1,
            items_of=lambda page: _items(page, items_field),
            read=read,
        )

    async def _get(
        self, path: str, params: QueryParams = (), policy: RetryPolicy | None = None
    ) -> Any:
        return await self._request("GET", path, params=params, policy=policy)

    async def _post(self, path: str, body: BaseModel) -> Any:
        payload = body.model_dump(mode="json", by_alias=True, exclude_none=True)
        return await self._request("POST", path, body=payload)


def _parse(model: type[ModelT], payload: Any) -> ModelT:
    return parsed(SERVICE_NAME, model, payload)


def _oncall_levels(payload: Any) -> Iterable[OncallLevel]:
    # The answer is a list of {current: [{provider, escalations: [{escalationLevel, schedules}]}]}.
    for block in _listed(payload):
        for provider in _parse(OncallCurrent, block).current:
            for escalation in provider.escalations:
                yield OncallLevel(
                    provider=provider.provider,
                    level=escalation.escalation_level,
                    users=tuple(
                        schedule.user for schedule in escalation.schedules if schedule.user
                    ),
                )


def _listed(payload: Any) -> list[Any]:
    """An answer that should be a list (an empty answer is an empty list)."""
    if payload is None:
        return []
    if not isinstance(payload, list):
        raise UnreadableAnswerError(SERVICE_NAME, "an object where a list belongs")
    return payload


def _items(page: Any, items_field: str) -> list[Any]:
    """The items of one page of a listing."""
    if not isinstance(page, dict):
        raise UnreadableAnswerError(SERVICE_NAME, "a page of a listing that is not an object")
    return _listed(page.get(items_field))


def _dependency_items(payload: Any) -> list[Any]:
    # The official document describes one dependency object; a paged {dependencies: [...]} answer
    # and a bare list are accepted too, so a Cortex version that pages them still works.
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("dependencies"), list):
        return list(payload["dependencies"])
    if isinstance(payload, dict) and payload.get("calleeTag"):
        return [payload]
    return []
