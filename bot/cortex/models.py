"""Pydantic models of the Cortex answers the bot uses.

They keep only the fields we show or send, ignore everything else (Cortex adds fields over time),
and read Cortex's camelCase names.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class CortexModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class Link(CortexModel):
    name: str
    type: str = ""
    url: str


class SlackChannel(CortexModel):
    name: str
    notifications_enabled: bool = False


class OwnerTeam(CortexModel):
    tag: str
    name: str
    is_archived: bool = False


class OwnerPerson(CortexModel):
    email: str
    description: str | None = None


class Owners(CortexModel):
    teams: tuple[OwnerTeam, ...] = ()
    individuals: tuple[OwnerPerson, ...] = ()


class Entity(CortexModel):
    """A catalog entity as listed by `GET /api/v1/catalog` (owners under `owners`)."""

    tag: str
    name: str
    type: str = "service"
    id: str = ""
    description: str | None = None
    is_archived: bool = False
    groups: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    slack_channels: tuple[SlackChannel, ...] = ()
    owners: Owners = Owners()
    last_updated: datetime | None = None


class EntityDetails(Entity):
    """One entity from `GET /api/v1/catalog/{tag}`, where Cortex puts the owners in `ownersV2`."""

    owners: Owners = Field(default=Owners(), validation_alias=AliasChoices("ownersV2", "owners"))


class DeployType(StrEnum):
    DEPLOY = "DEPLOY"
    ROLLBACK = "ROLLBACK"
    SCALE = "SCALE"
    RESTART = "RESTART"


class Deployer(CortexModel):
    name: str | None = None
    email: str | None = None


class NewDeploy(CortexModel):
    """Body of `POST /api/v1/catalog/{tag}/deploys`."""

    title: str
    type: DeployType
    timestamp: datetime
    environment: str | None = None
    sha: str | None = None
    url: str | None = None
    deployer: Deployer | None = None
    custom_data: dict[str, dict[str, Any]] | None = None


class Deploy(NewDeploy):
    """A deploy as Cortex lists it: what was sent, and the id Cortex gave it."""

    uuid: str

    @model_validator(mode="before")
    @classmethod
    def _deployer_from_legacy_fields(cls, data: Any) -> Any:
        # Older answers (and the answer to a POST) carry deployerName/deployerEmail instead.
        if isinstance(data, dict) and not data.get("deployer"):
            name, email = data.get("deployerName"), data.get("deployerEmail")
            if name or email:
                return {**data, "deployer": {"name": name, "email": email}}
        return data


class NewCustomEvent(CortexModel):
    """Body of `POST /api/v1/catalog/{tag}/custom-events`."""

    type: str
    title: str
    timestamp: datetime
    description: str | None = None
    url: str | None = None
    custom_data: dict[str, dict[str, Any]] | None = None


class CustomEvent(NewCustomEvent):
    uuid: str


class LadderLevelName(CortexModel):
    name: str
    number: int


class LadderLevel(CortexModel):
    level: LadderLevelName | None = None


class ScorecardScore(CortexModel):
    scorecard_id: int
    scorecard_name: str
    score: float
    score_percentage: float
    total_possible_score: float
    ladder_levels: tuple[LadderLevel, ...] = ()

    @property
    def level(self) -> str | None:
        """The entity's current ladder level on this scorecard, if the scorecard has a ladder."""
        names = [ladder.level.name for ladder in self.ladder_levels if ladder.level]
        return names[0] if names else None


class OncallUser(CortexModel):
    name: str
    email: str | None = None


class OncallLevel(CortexModel):
    """Who is on call at one escalation level, as reported by one on-call provider."""

    provider: str
    level: int
    users: tuple[OncallUser, ...]


class Dependency(CortexModel):
    caller_tag: str
    callee_tag: str
    callee_type: str = ""
    method: str | None = None
    path: str | None = None
    description: str | None = None
