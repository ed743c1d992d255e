"""Async client of the Rootly REST API (the calls the bot needs, shapes from the official document).

One `RootlyClient` is one workspace's view of Rootly: the API URL and the workspace's API key.
Clients are cheap; the HTTP session, rate limiters and retry policy live in the shared `JsonApi`.
Bodies follow JSON:API: `{"data": {"type": ..., "attributes": {...}}}` out, resources back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

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
from bot.rootly.models import (
    IncidentEvent,
    Resource,
    RootlyIncident,
    RootlyOncall,
    RootlyService,
    RootlyTeam,
    RootlyUser,
    ServiceAttributes,
    TeamAttributes,
    WebhookEndpoint,
    WriteModel,
)

SERVICE_NAME = "Rootly"
JSON_API = "application/vnd.api+json"
# The document gives no maximum page size. Every page after the first is numbered from
# `meta.total_pages`, so a server that serves fewer items than asked is still read in full.
PAGE_SIZE = 100
# A listing is read in full up to 500 pages (50,000 services), four pages at a time; Rootly saying
# there are more is an error rather than unbounded work.
PAGING = Paging(size=PAGE_SIZE, max_pages=500, in_flight=4)
# The most entities one bulk upsert may carry (the official document).
BULK_LIMIT = 100
# The fields the sync writes that `bulk_upsert_services` accepts too; a service whose write needs
# another one (`owner_group_ids`, `slack_channels`) is written with its own PUT or POST.
BULK_SERVICE_FIELDS = frozenset(
    {
        "external_id",
        "name",
        "description",
        "cortex_id",
        "github_repository_name",
        "gitlab_repository_name",
        "pagerduty_id",
        "opsgenie_id",
    }
)
WEBHOOKS = "/v1/webhooks/endpoints"

ResourceT = TypeVar("ResourceT", bound=Resource)


def describe_rootly_error(payload: Any) -> ErrorDescription:
    """Rootly's own explanation: JSON:API `errors` ([{title, detail, status}]) or `{"error"}`."""
    if not isinstance(payload, dict):
        return ErrorDescription()
    errors = payload.get("errors")
    if isinstance(errors, list):
        rejected = tuple(found for item in errors if (found := _rejected_item(item)))
        lines = tuple(line for item in errors if (line := _error_line(item)))
        return ErrorDescription("; ".join(lines), lines, rejected=rejected)
    # The documented 429 body is {"error": "Rate limit exceeded. Try again later."}.
    return ErrorDescription(str(payload.get("error") or ""))


def _rejected_item(item: Any) -> tuple[str, str] | None:
    """A bulk upsert's record-level error: `{"index", "external_id", "errors": [...]}`."""
    if not isinstance(item, dict) or not isinstance(item.get("external_id"), str):
        return None
    reasons = item.get("errors")
    reason = "; ".join(map(str, reasons)) if isinstance(reasons, list) else ""
    return item["external_id"], reason or "refused"


def _error_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    if (rejected := _rejected_item(item)) is not None:
        return f"{rejected[0]}: {rejected[1]}"
    title = str(item.get("title") or "")
    detail = str(item.get("detail") or "")
    if title and detail and detail != title:
        return f"{title}: {detail}"
    return title or detail


ROOTLY = ApiSpec(SERVICE_NAME, describe_rootly_error, content_type=JSON_API)


class RootlyClient(ApiClient):
    def web_url(self, path: str) -> str:
        """A page of Rootly's web app: the API's host without `api.`, and `path`."""
        scheme, _, host = self.base_url.partition("://")
        return f"{scheme}://{host.removeprefix('api.')}{path}"

    async def check_access(self, policy: RetryPolicy | None = None) -> None:
        """The cheapest authenticated read: raises `UnauthorizedError` for a bad key."""
        await self._get("/v1/services", _page(1, size=1), policy)

    async def list_services(
        self, *, cortex_id: str | None = None, name: str | None = None
    ) -> list[RootlyService]:
        """Every service matching the filters (Rootly's own matching), all pages."""
        params = _filters(cortex_id=cortex_id, name=name)
        return await self._all_pages("/v1/services", params, RootlyService)

    async def create_service(self, attrs: ServiceAttributes) -> RootlyService:
        body = _document("services", attrs.to_attributes())
        payload = await self._write("POST", "/v1/services", body)
        return _parse_resource(RootlyService, payload)

    async def update_service(self, service_id: str, attrs: ServiceAttributes) -> RootlyService:
        """Writes only the fields `attrs` carries; Rootly leaves every other attribute alone."""
        body = _document("services", attrs.to_attributes())
        payload = await self._write("PUT", f"/v1/services/{path_segment(service_id)}", body)
        return _parse_resource(RootlyService, payload)

    async def bulk_upsert_services(
        self, services: Sequence[ServiceAttributes]
    ) -> list[RootlyService]:
        """Creates or updates up to `BULK_LIMIT` services by `external_id`, all or none.

        A refusal is `InvalidRequestError`, whose `rejected` names the refused services by
        external_id when Rootly says which; a key that may not bulk upsert gets `NotFoundError`.
        """
        payload = await self._bulk("/v1/services/bulk_upsert", services, BULK_SERVICE_FIELDS)
        return [_parse(RootlyService, item) for item in _data_list(payload)]

    async def create_team(self, attrs: TeamAttributes) -> RootlyTeam:
        payload = await self._write("POST", "/v1/teams", _document("groups", attrs.to_attributes()))
        return _parse_resource(RootlyTeam, payload)

    async def bulk_upsert_teams(self, teams: Sequence[TeamAttributes]) -> list[RootlyTeam]:
        """Creates or updates up to `BULK_LIMIT` teams by `external_id`, all or none."""
        payload = await self._bulk(
            "/v1/teams/bulk_upsert", teams, frozenset(TeamAttributes.model_fields)
        )
        return [_parse(RootlyTeam, item) for item in _data_list(payload)]

    async def list_incidents(
        self, *, statuses: Sequence[str] = (), slack_channel_id: str | None = None
    ) -> list[RootlyIncident]:
        """Matching incidents, most recently created first."""
        params: list[tuple[str, str]] = [("sort", "-created_at")]
        params += _filters(status=",".join(statuses), slack_channel_id=slack_channel_id)
        return await self._all_pages("/v1/incidents", params, RootlyIncident)

    async def get_incident(self, incident_id: str) -> RootlyIncident:
        payload = await self._get(f"/v1/incidents/{path_segment(incident_id)}")
        return _parse_resource(RootlyIncident, payload)

    async def set_incident_services(
        self, incident_id: str, service_ids: Sequence[str]
    ) -> RootlyIncident:
        """Replaces the incident's services with exactly `service_ids` (Rootly's PUT semantics)."""
        body = _document("incidents", {"service_ids": list(service_ids)})
        payload = await self._write("PUT", f"/v1/incidents/{path_segment(incident_id)}", body)
        return _parse_resource(RootlyIncident, payload)

    async def attach_services(self, incident_id: str, service_ids: Sequence[str]) -> RootlyIncident:
        """Adds services to an incident, keeping every service it already has."""
        # Rootly has no conditional update: a service someone attaches between our read and our
        # write would be dropped, so the read comes right before the write, never from a cache.
        incident = await self.get_incident(incident_id)
        merged = tuple(dict.fromkeys([*incident.service_ids, *service_ids]))
        if merged == incident.service_ids:
            return incident
        return await self.set_incident_services(incident_id, merged)

    async def list_teams(self, *, cortex_id: str | None = None) -> list[RootlyTeam]:
        """Every team (or those matched to one Cortex team), all pages."""
        return await self._all_pages("/v1/teams", _filters(cortex_id=cortex_id), RootlyTeam)

    async def list_oncalls(
        self, *, service_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
    ) -> list[RootlyOncall]:
        """Who is on call now for any of these services or teams, each with the person."""
        params = [("include", "user")]
        params += _filters(service_ids=",".join(service_ids), group_ids=",".join(group_ids))
        try:
            payload = await self._get("/v1/oncalls", params)
        except NotFoundError:
            # Rootly's answer when the account does not use Rootly On-Call (alerting disabled).
            return []
        included = [
            item
            for item in payload.get("included") or ()
            if isinstance(item, dict) and item.get("type") == "users"
        ]
        users = {user.id: user for user in (_parse(RootlyUser, item) for item in included)}
        oncalls = (_parse(RootlyOncall, item) for item in payload.get("data") or ())
        return [
            oncall.model_copy(update={"user": users.get(str(oncall.user_id))}) for oncall in oncalls
        ]

    async def add_incident_event(self, incident_id: str, text: str) -> IncidentEvent:
        """A line on the incident's timeline, visible to responders only."""
        body = _document("incident_events", {"event": text, "visibility": "internal"})
        path = f"/v1/incidents/{path_segment(incident_id)}/events"
        return _parse_resource(IncidentEvent, await self._write("POST", path, body))

    async def create_webhook_endpoint(
        self, *, name: str, url: str, secret: str, event_types: Sequence[str]
    ) -> WebhookEndpoint:
        """Registers `url` for these events; Rootly signs each delivery with `secret`."""
        attributes = {
            "name": name,
            "url": url,
            "secret": secret,
            "event_types": list(event_types),
            "enabled": True,
        }
        body = _document("webhooks_endpoints", attributes)
        return _parse_resource(WebhookEndpoint, await self._write("POST", WEBHOOKS, body))

    async def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        # Deleting twice changes nothing more, so a failed attempt may be retried.
        path = f"{WEBHOOKS}/{path_segment(endpoint_id)}"
        await self._request("DELETE", path, idempotent=True)

    async def _all_pages(
        self, path: str, params: QueryParams, model: type[ResourceT]
    ) -> list[ResourceT]:
        def fetch(number: int) -> Awaitable[Any]:
            return self._get(path, [*params, *_page(number)])

        def read(page: Any) -> list[ResourceT]:
            return [_parse(model, item) for item in page.get("data") or ()]

        pages = await read_pages(
            SERVICE_NAME,
            PAGING,
            fetch,
            first=1,
            total_pages_of=_total_pages,
            items_of=lambda page: page.get("data") or (),
            read=read,
        )
        # A resource created while we page can shift another onto the next page: keep it once.
        found: dict[str, ResourceT] = {}
        for resource in (resource for page in pages for resource in page):
            found.setdefault(resource.id, resource)
        return list(found.values())

    async def _get(
        self, path: str, params: QueryParams = (), policy: RetryPolicy | None = None
    ) -> Any:
        payload = await self._request("GET", path, params=params, policy=policy)
        if not isinstance(payload, dict):
            raise UnreadableAnswerError(SERVICE_NAME, "no JSON:API document")
        return payload

    async def _bulk(
        self, path: str, entities: Sequence[WriteModel], accepted: frozenset[str]
    ) -> Any:
        items = [entity.to_attributes() for entity in entities]
        if not 0 < len(items) <= BULK_LIMIT or any(
            not item.get("external_id") or not accepted.issuperset(item) for item in items
        ):
            raise ValueError(f"a bulk upsert takes 1 to {BULK_LIMIT} entities of known fields")
        # An upsert keyed by external_id may be sent again safely, so 5xx and timeouts are retried.
        return await self._request("POST", path, body={"entities": items}, idempotent=True)

    async def _write(self, method: str, path: str, body: dict[str, Any]) -> Any:
        # Never retried after a 5xx or a timeout: the write may have been applied, and the sync
        # and the incident modal re-read before they write again. A 429 is still retried.
        return await self._request(method, path, body=body, idempotent=False)


def _document(resource_type: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": resource_type, "attributes": attributes}}


def _page(number: int, size: int = PAGE_SIZE) -> list[tuple[str, str]]:
    return [("page[number]", str(number)), ("page[size]", str(size))]


def _filters(**values: str | None) -> list[tuple[str, str]]:
    return [(f"filter[{name}]", value) for name, value in values.items() if value]


def _total_pages(payload: dict[str, Any]) -> int:
    meta = payload.get("meta")
    total = meta.get("total_pages") if isinstance(meta, dict) else None
    return total if isinstance(total, int) and total > 0 else 1


def _data_list(payload: Any) -> list[Any]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise UnreadableAnswerError(SERVICE_NAME, "a bulk upsert answered with no list")
    return data


def _parse_resource(model: type[ResourceT], payload: Any) -> ResourceT:
    return _parse(model, payload.get("data") if isinstance(payload, dict) else None)


def _parse(model: type[ResourceT], item: Any) -> ResourceT:
    return parsed(SERVICE_NAME, model, item)
