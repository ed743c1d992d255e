"""A stateful fake of the Rootly REST API, speaking the JSON:API shapes of the official document.

Tests seed it with services, teams and incidents, queue faults (429, 5xx, slow answers, bad JSON),
and assert on the requests it received. Like Rootly it counts each API key's reads and writes in a
sliding window and answers 429 past the quota, with `X-RateLimit-*` headers on every answer
(see `Quota` for the numbers; `refused` counts the 429s). Bulk upserts behave as the document
describes them: at most 100 entities keyed by an `external_id` unique in the batch, only the
attributes present written, all or nothing, each refused record named with its index. Like Rootly,
a service or team name is taken once. Every exchange is checked against
`../shared/specs/rootly-openapi.json`; violations are collected in `violations`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.contract import SPECS_PRESENT, load_contract
from tests.support.fakes import cortex
from tests.support.fakes.contract_fake import ContractFake
from tests.support.fakes.cortex import iso

ROOTLY_KEY = "rootly-test-key-0123456789abcdef"
JSON_API = "application/vnd.api+json"
# The body the document's description gives for a 429.
RATE_LIMITED_BODY = {"error": "Rate limit exceeded. Try again later."}
DEFAULT_PAGE_SIZE = 20
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BULK_LIMIT = 100
NAME_TAKEN = "Name has already been taken"

Resources = dict[str, dict[str, Any]]
Handler = Callable[["FakeRootly", web.Request, str], Awaitable[web.Response]]


def jsonapi_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(payload), status=status, content_type=JSON_API, headers=headers
    )


def error_response(status: int, title: str, detail: str | None = None) -> web.Response:
    error = {"title": title, "status": str(status)}
    if detail:
        error["detail"] = detail
    return jsonapi_response({"errors": [error]}, status)


def rate_limited(headers: dict[str, str]) -> web.Response:
    return jsonapi_response(RATE_LIMITED_BODY, 429, headers)


@dataclass
class Fault(cortex.Fault):
    """A planned misbehaviour; a 429 carries `Retry-After` and/or `X-RateLimit-Reset`."""

    reset_in: int | None = None

    def response(self) -> web.Response | None:
        if self.bad_json:
            return web.Response(text="{not json", content_type=JSON_API)
        if self.status == 429:
            headers = {"X-RateLimit-Remaining": "0"}
            if self.retry_after is not None:
                headers["Retry-After"] = str(self.retry_after)
            if self.reset_in is not None:
                headers["X-RateLimit-Reset"] = str(math.ceil(time.time()) + self.reset_in)
            return rate_limited(headers)
        if self.status >= 400:
            return error_response(self.status, "Planned failure", "the fake was told to fail")
        return None  # a pure delay: the normal answer follows


@dataclass(frozen=True)
class Quota:
    """Rootly's per-key limits: reads and writes are counted apart, over a sliding window.

    The defaults are the limits of Rootly's public API reference; the bundled swagger.json
    says 5 and 3 per minute, placeholders that `Quota(reads=5, writes=3)` reproduces if wanted.
    """

    reads: int = 3000
    writes: int = 3000
    window: float = 60.0


class _NotFound(Exception):
    pass


@dataclass
class FakeRootly(ContractFake):
    CONTRACT = "rootly-openapi.json"
    ERROR_SCHEMA = "errors_list"
    API_PREFIX = "/v1/"

    api_keys: set[str] = field(default_factory=lambda: {ROOTLY_KEY})
    # None turns the quota off; the default is Rootly's documented one.
    quota: Quota | None = field(default_factory=Quota)
    # Pages hold at most this many items whatever `page[size]` asks, as some servers do.
    max_page_size: int = 1000
    services: Resources = field(default_factory=dict)
    teams: Resources = field(default_factory=dict)
    incidents: Resources = field(default_factory=dict)
    incident_services: dict[str, list[str]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Escalation policies (with the services and teams they page for) and who is on call now.
    escalation_policies: Resources = field(default_factory=dict)
    oncalls: list[dict[str, Any]] = field(default_factory=list)
    # False: the key is "record-scoped" and bulk upserts answer 404, as the document says.
    bulk_allowed: bool = True
    # False: a refused bulk upsert says only that the batch failed, not which record (errors_list).
    names_refused_records: bool = True
    refused: int = 0
    incident_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook_endpoints: Resources = field(default_factory=dict)
    # The status creating a webhook endpoint answers with instead, as for a key that may not.
    refuse_webhooks: int | None = None
    _calls: dict[tuple[str, bool], deque[float]] = field(default_factory=dict, repr=False)
    _indexes: dict[int, _Index] = field(default_factory=dict, repr=False)

    # --- seeding -------------------------------------------------------------------------------

    def add_service(
        self,
        name: str,
        *,
        cortex_id: str | None = None,
        description: str | None = None,
        **attributes: Any,
    ) -> str:
        """Stores a service and returns its id; extra attributes are fields the sync must keep."""
        return self.store_service(
            {"name": name, "cortex_id": cortex_id, "description": description, **attributes}
        )

    def add_incident(
        self,
        title: str,
        *,
        status: str = "started",
        slack_channel_id: str | None = None,
        service_ids: tuple[str, ...] = (),
        created_at: datetime | None = None,
        severity: str | None = None,
    ) -> str:
        incident_id = str(uuid.uuid4())
        created = iso(created_at or datetime.now(UTC))
        self.incidents[incident_id] = {
            "title": title,
            "slug": _slug(title),
            "sequential_id": len(self.incidents) + 1,
            "status": status,
            "url": f"https://rootly.com/account/incidents/{incident_id}",
            "slack_channel_id": slack_channel_id,
            "started_at": created,
            "created_at": created,
            "updated_at": created,
        }
        if severity is not None:
            self.incidents[incident_id]["severity"] = _severity(severity, created)
        self.incident_services[incident_id] = list(service_ids)
        return incident_id

    def add_team(
        self, name: str, *, cortex_id: str | None = None, external_id: str | None = None
    ) -> str:
        return _store(
            self, self.teams, {"name": name, "cortex_id": cortex_id, "external_id": external_id}
        )

    def add_user(self, full_name: str, email: str) -> int:
        user_id = len(self.users) + 1
        now = iso(datetime.now(UTC))
        self.users[user_id] = {
            "email": email,
            "full_name": full_name,
            "created_at": now,
            "updated_at": now,
        }
        return user_id

    def add_escalation_policy(
        self, name: str, *, service_ids: tuple[str, ...] = (), group_ids: tuple[str, ...] = ()
    ) -> str:
        policy_id = str(uuid.uuid4())
        self.escalation_policies[policy_id] = {
            "name": name,
            "service_ids": list(service_ids),
            "group_ids": list(group_ids),
        }
        return policy_id

    def put_on_call(
        self, policy_id: str, user_id: int, *, level: int = 1, schedule: str | None = None
    ) -> None:
        """`user_id` is on call now at `level` of the escalation policy, for a day, through the
        named schedule when given."""
        now = datetime.now(UTC)
        self.oncalls.append(
            {
                "escalation_policy_id": policy_id,
                "escalation_policy_name": self.escalation_policies[policy_id]["name"],
                "escalation_level": level,
                "user_id": user_id,
                "schedule_id": str(uuid.uuid5(uuid.NAMESPACE_URL, schedule)) if schedule else None,
                "schedule_name": schedule,
                "starts_at": iso(now.replace(hour=0, minute=0, second=0, microsecond=0)),
                "ends_at": iso(now.replace(hour=23, minute=59, second=59, microsecond=0)),
            }
        )

    def page(
        self,
        policy: str,
        people: Sequence[tuple[str, str]],
        *,
        service_ids: tuple[str, ...] = (),
        group_ids: tuple[str, ...] = (),
        schedule: str | None = None,
    ) -> str:
        """A new escalation policy for these services or teams, with each (name, email) on call
        now at the next level (the first at level 1), through `schedule` when given; returns the
        policy's id."""
        policy_id = self.add_escalation_policy(policy, service_ids=service_ids, group_ids=group_ids)
        for level, (name, email) in enumerate(people, start=1):
            self.put_on_call(policy_id, self.add_user(name, email), level=level, schedule=schedule)
        return policy_id

    def store_service(self, attributes: dict[str, Any]) -> str:
        return _store(self, self.services, attributes)

    def index(self, resources: Resources) -> _Index:
        """Names and external ids of `services` or `teams`: change those two through the
        fake (seeding or the API), never by editing the dicts, so the index stays true."""
        return self._indexes.setdefault(id(resources), _Index())

    def use_quota(self, api_key: str, *, reads: int = 0, writes: int = 0) -> None:
        """Spend some of a key's quota as another tool using the same key would."""
        for read, count in ((True, reads), (False, writes)):
            for _ in range(count):
                self._spend(api_key, read)

    def bulk_requests(self, resource: str = "services") -> list[Any]:
        return self.requests_to(f"/v1/{resource}/bulk_upsert", "POST")

    # --- rendering -----------------------------------------------------------------------------

    def service_resource(self, service_id: str) -> dict[str, Any]:
        return {"id": service_id, "type": "services", "attributes": self.services[service_id]}

    def team_resource(self, team_id: str) -> dict[str, Any]:
        return {"id": team_id, "type": "groups", "attributes": self.teams[team_id]}

    def incident_resource(self, incident_id: str) -> dict[str, Any]:
        # The document gives each of an incident's services as a whole service_response.
        services = [
            {"data": self.service_resource(service_id)}
            for service_id in self.incident_services[incident_id]
        ]
        attributes = {**self.incidents[incident_id], "services": services}
        return {"id": incident_id, "type": "incidents", "attributes": attributes}

    # --- webhook deliveries, as Rootly sends them ------------------------------------------------

    def delivery_body(
        self, event_type: str, incident_id: str, *, event_id: str | None = None
    ) -> bytes:
        """What Rootly POSTs: the event, and the incident as it is now."""
        incident = self.incident_resource(incident_id)
        body = {
            "event": {
                "id": event_id or str(uuid.uuid4()),
                "type": event_type,
                "issued_at": iso(datetime.now(UTC)),
            },
            "data": {"id": incident_id, **incident["attributes"]},
        }
        return json.dumps(body).encode()

    def endpoint_for(self, url_prefix: str) -> dict[str, Any]:
        """The one registered endpoint whose URL starts with `url_prefix`."""
        (found,) = [e for e in self.webhook_endpoints.values() if e["url"].startswith(url_prefix)]
        return found

    # --- the HTTP side -------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        api_key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if api_key not in self.api_keys:
            return error_response(401, "Unauthorized", "Invalid API key")
        allowed, limit_headers = self._spend(api_key, request.method in READ_METHODS)
        if not allowed:
            return rate_limited(limit_headers)
        response = await self._route(request)
        response.headers.update(limit_headers)
        return response

    async def _route(self, request: web.Request) -> web.Response:
        for method, pattern, handler in ROUTES:
            found = pattern.fullmatch(request.path)
            if found and method == request.method:
                try:
                    return await handler(self, request, found.groupdict().get("id", ""))
                except _NotFound:
                    return error_response(404, "Not found", "Resource not found")
        return error_response(
            404, "Not found", f"no fake route for {request.method} {request.path}"
        )

    def _spend(self, api_key: str, read: bool) -> tuple[bool, dict[str, str]]:
        """Counts one call against the key's quota: whether it is allowed, and the headers."""
        if self.quota is None:
            return True, {}
        limit = self.quota.reads if read else self.quota.writes
        window = self.quota.window
        now = time.monotonic()
        calls = self._calls.setdefault((api_key, read), deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        allowed = len(calls) < limit
        if allowed:
            calls.append(now)
        else:
            self.refused += 1
        resets_in = calls[0] + window - now if calls else window
        return allowed, {
            "X-RateLimit-Limit": f"{limit}, {limit};window={window:g}",
            "X-RateLimit-Remaining": str(limit - len(calls)),
            "X-RateLimit-Used": str(len(calls)),
            "X-RateLimit-Reset": str(math.ceil(time.time() + resets_in)),
        }


def _name_key(name: Any) -> str:
    return str(name).strip().casefold()


@dataclass
class _Index:
    """Who holds each name and each external_id of one kind of resource (Rootly checks both on
    every write), kept up to date by the fake's own writes so a check costs no scan."""

    names: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    external_ids: dict[str, str] = field(default_factory=dict)

    def add(self, resource_id: str, attributes: dict[str, Any]) -> None:
        self.names[_name_key(attributes.get("name", ""))].add(resource_id)
        if attributes.get("external_id"):
            self.external_ids[attributes["external_id"]] = resource_id

    def remove(self, resource_id: str, attributes: dict[str, Any]) -> None:
        self.names[_name_key(attributes.get("name", ""))].discard(resource_id)
        if self.external_ids.get(attributes.get("external_id") or "") == resource_id:
            del self.external_ids[attributes["external_id"]]

    def name_taken(self, name: Any, but: str | None) -> bool:
        return bool(self.names[_name_key(name)] - {but})


def _store(fake: FakeRootly, resources: Resources, attributes: dict[str, Any]) -> str:
    resource_id = str(uuid.uuid4())
    now = iso(datetime.now(UTC))
    resources[resource_id] = {
        "slug": _slug(attributes["name"]),
        "created_at": now,
        "updated_at": now,
        **attributes,
    }
    fake.index(resources).add(resource_id, resources[resource_id])
    return resource_id


def _write(fake: FakeRootly, resources: Resources, resource_id: str, attributes: Any) -> None:
    index = fake.index(resources)
    index.remove(resource_id, resources[resource_id])
    resources[resource_id].update(attributes, updated_at=iso(datetime.now(UTC)))
    index.add(resource_id, resources[resource_id])


def sign_delivery(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Rootly's signature header: HMAC-SHA256 of the timestamp followed by the raw body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).hexdigest()
    return {"X-Rootly-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def _existing(resources: Resources, reference: str) -> str:
    """The id of a resource named by id or slug, as Rootly's `{id}` paths accept both."""
    if reference in resources:
        return reference
    for resource_id, attributes in resources.items():
        if attributes.get("slug") == reference:
            return resource_id
    raise _NotFound(reference)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _page(fake: FakeRootly, request: web.Request, resources: list[dict[str, Any]]) -> web.Response:
    asked = int(request.query.get("page[size]", DEFAULT_PAGE_SIZE))
    size = fake.served_page_size or max(1, min(asked, fake.max_page_size))
    number = max(1, int(request.query.get("page[number]", "1")))
    total_pages = fake.total_pages(len(resources), size)

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        query = {**request.query, "page[number]": str(page), "page[size]": str(size)}
        return str(request.url.with_query(query))

    next_page = number + 1 if number < total_pages else None
    prev_page = number - 1 if number > 1 else None
    return jsonapi_response(
        {
            "data": resources[(number - 1) * size : number * size],
            "links": {
                "self": link(number),
                "first": link(1),
                "prev": link(prev_page),
                "next": link(next_page),
                "last": link(total_pages),
            },
            "meta": {
                "current_page": number,
                "next_page": next_page,
                "prev_page": prev_page,
                "total_count": len(resources),
                "total_pages": total_pages,
            },
        }
    )


def _filtered(
    request: web.Request, resources: list[dict[str, Any]], name: str, *, any_of: bool = False
) -> list[dict[str, Any]]:
    """Resources whose attribute matches `filter[name]` (one of a comma list when `any_of`)."""
    wanted = request.query.get(f"filter[{name}]")
    if wanted is None:
        return resources
    accepted = set(wanted.split(",")) if any_of else {wanted}
    return [item for item in resources if item["attributes"].get(name) in accepted]


def _sorted(request: web.Request, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sort = request.query.get("sort")
    if not sort:
        return resources
    name = sort.removeprefix("-")
    return sorted(
        resources,
        key=lambda item: item["attributes"].get(name) or "",
        reverse=sort.startswith("-"),
    )


async def _attributes(request: web.Request, resource_type: str) -> dict[str, Any] | None:
    body = await request.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("type") != resource_type:
        return None
    attributes = data.get("attributes")
    return attributes if isinstance(attributes, dict) else None


def _invalid(detail: str) -> web.Response:
    return error_response(422, "Invalid request", detail)


Render = Callable[[str], dict[str, Any]]


def _catalog(
    fake: FakeRootly, request: web.Request, resources: Resources, render: Render
) -> web.Response:
    """A page of services or teams, filtered by the filters the sync uses."""
    found = [render(resource_id) for resource_id in resources]
    for name in ("cortex_id", "external_id", "name"):
        found = _filtered(request, found, name)
    return _page(fake, request, _sorted(request, found))


async def _create(
    fake: FakeRootly, request: web.Request, kind: str, resources: Resources, render: Render
) -> web.Response:
    attributes = await _attributes(request, kind)
    if attributes is None:
        return _invalid(f"expected a {kind} document")
    if problem := _problem(fake.index(resources), attributes, None):
        return _invalid(problem)
    return jsonapi_response({"data": render(_store(fake, resources, attributes))}, 201)


async def _list_services(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return _catalog(fake, request, fake.services, fake.service_resource)


def _problem(index: _Index, attributes: dict[str, Any], but: str | None) -> str | None:
    """Why Rootly would refuse these attributes for a new (`but` None) or existing resource."""
    if "name" not in attributes:
        return None if but else "Name can't be blank"
    return NAME_TAKEN if index.name_taken(attributes["name"], but) else None


async def _create_service(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return await _create(fake, request, "services", fake.services, fake.service_resource)


async def _update_service(fake: FakeRootly, request: web.Request, ref: str) -> web.Response:
    service_id = _existing(fake.services, ref)
    attributes = await _attributes(request, "services")
    if attributes is None:
        return _invalid("expected a services document")
    if problem := _problem(fake.index(fake.services), attributes, service_id):
        return _invalid(problem)
    _write(fake, fake.services, service_id, attributes)
    return jsonapi_response({"data": fake.service_resource(service_id)})


def _bulk_schema_fields(resource: str) -> frozenset[str] | None:
    """The fields Rootly's document lists for a bulk upsert's records; None without the document
    (a clone of the project alone), where records go unchecked like every other answer."""
    if not SPECS_PRESENT:
        return None
    contract = load_contract(FakeRootly.CONTRACT, FakeRootly.ERROR_SCHEMA)
    schema = contract.schema(f"bulk_upsert_{resource}")
    return frozenset(schema["properties"]["entities"]["items"]["properties"])


async def _bulk_upsert(
    fake: FakeRootly, request: web.Request, resource: str, resources: Resources
) -> web.Response:
    """Rootly's bulk upsert: validate every record, then write all of them or none."""
    if not fake.bulk_allowed:
        return error_response(404, "Not found", "Resource not found")
    body = await request.json()
    entities = body.get("entities") if isinstance(body, dict) else None
    if not isinstance(entities, list) or not 0 < len(entities) <= BULK_LIMIT:
        return _invalid(f"entities must hold 1 to {BULK_LIMIT} records")
    external_ids = [entity.get("external_id") for entity in entities]
    if len(set(external_ids)) < len(external_ids):
        return _invalid("external_id must be unique within a batch")
    known = _bulk_schema_fields(resource)
    index = fake.index(resources)
    refused, in_batch = [], _Index()
    for position, entity in enumerate(entities):
        if known is not None and (unknown := set(entity) - known):
            # The document does not forbid them, but they would not be written: a client bug.
            fake.violations.append(f"bulk upsert of {resource} with unknown fields {unknown}")
        existing = index.external_ids.get(entity["external_id"])
        reason = _problem(index, entity, existing) or _problem(in_batch, entity, existing)
        if "name" in entity:  # a later record of the batch may not take it either
            in_batch.add(existing or f"record {position}", entity)
        if reason:
            refused.append(
                {"index": position, "external_id": entity["external_id"], "errors": [reason]}
            )
    if refused:
        if fake.names_refused_records:
            return jsonapi_response({"errors": refused}, 422)
        return _invalid("Validation failed for one or more records")
    written = []
    for entity in entities:
        existing = index.external_ids.get(entity["external_id"])
        if existing is None:
            written.append(_store(fake, resources, dict(entity)))
        else:
            _write(fake, resources, existing, entity)
            written.append(existing)
    render = fake.service_resource if resource == "services" else fake.team_resource
    return jsonapi_response({"data": [render(resource_id) for resource_id in written]})


async def _bulk_upsert_services(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return await _bulk_upsert(fake, request, "services", fake.services)


async def _list_teams(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return _catalog(fake, request, fake.teams, fake.team_resource)


async def _create_team(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return await _create(fake, request, "groups", fake.teams, fake.team_resource)


async def _bulk_upsert_teams(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    return await _bulk_upsert(fake, request, "teams", fake.teams)


async def _list_incidents(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    found = [fake.incident_resource(incident_id) for incident_id in fake.incidents]
    found = _filtered(request, found, "status", any_of=True)
    found = _filtered(request, found, "slack_channel_id")
    return _page(fake, request, _sorted(request, found))


async def _get_incident(fake: FakeRootly, _: web.Request, ref: str) -> web.Response:
    return jsonapi_response({"data": fake.incident_resource(_existing(fake.incidents, ref))})


async def _update_incident(fake: FakeRootly, request: web.Request, ref: str) -> web.Response:
    incident_id = _existing(fake.incidents, ref)
    attributes = await _attributes(request, "incidents")
    if attributes is None:
        return _invalid("expected an incidents document")
    service_ids = attributes.pop("service_ids", None)
    if service_ids is not None:
        unknown = [service_id for service_id in service_ids if service_id not in fake.services]
        if unknown:
            return _invalid(f"unknown services: {', '.join(unknown)}")
        fake.incident_services[incident_id] = list(service_ids)
    fake.incidents[incident_id].update(attributes, updated_at=iso(datetime.now(UTC)))
    return jsonapi_response({"data": fake.incident_resource(incident_id)})


async def _list_oncalls(fake: FakeRootly, request: web.Request, _id: str) -> web.Response:
    """Who is on call now through a policy that pages for any of the services or teams given."""
    oncalls = fake.oncalls
    for name in ("service_ids", "group_ids"):
        wanted = request.query.get(f"filter[{name}]")
        if wanted is not None:
            accepted = set(wanted.split(","))
            oncalls = [
                oncall
                for oncall in oncalls
                if accepted & set(fake.escalation_policies[oncall["escalation_policy_id"]][name])
            ]
    data = [
        {
            "id": str(fake.oncalls.index(oncall) + 1),
            "type": "on_call_resources",
            "attributes": oncall,
            "relationships": {"user": {"data": {"id": str(oncall["user_id"]), "type": "users"}}},
        }
        for oncall in oncalls
    ]
    answer: dict[str, Any] = {"data": data}
    if "user" in request.query.get("include", "").split(","):
        people = sorted({oncall["user_id"] for oncall in oncalls})
        answer["included"] = [
            {"id": str(user_id), "type": "users", "attributes": fake.users[user_id]}
            for user_id in people
        ]
    return jsonapi_response(answer)


async def _add_incident_event(fake: FakeRootly, request: web.Request, ref: str) -> web.Response:
    incident_id = _existing(fake.incidents, ref)
    attributes = await _attributes(request, "incident_events")
    if attributes is None or not attributes.get("event"):
        return _invalid("an incident event needs its text")
    now = iso(datetime.now(UTC))
    stored = {"occurred_at": now, "created_at": now, "updated_at": now, **attributes}
    fake.incident_events.setdefault(incident_id, []).append(stored)
    resource = {"id": str(uuid.uuid4()), "type": "incident_events", "attributes": stored}
    return jsonapi_response({"data": resource}, 201)


def _endpoint_resource(fake: FakeRootly, endpoint_id: str) -> dict[str, Any]:
    attributes = fake.webhook_endpoints[endpoint_id]
    return {"id": endpoint_id, "type": "webhooks_endpoints", "attributes": attributes}


async def _create_webhook_endpoint(
    fake: FakeRootly, request: web.Request, _id: str
) -> web.Response:
    if fake.refuse_webhooks is not None:
        return error_response(fake.refuse_webhooks, "Forbidden", "not allowed to manage webhooks")
    attributes = await _attributes(request, "webhooks_endpoints")
    if attributes is None or not attributes.get("url"):
        return _invalid("a webhook endpoint needs a URL")
    endpoint_id = str(uuid.uuid4())
    now = iso(datetime.now(UTC))
    fake.webhook_endpoints[endpoint_id] = {
        "slug": _slug(attributes["name"]),
        "event_types": [],
        "enabled": True,
        "created_at": now,
        "updated_at": now,
        # Rootly makes up a secret when none is given.
        "secret": uuid.uuid4().hex,
        **attributes,
    }
    return jsonapi_response({"data": _endpoint_resource(fake, endpoint_id)}, 201)


async def _delete_webhook_endpoint(fake: FakeRootly, _: web.Request, ref: str) -> web.Response:
    endpoint_id = _existing(fake.webhook_endpoints, ref)
    resource = _endpoint_resource(fake, endpoint_id)
    del fake.webhook_endpoints[endpoint_id]
    return jsonapi_response({"data": resource})


ID = r"(?P<id>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/v1/services"), _list_services),
    ("POST", re.compile(r"/v1/services"), _create_service),
    ("POST", re.compile(r"/v1/services/bulk_upsert"), _bulk_upsert_services),
    ("GET", re.compile(r"/v1/teams"), _list_teams),
    ("POST", re.compile(r"/v1/teams"), _create_team),
    ("POST", re.compile(r"/v1/teams/bulk_upsert"), _bulk_upsert_teams),
    ("PUT", re.compile(rf"/v1/services/{ID}"), _update_service),
    ("GET", re.compile(r"/v1/incidents"), _list_incidents),
    ("GET", re.compile(rf"/v1/incidents/{ID}"), _get_incident),
    ("PUT", re.compile(rf"/v1/incidents/{ID}"), _update_incident),
    ("GET", re.compile(r"/v1/oncalls"), _list_oncalls),
    ("POST", re.compile(rf"/v1/incidents/{ID}/events"), _add_incident_event),
    ("POST", re.compile(r"/v1/webhooks/endpoints"), _create_webhook_endpoint),
    ("DELETE", re.compile(rf"/v1/webhooks/endpoints/{ID}"), _delete_webhook_endpoint),
]


def _severity(name: str, created: str) -> dict[str, Any]:
    """An incident's severity as Rootly nests it: a whole severity resource."""
    attributes = {"name": name, "slug": _slug(name), "created_at": created, "updated_at": created}
    return {"data": {"id": str(uuid.uuid4()), "type": "severities", "attributes": attributes}}
