"""A stateful fake of the Cortex REST API, speaking the shapes of the official document.

Tests seed it with services, deploys and events, queue faults (429, 5xx, slow answers, bad JSON),
and assert on the requests it received. With `rate_limit` set it enforces Cortex's documented
limit (1000 requests per minute per key, or a scaled-down one) as a sliding window over the times
requests arrive, and answers 429 with `Retry-After` past it. Every exchange is checked against
`../shared/specs/cortex-openapi.json`; violations are collected in `violations`.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.fakes.contract_fake import ARRIVED, ContractFake

CORTEX_KEY = "cortex-test-key-0123456789abcdef"
# A handler gets the fake, the request and the path's entity tag or scorecard tag.
Handler = Callable[["FakeCortex", web.Request, str], Awaitable[web.Response]]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(payload, status=status, headers=headers)


def error_response(status: int, message: str, kind: str = "BAD_REQUEST") -> web.Response:
    return _json({"message": message, "type": kind, "httpStatus": status}, status=status)


def rate_limited(retry_after: int) -> web.Response:
    body = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "retryAfter": retry_after,
    }
    return web.Response(
        text=json.dumps(body),
        status=429,
        content_type="application/problem+json",
        headers={"Retry-After": str(retry_after)},
    )


@dataclass
class Fault:
    """One planned misbehaviour, used by the next request whose path contains `path_contains`."""

    status: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    bad_json: bool = False
    path_contains: str = ""
    method: str | None = None
    message: str = "planned failure"
    # A 200 answer whose body breaks the document (a list where an object belongs, ...).
    garbage: Any = None
    # Where a hostile server redirects to (with a 3xx status).
    redirect_to: str | None = None

    @property
    def off_contract(self) -> bool:
        """Whether the answer breaks the official document on purpose (not checked against it)."""
        return self.bad_json or self.garbage is not None or self.redirect_to is not None

    def matches(self, request: web.Request) -> bool:
        return self.path_contains in request.path and self.method in (None, request.method)

    def response(self) -> web.Response | None:
        if self.bad_json:
            return web.Response(text="{not json", content_type="application/json")
        if self.garbage is not None:
            return _json(self.garbage)
        if self.redirect_to is not None:
            return web.Response(status=self.status, headers={"Location": self.redirect_to})
        if self.status == 429:
            return rate_limited(self.retry_after or 0)
        if self.status >= 400:
            return error_response(self.status, self.message, "UNHANDLED_EXCEPTION")
        return None  # a pure delay: the normal answer follows


@dataclass
class FakeCortex(ContractFake):
    CONTRACT = "cortex-openapi.json"
    ERROR_SCHEMA = "ErrorResponse"
    API_PREFIX = "/api/v1/"

    api_keys: set[str] = field(default_factory=lambda: {CORTEX_KEY})
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    deploys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    oncall: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Each entity's on-call registrations, by tag: [{"id", "provider", "source", "type"}].
    registrations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dependencies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Teams by tag, as `GET /api/v1/teams` lists them.
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Scorecard definitions by tag, and each scorecard's service scores in listing order.
    scorecards: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (requests, period in seconds) per API key, e.g. (1000, 60.0) as documented.
    rate_limit: tuple[int, float] | None = None
    rate_limited: int = 0  # 429 answers given for the rate limit
    _arrivals: dict[str, list[float]] = field(default_factory=dict)

    # --- seeding -------------------------------------------------------------------------------

    def add_service(
        self,
        tag: str,
        name: str | None = None,
        *,
        description: str | None = None,
        archived: bool = False,
        entity_type: str = "service",
        groups: tuple[str, ...] = (),
        teams: tuple[str, ...] = (),
        emails: tuple[str, ...] = (),
        links: tuple[tuple[str, str, str], ...] = (),
        slack_channels: tuple[str, ...] = (),
        repository: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        entity: dict[str, Any] = {
            "tag": tag,
            "name": name or tag.replace("-", " ").title(),
            "type": entity_type,
            "id": "en" + uuid.uuid5(uuid.NAMESPACE_URL, tag).hex[:16],
            "isArchived": archived,
            "lastUpdated": iso(datetime(2026, 11, 1, tzinfo=UTC)),
            "groups": list(groups),
            "hierarchy": {"children": [], "parents": []},
            "links": [{"name": n, "type": t, "url": u} for n, t, u in links],
            "slackChannels": [{"name": c, "notificationsEnabled": True} for c in slack_channels],
            "owners": {
                "teams": [
                    {"tag": team, "name": team.title(), "id": "en" + team[:16], "isArchived": False}
                    for team in teams
                ],
                "individuals": [{"email": email} for email in emails],
            },
        }
        if description is not None:
            entity["description"] = description
        if repository is not None:
            provider, name = repository
            entity["git"] = {
                "provider": provider,
                "repository": name,
                "repositoryUrl": f"https://{provider}.com/{name}",
            }
        self.entities[tag] = entity
        return entity

    def register_oncall(self, tag: str, provider: str, provider_id: str) -> None:
        self.registrations.setdefault(tag, []).append(
            {"id": provider_id, "provider": provider, "source": "DEFINED", "type": "SERVICE_FILTER"}
        )

    def add_team(self, tag: str, *emails: str, idp: bool = False) -> None:
        """A team whose members have these emails, managed in Cortex or (`idp`) synced from an
        identity provider's group."""
        team: dict[str, Any] = {
            "catalogEntityTag": tag,
            "id": "en" + uuid.uuid5(uuid.NAMESPACE_URL, f"team:{tag}").hex[:16],
            "isArchived": False,
            "links": [],
            "metadata": {"name": tag.title()},
            "slackChannels": [],
            "teamTag": tag,
        }
        members: list[dict[str, Any]]
        if idp:
            members = [
                {"id": f"m{n}", "email": email, "roles": []} for n, email in enumerate(emails)
            ]
            team |= {
                "type": "IDP",
                "idpGroup": {"group": tag, "members": members, "provider": "OKTA"},
            }
        else:
            members = [
                {
                    "email": email,
                    "name": email.split("@")[0],
                    "notificationsEnabled": True,
                    "roles": [],
                }
                for email in emails
            ]
            team |= {"type": "CORTEX", "cortexTeam": {"members": members}}
        self.teams[tag] = team

    def add_dependency(self, caller: str, callee: str) -> None:
        """`caller` depends on `callee` (both services)."""
        self.dependencies.setdefault(caller, []).append(
            {
                "callerTag": caller,
                "callerType": "service",
                "calleeTag": callee,
                "calleeType": "service",
            }
        )

    def add_score(self, tag: str, scorecard: str, level: str, score: float = 9) -> None:
        """`tag` scored `score` of 10 on `scorecard`, reaching its ladder's `level`."""
        self.scores.setdefault(tag, []).append(
            {
                "scorecardId": len(self.scores.get(tag, ())) + 1,
                "scorecardName": scorecard,
                "score": score,
                "scorePercentage": score / 10,
                "totalPossibleScore": 10,
                "ladderLevels": [{"level": {"name": level, "number": 1}}],
            }
        )

    def add_oncall(self, tag: str, *levels: str, provider: str = "PAGERDUTY") -> None:
        """Who is on call for `tag`: one person per escalation level, from level 1."""
        escalations = [
            {"escalationLevel": number, "schedules": [{"user": {"name": name}}]}
            for number, name in enumerate(levels, start=1)
        ]
        self.oncall[tag] = [{"provider": provider, "escalations": escalations}]

    def add_deploy(self, tag: str, title: str, when: datetime, **fields: Any) -> dict[str, Any]:
        deploy = {
            "uuid": str(uuid.uuid4()),
            "title": title,
            "type": fields.pop("type", "DEPLOY"),
            "timestamp": iso(when),
            **fields,
        }
        self.deploys.setdefault(tag, []).append(deploy)
        return deploy

    def add_event(self, tag: str, title: str, when: datetime, **fields: Any) -> dict[str, Any]:
        event = {
            "uuid": str(uuid.uuid4()),
            "title": title,
            "type": fields.pop("type", "CUSTOM"),
            "timestamp": iso(when),
            **fields,
        }
        self.events.setdefault(tag, []).append(event)
        return event

    def add_scorecard(
        self,
        tag: str,
        name: str,
        rules: Sequence[dict[str, Any]],
        *,
        levels: Sequence[str] = ("Gold", "Silver", "Bronze"),
        description: str | None = None,
        draft: bool = False,
    ) -> dict[str, Any]:
        """A scorecard whose `levels` are given best first; `rules` are made with `rule()`."""
        scorecard: dict[str, Any] = {
            "tag": tag,
            "name": name,
            "isDraft": draft,
            "lastUpdated": iso(datetime(2026, 11, 1, tzinfo=UTC)),
            "exemptions": {"autoApprove": False, "enabled": True},
            "notifications": {"enabled": True, "scoreDropNotificationsEnabled": False},
            "evaluation": {"window": 4},
            "levels": [
                {"level": {"name": level, "number": rank}}
                for rank, level in enumerate(levels, start=1)
            ],
            "rules": list(rules),
        }
        if description is not None:
            scorecard["description"] = description
        self.scorecards[tag] = scorecard
        self.service_scores[tag] = []
        return scorecard

    def score(
        self, scorecard_tag: str, entity_tag: str, *, failing: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Scores an entity on a scorecard: every rule passes except the `failing` identifiers.

        As Cortex does, the entity holds a level when it passes that level's rules and those of
        every level below it; its score is also listed under the entity's own scorecards.
        """
        scorecard = self.scorecards[scorecard_tag]
        failed = set(failing)
        outcomes = [
            {
                "expression": rule["expression"],
                "identifier": rule["identifier"],
                "score": 0 if rule["identifier"] in failed else rule.get("weight", 1),
            }
            for rule in scorecard["rules"]
        ]
        level = _level_reached(scorecard, failed)
        ladder = [{"level": level}] if level else []
        possible = sum(rule.get("weight", 1) for rule in scorecard["rules"])
        score = sum(outcome["score"] for outcome in outcomes)
        percentage = score / possible if possible else 1.0
        entity = self.entities.get(entity_tag, {})
        self.service_scores[scorecard_tag].append(
            {
                "service": {
                    "tag": entity_tag,
                    "name": entity.get("name", entity_tag.replace("-", " ").title()),
                    "id": "en" + uuid.uuid5(uuid.NAMESPACE_URL, entity_tag).hex[:16],
                    "groups": [],
                    "owners": {"groups": [], "individuals": []},
                },
                "score": {
                    "ladderLevels": ladder,
                    "rules": outcomes,
                    "summary": {
                        "score": score,
                        "percentage": percentage,
                        "totalPossibleScore": possible,
                    },
                },
                "lastEvaluated": iso(datetime(2026, 11, 20, tzinfo=UTC)),
                "ruleExemptions": [],
            }
        )
        entity_score = {
            "scorecardId": list(self.scorecards).index(scorecard_tag) + 1,
            "scorecardName": scorecard["name"],
            "score": score,
            "scorePercentage": percentage,
            "totalPossibleScore": possible,
            "ladderLevels": ladder,
        }
        self.scores.setdefault(entity_tag, []).append(entity_score)
        return entity_score

    # --- the HTTP side -------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if key not in self.api_keys:
            return error_response(401, "Invalid API key", "FORBIDDEN")
        if self.rate_limit is not None and (wait := self._over_limit(key, request[ARRIVED])):
            self.rate_limited += 1
            return rate_limited(math.ceil(wait))
        for method, pattern, handler in ROUTES:
            found = pattern.fullmatch(request.path)
            if found and method == request.method:
                # `{tagOrId}` paths take an entity's id too; `{callerTag}` ones only its tag.
                named = found.groupdict()
                tag = self._tag_of(named["tag"]) if "tag" in named else named.get("caller", "")
                if ("tag" in named or "caller" in named) and tag not in self.entities:
                    return _entity_not_found(request)
                scorecard = named.get("scorecard", "")
                if scorecard and scorecard not in self.scorecards:
                    return error_response(404, "Scorecard not found", "NOT_FOUND")
                return await handler(self, request, tag or scorecard)
        return error_response(404, f"no fake route for {request.method} {request.path}")

    def _tag_of(self, tag_or_id: str) -> str:
        if tag_or_id in self.entities:
            return tag_or_id
        return next((t for t, e in self.entities.items() if e["id"] == tag_or_id), tag_or_id)

    def _over_limit(self, key: str, arrived: float) -> float:
        """Seconds until the key may send again, if this request is past the limit; else 0."""
        assert self.rate_limit is not None
        limit, period = self.rate_limit
        window = self._arrivals.setdefault(key, [])
        del window[: bisect.bisect_right(window, arrived - period)]
        if len(window) >= limit:
            return max(window[0] + period - arrived, 0.001)
        bisect.insort(window, arrived)
        return 0.0


def _entity_not_found(request: web.Request) -> web.Response:
    if request.path.endswith("/custom-events"):
        # The official document gives this 404 the shape of an (empty) listing.
        return _json({"events": [], "page": 0, "total": 0, "totalPages": 0}, status=404)
    return error_response(404, "Entity not found", "NOT_FOUND")


def rule(
    identifier: str,
    level: str | None = None,
    *,
    title: str | None = None,
    description: str | None = None,
    expression: str | None = None,
) -> dict[str, Any]:
    """A scorecard rule in the document's shape (`ScorecardRule`)."""
    found: dict[str, Any] = {
        "identifier": identifier,
        "expression": expression or f'custom("{identifier}") = true',
        "weight": 1,
    }
    optional = {"levelName": level, "title": title, "description": description}
    return found | {key: value for key, value in optional.items() if value is not None}


def _level_reached(scorecard: dict[str, Any], failed: set[str]) -> dict[str, Any] | None:
    """The best level whose rules, and those of every level below it, all pass."""
    reached = None
    for item in reversed(scorecard["levels"]):  # the lowest level first
        level = item["level"]
        rules = [rule for rule in scorecard["rules"] if rule.get("levelName") == level["name"]]
        if any(rule["identifier"] in failed for rule in rules):
            break
        reached = level
    return reached


def _page(
    fake: FakeCortex,
    request: web.Request,
    items: list[Any],
    field_name: str,
    render: Callable[[Any], Any] = lambda item: item,
    **extra: Any,
) -> web.Response:
    page = int(request.query.get("page", "0"))
    size = fake.served_page_size or int(request.query.get("pageSize", "250"))
    chunk = [render(item) for item in items[page * size : (page + 1) * size]]
    total_pages = fake.total_pages(len(items), size)
    return _json(
        {**extra, field_name: chunk, "page": page, "total": len(items), "totalPages": total_pages}
    )


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false") == "true"


async def _list_catalog(fake: FakeCortex, request: web.Request, _tag: str) -> web.Response:
    types = request.query.getall("types", [])
    groups = request.query.getall("groups", [])
    query = request.query.get("query", "").lower()
    archived, owners = _flag(request, "includeArchived"), _flag(request, "includeOwners")
    found = []
    for entity in fake.entities.values():
        if entity["isArchived"] and not archived:
            continue
        if types and entity["type"] not in types:
            continue
        if groups and not set(groups) & set(entity["groups"]):
            continue
        if query and query not in entity["tag"].lower() and query not in entity["name"].lower():
            continue
        found.append(entity)

    def listed(entity: dict[str, Any]) -> dict[str, Any]:
        return entity if owners else {k: v for k, v in entity.items() if k != "owners"}

    return _page(fake, request, found, "entities", listed)


async def _entity_details(fake: FakeCortex, _: web.Request, tag: str) -> web.Response:
    entity = fake.entities[tag]
    details = {key: value for key, value in entity.items() if key != "owners"}
    details["ownersV2"] = entity["owners"]
    details["metadata"] = []
    details["ownership"] = {
        "emails": [{"email": person["email"]} for person in entity["owners"]["individuals"]],
        "groups": [{"groupName": team["tag"]} for team in entity["owners"]["teams"]],
        "slackChannels": [],
    }
    return _json(details)


async def _list_teams(fake: FakeCortex, _: web.Request, _tag: str) -> web.Response:
    return _json({"teams": list(fake.teams.values())})


async def _list_deploys(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    # Oldest first, as a store appends them: the client must sort.
    return _page(fake, request, fake.deploys.get(tag, []), "deployments")


async def _add_deploy(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    body = await request.json()
    stored = {"uuid": str(uuid.uuid4()), **body}
    fake.deploys.setdefault(tag, []).append(stored)
    answer = {key: value for key, value in stored.items() if key != "deployer"}
    answer["serviceId"] = 1
    if body.get("deployer"):
        answer["deployerName"] = body["deployer"].get("name")
        answer["deployerEmail"] = body["deployer"].get("email")
    return _json({key: value for key, value in answer.items() if value is not None})


async def _list_events(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    start = request.query.get("startTime")
    end = request.query.get("endTime")
    events = [
        event
        for event in fake.events.get(tag, [])
        if (start is None or _parse_time(event["timestamp"]) >= _parse_time(start))
        and (end is None or _parse_time(event["timestamp"]) <= _parse_time(end))
    ]
    return _page(fake, request, events, "events")


async def _add_event(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    stored = {"uuid": str(uuid.uuid4()), **(await request.json())}
    fake.events.setdefault(tag, []).append(stored)
    return _json(stored)


async def _scores(fake: FakeCortex, _: web.Request, tag: str) -> web.Response:
    return _json(fake.scores.get(tag, []))


async def _oncall(fake: FakeCortex, _: web.Request, tag: str) -> web.Response:
    current = fake.oncall.get(tag)
    if current is None:
        return error_response(404, "No on-call integration registered", "INTEGRATION_UNREGISTERED")
    return _json([{"current": current}])


async def _registration(fake: FakeCortex, _: web.Request, tag: str) -> web.Response:
    found = fake.registrations.get(tag)
    if not found:
        return error_response(404, "Registration not found", "NOT_FOUND")
    return _json(found)


async def _dependencies(fake: FakeCortex, _: web.Request, tag: str) -> web.Response:
    found = fake.dependencies.get(tag)
    if not found:
        return error_response(404, "Entity dependencies not found", "NOT_FOUND")
    # The official document describes this answer as a single dependency object; Cortex lists
    # them (`dependencies`). With several, the fake answers both ways at once: the first one's
    # fields, as the document wants, and the list, as a client reading Cortex's listing wants.
    if len(found) == 1:
        return _json(found[0])
    return _json({**found[0], "dependencies": found})


async def _list_scorecards(fake: FakeCortex, request: web.Request, _tag: str) -> web.Response:
    shown = [
        card
        for card in fake.scorecards.values()
        if _flag(request, "showDrafts") or not card["isDraft"]
    ]
    return _page(fake, request, shown, "scorecards")


async def _scorecard_scores(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    scorecard = fake.scorecards[tag]
    scores = fake.service_scores[scorecard["tag"]]
    wanted = request.query.get("entityTag")
    if wanted:
        scores = [score for score in scores if score["service"]["tag"] == wanted]
    return _page(
        fake,
        request,
        scores,
        "serviceScores",
        scorecardId=list(fake.scorecards).index(scorecard["tag"]) + 1,
        scorecardName=scorecard["name"],
        scorecardTag=scorecard["tag"],
    )


async def _next_steps(fake: FakeCortex, request: web.Request, tag: str) -> web.Response:
    scorecard = fake.scorecards[tag]
    entity_tag = request.query.get("entityTag", "")
    scored = [s for s in fake.service_scores[scorecard["tag"]] if s["service"]["tag"] == entity_tag]
    if not scored:
        return _json({"nextSteps": []})
    return _json({"nextSteps": [_next_step(scorecard, scored[0])]})


def _next_step(scorecard: dict[str, Any], scored: dict[str, Any]) -> dict[str, Any]:
    """The failed rules of the level above the one the entity holds."""
    ladder = [item["level"] for item in scorecard["levels"]]  # best first
    current = scored["score"]["ladderLevels"]
    index = ladder.index(current[0]["level"]) if current else len(ladder)
    step: dict[str, Any] = {"rulesToComplete": []}
    if current:
        step["currentLevel"] = current[0]
    if index == 0:
        return step
    following = ladder[index - 1]
    step["nextLevel"] = {"level": following}
    failed = {rule["identifier"] for rule in scored["score"]["rules"] if rule["score"] <= 0}
    step["rulesToComplete"] = [
        {
            key: rule[key]
            for key in ("expression", "identifier", "title", "description")
            if key in rule
        }
        for rule in scorecard["rules"]
        if rule.get("levelName") == following["name"] and rule["identifier"] in failed
    ]
    return step


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


TAG = r"(?P<tag>[^/]+)"
SCORECARD = r"(?P<scorecard>[^/]+)"
CALLER = r"(?P<caller>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/api/v1/catalog"), _list_catalog),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}"), _entity_details),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}/deploys"), _list_deploys),
    ("POST", re.compile(rf"/api/v1/catalog/{TAG}/deploys"), _add_deploy),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}/custom-events"), _list_events),
    ("POST", re.compile(rf"/api/v1/catalog/{TAG}/custom-events"), _add_event),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}/scorecards"), _scores),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}/integrations/oncall/current"), _oncall),
    ("GET", re.compile(rf"/api/v1/catalog/{TAG}/integrations/oncall/registration"), _registration),
    ("GET", re.compile(rf"/api/v1/catalog/{CALLER}/dependencies"), _dependencies),
    ("GET", re.compile(r"/api/v1/teams"), _list_teams),
    ("GET", re.compile(r"/api/v1/scorecards"), _list_scorecards),
    ("GET", re.compile(rf"/api/v1/scorecards/{SCORECARD}/scores"), _scorecard_scores),
    ("GET", re.compile(rf"/api/v1/scorecards/{SCORECARD}/next-steps"), _next_steps),
]
