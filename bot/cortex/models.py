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


class GitRepository(CortexModel):
    """Where the entity's code lives: `provider` is `github`, `gitlab`, `bitbucket`, ..."""

    provider: str
    repository: str


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
    git: GitRepository | None = None
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


def _current_level(ladders: tuple[LadderLevel, ...]) -> LadderLevelName | None:
    levels = [ladder.level for ladder in ladders if ladder.level]
    return levels[0] if levels else None


class ScorecardScore(CortexModel):
    """One scorecard's score of one entity, from `GET /api/v1/catalog/{tag}/scorecards`."""

    scorecard_id: int
    scorecard_name: str
    score: float
    score_percentage: float
    total_possible_score: float
    ladder_levels: tuple[LadderLevel, ...] = ()

    @property
    def current_level(self) -> LadderLevelName | None:
        """The entity's ladder level on this scorecard, if the scorecard has a ladder."""
        return _current_level(self.ladder_levels)

    @property
    def level(self) -> str | None:
        return self.current_level.name if self.current_level else None


class Rule(CortexModel):
    """A scorecard rule; Cortex requires only its CQL expression."""

    expression: str
    identifier: str | None = None
    title: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        """What to call the rule: its title, or its expression when it has none."""
        return self.title or self.expression


class ScorecardRule(Rule):
    """A rule as its scorecard defines it, with the level it belongs to."""

    level_name: str | None = None


class Scorecard(CortexModel):
    """A scorecard's definition, as listed by `GET /api/v1/scorecards`."""

    tag: str
    name: str
    description: str | None = None
    levels: tuple[LadderLevel, ...] = ()
    rules: tuple[ScorecardRule, ...] = ()

    @property
    def ladder(self) -> tuple[LadderLevelName, ...]:
        """The scorecard's levels, best first (Cortex ranks its highest level 1)."""
        levels = (item.level for item in self.levels if item.level)
        return tuple(sorted(levels, key=lambda level: level.number))

    def rule(self, identifier: str | None) -> ScorecardRule | None:
        """The definition of the rule an outcome names, when the outcome names one."""
        found = (rule for rule in self.rules if identifier and rule.identifier == identifier)
        return next(found, None)


class RuleOutcome(CortexModel):
    """How one entity did on one rule; Cortex scores a failed rule 0 and a passed one its weight."""

    expression: str
    score: float
    identifier: str | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.score <= 0


class ScoreSummary(CortexModel):
    score: float
    percentage: float
    total_possible_score: float


class ScoreDetails(CortexModel):
    ladder_levels: tuple[LadderLevel, ...] = ()
    rules: tuple[RuleOutcome, ...] = ()
    summary: ScoreSummary

    @property
    def current_level(self) -> LadderLevelName | None:
        return _current_level(self.ladder_levels)


class ScoredService(CortexModel):
    tag: str
    name: str


class ServiceScore(CortexModel):
    """One entity's score on one scorecard, from `GET /api/v1/scorecards/{tag}/scores`."""

    service: ScoredService
    score: ScoreDetails

    @property
    def failed_rules(self) -> tuple[RuleOutcome, ...]:
        return tuple(rule for rule in self.score.rules if rule.failed)


class ScorecardScores(CortexModel):
    """Every entity's score on one scorecard (`ScorecardServiceScore`), all pages together."""

    scorecard_id: int
    scorecard_tag: str
    scorecard_name: str
    service_scores: tuple[ServiceScore, ...] = ()


class NextStep(CortexModel):
    """What an entity lacks to go from its current level to the next one."""

    current_level: LadderLevel | None = None
    next_level: LadderLevel | None = None
    rules_to_complete: tuple[Rule, ...] = ()


class NextSteps(CortexModel):
    """The answer of `GET /api/v1/scorecards/{tag}/next-steps` for one entity."""

    next_steps: tuple[NextStep, ...] = ()


class OncallUser(CortexModel):
    name: str
    email: str | None = None
    # When their shift ends, and the schedule it is part of with its page: Rootly says so;
    # Cortex's current on-call answer does not.
    until: datetime | None = None
    schedule: str | None = None
    schedule_url: str | None = None


class OncallSchedule(CortexModel):
    user: OncallUser | None = None


class OncallEscalation(CortexModel):
    escalation_level: int = 0
    schedules: tuple[OncallSchedule, ...] = ()


class OncallProvider(CortexModel):
    """One provider's part of `GET /api/v1/catalog/{tag}/integrations/oncall/current`."""

    provider: str = ""
    escalations: tuple[OncallEscalation, ...] = ()


class OncallCurrent(CortexModel):
    current: tuple[OncallProvider, ...] = ()


class ListingPage(CortexModel):
    """What every page of a Cortex listing says besides its items."""

    total_pages: int | None = None


class OncallRegistration(CortexModel):
    """How an entity is mapped to an on-call provider: `id` is the provider's own id."""

    id: str
    provider: str


class OncallLevel(CortexModel):
    """Who is on call at one escalation level, as reported by one on-call provider."""

    provider: str
    level: int
    users: tuple[OncallUser, ...]
    # The provider's page for this escalation policy, where known (Rootly's).
    url: str | None = None


class TeamMember(CortexModel):
    email: str | None = None


class TeamMembers(CortexModel):
    members: tuple[TeamMember, ...] = ()


class Team(CortexModel):
    """A team from `GET /api/v1/teams`: managed in Cortex (`cortexTeam`) or an identity
    provider's group (`idpGroup`), each with its members."""

    team_tag: str
    cortex_team: TeamMembers | None = None
    idp_group: TeamMembers | None = None

    @property
    def members(self) -> tuple[TeamMember, ...]:
        no_one = TeamMembers()
        return (self.cortex_team or no_one).members + (self.idp_group or no_one).members


class Teams(CortexModel):
    teams: tuple[Team, ...] = ()


class Dependency(CortexModel):
    caller_tag: str
    callee_tag: str
    callee_type: str = ""
    method: str | None = None
    path: str | None = None
    description: str | None = None
