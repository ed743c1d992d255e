"""Step 1 of a sync, the plan: what Rootly needs so that its services mirror Cortex's.

Pure data in, data out. Rules, from the product contract:
- a Rootly service belongs to the Cortex service whose tag is its `cortex_id` (or whose entity id
  is, as other importers store it: that `cortex_id` is then kept), or whose `cortex:<tag>` is its
  `external_id`;
- failing that, a Rootly service without `cortex_id` is adopted when it is the only one with the
  Cortex service's name (names compared ignoring case and surrounding spaces), and when no other
  Cortex service claims it by that name; any other ambiguity is a conflict, reported, not guessed;
- the sync owns `name`, `description` and `cortex_id`, and the fields the workspace switched on
  (`fields.py`); nothing else is ever written, and a service is written only when an owned field
  differs, each difference kept as before → after for the admin to see;
- a Cortex service archived upstream is never imported; one synced earlier is left as it is and
  reported; nothing is ever deleted.

How each write travels: Rootly's bulk upsert finds services by `external_id`, so a change goes in
a batch when the service is new or already carries the sync's own `cortex:<tag>`, and all it
writes is accepted by bulk upsert. A service whose `external_id` is empty is given the sync's on
its next write, which is therefore its own PUT; a service whose `external_id` belongs to another
tool keeps it and is always written on its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.cortex.models import Entity, GitRepository, OncallRegistration
from bot.rootly.client import BULK_SERVICE_FIELDS
from bot.rootly.models import (
    RootlyService,
    RootlyTeam,
    ServiceAttributes,
    SlackChannelRef,
    TeamAttributes,
)
from bot.sync.fields import SyncField

EXTERNAL_ID_PREFIX = "cortex:"
# How much of a value a plan shows before → after (a description can be pages of markdown).
SHOWN_LENGTH = 200
# The Rootly attributes each switchable field owns (owners are written as `owner_group_ids`).
ATTRIBUTES_OF = {
    SyncField.OWNERS: ("owner_group_ids",),
    SyncField.REPOSITORY: ("github_repository_name", "gitlab_repository_name"),
    SyncField.PAGING: ("pagerduty_id", "opsgenie_id"),
    SyncField.SLACK_CHANNELS: ("slack_channels",),
}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ADOPT = "adopt"


class FieldDiff(BaseModel):
    """One owned field of one service as Rootly has it and as Cortex wants it, for people."""

    model_config = ConfigDict(frozen=True)

    attribute: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Change:
    """One write to Rootly: the service's owned fields as Cortex has them."""

    action: Action
    tag: str
    attributes: ServiceAttributes
    rootly_id: str | None = None
    # The owned fields that differ from what Rootly has (all those written, for a create).
    fields: tuple[str, ...] = ()
    # Before → after of each field that differs (updates and adoptions).
    diffs: tuple[FieldDiff, ...] = ()
    # Cortex owner team tags to write as `owner_group_ids` once their Rootly teams exist.
    owners: tuple[str, ...] | None = None
    # Whether it may travel in a bulk upsert (see the module's docstring).
    bulk: bool = False

    def write(self, team_ids: Mapping[str, str]) -> ServiceAttributes:
        """The attributes to send, owners resolved (a team that could not be made is left out)."""
        if self.owners is None:
            return self.attributes
        ids = tuple(team_ids[tag] for tag in self.owners if tag in team_ids)
        return self.attributes.model_copy(update={"owner_group_ids": ids})


@dataclass(frozen=True)
class Conflict:
    tag: str
    reason: str


@dataclass(frozen=True)
class SyncPlan:
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    # Tags of services archived in Cortex that Rootly still has from an earlier sync.
    archived_upstream: tuple[str, ...]
    unchanged: int
    # Rootly teams to create (by bulk upsert) before the services that name them as owners, and
    # the ids of those Rootly already has, by Cortex team tag.
    new_teams: tuple[TeamAttributes, ...] = ()
    team_ids: Mapping[str, str] = field(default_factory=dict)
    # What the sync could not do for a field it owns (an unknown Slack channel...).
    notes: tuple[str, ...] = ()

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)


@dataclass(frozen=True)
class Sources:
    """What the plan compares, besides the two catalogs, for the fields switched on.

    `paging` holds the paging ids of each service whose on-call registration could be read (a
    service missing from it keeps what Rootly has); `channels` maps Slack channel names to ids
    (None: they could not be read, and Slack channels are left alone).
    """

    fields: frozenset[SyncField] = frozenset()
    teams: Sequence[RootlyTeam] = ()
    paging: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    channels: Mapping[str, str] | None = None


def external_id(tag: str) -> str:
    return EXTERNAL_ID_PREFIX + tag


def paging_ids(registrations: Iterable[OncallRegistration]) -> dict[str, str | None]:
    """Rootly's paging fields from Cortex's on-call registrations (other providers are ignored)."""
    found: dict[str, str | None] = {"pagerduty_id": None, "opsgenie_id": None}
    for registration in registrations:
        attribute = f"{registration.provider.lower()}_id"
        if attribute in found and found[attribute] is None:
            found[attribute] = registration.id
    return found


def channel_key(name: str) -> str:
    """How Slack channel names are compared: without `#`, ignoring case."""
    return name.strip().removeprefix("#").casefold()


def _repository(git: GitRepository | None) -> dict[str, str | None]:
    provider = git.provider.casefold() if git else ""
    return {
        "github_repository_name": git.repository if git and provider == "github" else None,
        "gitlab_repository_name": git.repository if git and provider == "gitlab" else None,
    }


def _name_key(name: str) -> str:
    return name.strip().casefold()


def _group(
    services: Iterable[RootlyService], key: Callable[[RootlyService], str | None]
) -> dict[str, list[RootlyService]]:
    groups: dict[str, list[RootlyService]] = defaultdict(list)
    for service in services:
        if (value := key(service)) is not None:
            groups[value].append(service)
    return groups


def _unclaimed_name(service: RootlyService) -> str | None:
    """The name by which a Rootly service may be adopted: only one without a cortex_id can be."""
    return None if service.cortex_id else _name_key(service.name)


def _cut(text: str) -> str | None:
    """A value as people see it in a plan (None when empty), long ones cut: reports are stored
    and posted."""
    if len(text) > SHOWN_LENGTH:
        return text[: SHOWN_LENGTH - 1] + "…"
    return text or None


def _comparable(attribute: str, value: Any) -> Any:
    if attribute == "owner_group_ids":
        return frozenset(value or ())
    if attribute == "slack_channels":
        return frozenset((channel.id, channel.name) for channel in value or ())
    return value or None


class _Planner:
    def __init__(
        self, cortex: Sequence[Entity], rootly: Sequence[RootlyService], sources: Sources
    ) -> None:
        self._sources = sources
        self._by_cortex_id = _group(rootly, lambda service: service.cortex_id or None)
        self._by_external_id = _group(rootly, lambda service: service.external_id or None)
        self._unclaimed_by_name = _group(rootly, _unclaimed_name)
        self.team_ids: dict[str, str] = {}
        for team in sources.teams:
            for tag in (team.cortex_id, (team.external_id or "").removeprefix(EXTERNAL_ID_PREFIX)):
                if tag:
                    self.team_ids.setdefault(tag, team.id)
        self._team_names = {team.id: team.name for team in sources.teams}
        live = [entity for entity in cortex if not entity.is_archived]
        # A Rootly service two Cortex services both match cannot be written for either.
        self._claims = Counter(service.id for entity in live for service in self._matches(entity))
        # How many unmatched, live Cortex services want each name: two cannot adopt one service.
        self._name_demand: dict[str, int] = defaultdict(int)
        for entity in live:
            if not self._matches(entity):
                self._name_demand[_name_key(entity.name)] += 1
        self.changes: list[Change] = []
        self.conflicts: list[Conflict] = []
        self.archived_upstream: list[str] = []
        self.new_teams: dict[str, TeamAttributes] = {}
        self.notes: list[str] = []
        self.unchanged = 0

    def _matches(self, entity: Entity) -> list[RootlyService]:
        found: dict[str, RootlyService] = {}
        for service in (
            *self._by_cortex_id.get(entity.tag, ()),
            *(self._by_cortex_id.get(entity.id, ()) if entity.id else ()),
            *self._by_external_id.get(external_id(entity.tag), ()),
        ):
            found.setdefault(service.id, service)
        return list(found.values())

    def place(self, entity: Entity) -> None:
        matched = self._matches(entity)
        if entity.is_archived:
            if matched:
                self.archived_upstream.append(entity.tag)
        elif len(matched) > 1:
            self._conflict(
                entity,
                f"{len(matched)} Rootly services have cortex_id `{entity.tag}` "
                f"(or its entity id, or external_id `{external_id(entity.tag)}`)",
            )
        elif matched and self._claims[matched[0].id] > 1:
            self._conflict(entity, f"Rootly service `{matched[0].name}` matches another one too")
        elif matched:
            self._update(entity, matched[0], Action.UPDATE)
        else:
            self._adopt_or_create(entity)

    def _wanted(self, entity: Entity, cortex_id: str) -> dict[str, Any]:
        """Every owned field as Cortex has it, except owners (`_owner_tags`)."""
        sources = self._sources
        wanted: dict[str, Any] = {
            "name": entity.name,
            "description": entity.description or None,
            "cortex_id": cortex_id,
        }
        if SyncField.REPOSITORY in sources.fields:
            wanted |= _repository(entity.git)
        if SyncField.PAGING in sources.fields and entity.tag in sources.paging:
            wanted |= sources.paging[entity.tag]
        if SyncField.SLACK_CHANNELS in sources.fields and sources.channels is not None:
            wanted["slack_channels"] = self._channels(entity, sources.channels)
        return wanted

    def _channels(
        self, entity: Entity, directory: Mapping[str, str]
    ) -> tuple[SlackChannelRef, ...]:
        found: dict[str, SlackChannelRef] = {}
        for channel in entity.slack_channels:
            channel_id = directory.get(channel_key(channel.name))
            if channel_id is None:
                self.notes.append(
                    f"{entity.tag}: Slack channel #{channel.name} was not found in this workspace "
                    "(or the bot may not see it)"
                )
            else:
                found.setdefault(channel_id, SlackChannelRef(id=channel_id, name=channel.name))
        return tuple(found.values())

    def _owner_tags(self, entity: Entity) -> tuple[str, ...] | None:
        if SyncField.OWNERS not in self._sources.fields:
            return None
        return tuple(dict.fromkeys(t.tag for t in entity.owners.teams if not t.is_archived))

    def _owner_names(self, entity: Entity, tags: Sequence[str]) -> str | None:
        names = {team.tag: team.name for team in entity.owners.teams}
        return _cut(", ".join(names[tag] for tag in tags))

    def _update(self, entity: Entity, current: RootlyService, action: Action) -> None:
        # A cortex_id holding the entity id (another importer's) stays as it is.
        cortex_id = (
            current.cortex_id if entity.id and current.cortex_id == entity.id else entity.tag
        )
        wanted = self._wanted(entity, cortex_id)
        diffs = [
            FieldDiff(
                attribute=name,
                before=self._shown(name, getattr(current, name)),
                after=self._shown(name, value),
            )
            for name, value in wanted.items()
            if _comparable(name, value) != _comparable(name, getattr(current, name))
        ]
        owners = self._owner_tags(entity)
        if owners is not None and not self._same_owners(owners, current.owner_group_ids):
            before = ", ".join(self._team_names.get(i, i) for i in current.owner_group_ids)
            diffs.append(
                FieldDiff(
                    attribute="owner_group_ids",
                    before=_cut(before),
                    after=self._owner_names(entity, owners),
                )
            )
        else:
            owners = None
        if not diffs:
            self.unchanged += 1
            return
        differing = tuple(diff.attribute for diff in diffs)
        # Fields bulk upsert does not take are only sent when they differ.
        sent = {
            name: value
            for name, value in wanted.items()
            if name in BULK_SERVICE_FIELDS or name in differing
        }
        ours = external_id(entity.tag)
        if current.external_id in (None, "", ours):
            sent["external_id"] = ours
        bulk = current.external_id == ours and BULK_SERVICE_FIELDS.issuperset(differing)
        self._add(
            Change(
                action,
                entity.tag,
                ServiceAttributes.model_validate(sent),
                current.id,
                differing,
                tuple(diffs),
                owners,
                bulk,
            ),
            entity,
        )

    def _same_owners(self, tags: Sequence[str], current: Sequence[str]) -> bool:
        ids = [self.team_ids.get(tag) for tag in tags]
        return None not in ids and frozenset(ids) == frozenset(current)

    def _create(self, entity: Entity) -> None:
        # A new service starts with every field empty: only values are sent.
        sent = {
            name: value
            for name, value in self._wanted(entity, entity.tag).items()
            if _comparable(name, value)
        }
        sent["external_id"] = external_id(entity.tag)
        owners = self._owner_tags(entity) or None
        fields = tuple(name for name in sent if name != "external_id")
        if owners:
            fields += ("owner_group_ids",)
        bulk = BULK_SERVICE_FIELDS.issuperset(fields)
        attributes = ServiceAttributes.model_validate(sent)
        self._add(
            Change(Action.CREATE, entity.tag, attributes, None, fields, (), owners, bulk), entity
        )

    def _add(self, change: Change, entity: Entity) -> None:
        self.changes.append(change)
        names = {team.tag: team.name for team in entity.owners.teams}
        for tag in change.owners or ():
            if tag not in self.team_ids:
                self.new_teams.setdefault(
                    tag,
                    TeamAttributes(name=names[tag], cortex_id=tag, external_id=external_id(tag)),
                )

    def _shown(self, attribute: str, value: Any) -> str | None:
        if attribute == "slack_channels":
            return _cut(", ".join(f"#{channel.name}" for channel in value))
        return _cut(str(value)) if value else None

    def _adopt_or_create(self, entity: Entity) -> None:
        name = _name_key(entity.name)
        candidates = self._unclaimed_by_name.get(name, [])
        if not candidates:
            self._create(entity)
        elif len(candidates) > 1:
            self._conflict(
                entity, f"{len(candidates)} Rootly services without cortex_id are named this"
            )
        elif self._name_demand[name] > 1:
            self._conflict(
                entity, f"{self._name_demand[name]} Cortex services share this Rootly service name"
            )
        else:
            self._update(entity, candidates[0], Action.ADOPT)

    def _conflict(self, entity: Entity, reason: str) -> None:
        self.conflicts.append(Conflict(entity.tag, f"{entity.name}: {reason}"))


def plan_sync(
    cortex: Sequence[Entity], rootly: Sequence[RootlyService], sources: Sources | None = None
) -> SyncPlan:
    """What to write so Rootly mirrors Cortex, in tag order; `cortex` includes archived services."""
    planner = _Planner(cortex, rootly, sources or Sources())
    for entity in sorted(cortex, key=lambda entity: entity.tag):
        planner.place(entity)
    return SyncPlan(
        changes=tuple(planner.changes),
        conflicts=tuple(planner.conflicts),
        archived_upstream=tuple(planner.archived_upstream),
        unchanged=planner.unchanged,
        new_teams=tuple(planner.new_teams.values()),
        team_ids=planner.team_ids,
        notes=tuple(planner.notes),
    )
