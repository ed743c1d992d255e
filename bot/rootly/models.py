"""Pydantic models of the Rootly resources the bot reads and writes.

Rootly speaks JSON:API: every resource arrives as `{"id", "type", "attributes", "relationships"?}`.
The read models accept that envelope (or an already flat dict), keep only the fields we use and
ignore everything else, since Rootly adds attributes over time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


class RootlyModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Resource(RootlyModel):
    """One JSON:API resource object, read flat: its attributes beside its id."""

    id: str

    @model_validator(mode="before")
    @classmethod
    def _from_envelope(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
            return cls._flatten(data)
        return data

    @classmethod
    def _flatten(cls, resource: dict[str, Any]) -> dict[str, Any]:
        return {**resource["attributes"], "id": resource.get("id")}


class SlackChannelRef(RootlyModel):
    """A Slack channel as Rootly stores it on a service: both its id and its name."""

    id: str
    name: str


class RootlyService(Resource):
    name: str
    slug: str = ""
    description: str | None = None
    cortex_id: str | None = None
    external_id: str | None = None
    github_repository_name: str | None = None
    gitlab_repository_name: str | None = None
    pagerduty_id: str | None = None
    opsgenie_id: str | None = None
    owner_group_ids: tuple[str, ...] = ()
    slack_channels: tuple[SlackChannelRef, ...] = ()

    @field_validator("owner_group_ids", "slack_channels", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return () if value is None else value


class RootlyTeam(Resource):
    """A Rootly team (`groups` in JSON:API), matched to a Cortex team by `cortex_id`."""

    name: str
    slug: str = ""
    cortex_id: str | None = None
    external_id: str | None = None


class RootlyUser(Resource):
    email: str
    full_name: str | None = None

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class RootlyOncall(Resource):
    """One person on call now at one level of one escalation policy, from `GET /v1/oncalls`."""

    escalation_policy_id: str
    escalation_policy_name: str
    escalation_level: int = 1
    user_id: int
    schedule_id: str | None = None
    schedule_name: str | None = None
    ends_at: datetime | None = None
    # The person, when the answer included them (`include=user`).
    user: RootlyUser | None = None


class WriteModel(BaseModel):
    """Attributes to write. A field set to None is written as null (the sync owns it, so Cortex
    clearing it clears it in Rootly); a field not given at all is left out, and so left alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_attributes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class ServiceAttributes(WriteModel):
    """What the sync may write on a Rootly service, and never any other field."""

    name: str
    description: str | None = None
    cortex_id: str | None = None
    external_id: str | None = None
    github_repository_name: str | None = None
    gitlab_repository_name: str | None = None
    pagerduty_id: str | None = None
    opsgenie_id: str | None = None
    owner_group_ids: tuple[str, ...] | None = None
    slack_channels: tuple[SlackChannelRef, ...] | None = None


class TeamAttributes(WriteModel):
    """What the sync writes on a Rootly team it creates for a Cortex owner team."""

    name: str
    cortex_id: str
    external_id: str


class RootlyIncident(Resource):
    title: str
    status: str | None = None
    sequential_id: int | None = None
    url: str | None = None
    slack_channel_id: str | None = None
    slack_channel_name: str | None = None
    started_at: datetime | None = None
    created_at: datetime
    service_ids: tuple[str, ...] = ()
    # The services given whole (the official document's shape), with their `cortex_id`.
    services: tuple[RootlyService, ...] = ()
    # The severity's name ("SEV1"), read from the severity resource Rootly nests in the incident.
    severity: str | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _severity_name(cls, value: Any) -> Any:
        resource = value.get("data") if isinstance(value, dict) else None
        named = resource.get("attributes") if isinstance(resource, dict) else value
        return named.get("name") if isinstance(named, dict) else value

    @model_validator(mode="before")
    @classmethod
    def _services_from_references(cls, data: Any) -> Any:
        # Applied after the envelope is flattened: an incident a webhook carries is flat already.
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            return data
        references = data["services"]
        return {
            **data,
            "service_ids": data.get("service_ids") or tuple(_reference_ids(references)),
            "services": tuple(_whole_services(references)),
        }

    @classmethod
    def _flatten(cls, resource: dict[str, Any]) -> dict[str, Any]:
        flat = super()._flatten(resource)
        referenced = _service_references(resource)
        if referenced is not None:
            flat["service_ids"] = tuple(_reference_ids(referenced))
            flat["services"] = tuple(_whole_services(referenced))
        return flat

    @property
    def begun_at(self) -> datetime:
        """When the incident began: its start, or its creation while it has not started."""
        return self.started_at or self.created_at


class WebhookEndpoint(Resource):
    name: str
    url: str
    event_types: tuple[str, ...] = ()
    enabled: bool = True


class IncidentEvent(Resource):
    event: str


def _service_references(resource: dict[str, Any]) -> list[Any] | None:
    # The official document puts the services in `attributes.services`, each a whole
    # `service_response` ({"data": {"id", ...}}); plain JSON:API would use relationships.
    # The first list found wins; without either, a flat `service_ids` attribute is used as is.
    relationship = (resource.get("relationships") or {}).get("services") or {}
    for candidate in (resource["attributes"].get("services"), relationship.get("data")):
        if isinstance(candidate, list):
            return candidate
    return None


def _whole_services(references: list[Any]) -> list[Any]:
    """The references that carry a whole service (its attributes), not just an id."""
    found = []
    for reference in references:
        inner = reference.get("data", reference) if isinstance(reference, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("attributes"), dict):
            found.append(inner)
    return found


def _reference_ids(references: list[Any]) -> list[str]:
    ids = []
    for reference in references:
        if isinstance(reference, str):
            ids.append(reference)
        elif isinstance(reference, dict):
            inner = reference.get("data", reference)
            if isinstance(inner, dict) and inner.get("id"):
                ids.append(str(inner["id"]))
    return ids
