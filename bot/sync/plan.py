"""Step 1 of a sync, the plan: what Rootly needs so that its services mirror Cortex's.

Pure data in, data out. Rules, from the product contract:
- a Rootly service belongs to the Cortex service whose tag is its `cortex_id`;
- failing that, a Rootly service without `cortex_id` is adopted when it is the only one with the
  Cortex service's name (names compared ignoring case and surrounding spaces), and when no other
  Cortex service claims it by that name; any other ambiguity is a conflict, reported, not guessed;
- only `name`, `description` and `cortex_id` are written, and only when one of them differs;
- a Cortex service archived upstream is never imported; one synced earlier is left as it is and
  reported; nothing is ever deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.cortex.models import Entity
from bot.rootly.models import RootlyService, ServiceAttributes


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ADOPT = "adopt"


@dataclass(frozen=True)
class Change:
    """One write to Rootly: the service's owned fields as Cortex has them."""

    action: Action
    tag: str
    attributes: ServiceAttributes
    rootly_id: str | None = None
    # The owned fields that differ from what Rootly has (all of them for a create).
    fields: tuple[str, ...] = ()


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

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)


def owned_attributes(entity: Entity) -> ServiceAttributes:
    return ServiceAttributes(
        name=entity.name, description=entity.description or None, cortex_id=entity.tag
    )


def _name_key(name: str) -> str:
    return name.strip().casefold()


def _differing_fields(wanted: ServiceAttributes, current: RootlyService) -> tuple[str, ...]:
    have = {
        "name": current.name,
        "description": current.description or None,
        "cortex_id": current.cortex_id,
    }
    return tuple(name for name, value in wanted.to_attributes().items() if have[name] != value)


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


class _Planner:
    def __init__(self, cortex: Sequence[Entity], rootly: Sequence[RootlyService]) -> None:
        self._by_cortex_id = _group(rootly, lambda service: service.cortex_id or None)
        self._unclaimed_by_name = _group(rootly, _unclaimed_name)
        # How many unmatched, live Cortex services want each name: two cannot adopt one service.
        self._name_demand: dict[str, int] = defaultdict(int)
        for entity in cortex:
            if not entity.is_archived and entity.tag not in self._by_cortex_id:
                self._name_demand[_name_key(entity.name)] += 1
        self.changes: list[Change] = []
        self.conflicts: list[Conflict] = []
        self.archived_upstream: list[str] = []
        self.unchanged = 0

    def place(self, entity: Entity) -> None:
        matched = self._by_cortex_id.get(entity.tag, [])
        if entity.is_archived:
            if matched:
                self.archived_upstream.append(entity.tag)
        elif len(matched) > 1:
            self._conflict(entity, f"{len(matched)} Rootly services have cortex_id `{entity.tag}`")
        elif matched:
            self._update(entity, matched[0])
        else:
            self._adopt_or_create(entity)

    def _update(self, entity: Entity, current: RootlyService) -> None:
        wanted = owned_attributes(entity)
        fields = _differing_fields(wanted, current)
        if fields:
            self.changes.append(Change(Action.UPDATE, entity.tag, wanted, current.id, fields))
        else:
            self.unchanged += 1

    def _adopt_or_create(self, entity: Entity) -> None:
        wanted = owned_attributes(entity)
        name = _name_key(entity.name)
        candidates = self._unclaimed_by_name.get(name, [])
        if not candidates:
            fields = tuple(wanted.to_attributes())
            self.changes.append(Change(Action.CREATE, entity.tag, wanted, fields=fields))
        elif len(candidates) > 1:
            self._conflict(
                entity, f"{len(candidates)} Rootly services without cortex_id are named this"
            )
        elif self._name_demand[name] > 1:
            self._conflict(
                entity, f"{self._name_demand[name]} Cortex services share this Rootly service name"
            )
        else:
            fields = _differing_fields(wanted, candidates[0])
            self.changes.append(Change(Action.ADOPT, entity.tag, wanted, candidates[0].id, fields))

    def _conflict(self, entity: Entity, reason: str) -> None:
        self.conflicts.append(Conflict(entity.tag, f"{entity.name}: {reason}"))


def plan_sync(cortex: Sequence[Entity], rootly: Sequence[RootlyService]) -> SyncPlan:
    """What to write so Rootly mirrors Cortex, in tag order; `cortex` includes archived services."""
    planner = _Planner(cortex, rootly)
    for entity in sorted(cortex, key=lambda entity: entity.tag):
        planner.place(entity)
    return SyncPlan(
        changes=tuple(planner.changes),
        conflicts=tuple(planner.conflicts),
        archived_upstream=tuple(planner.archived_upstream),
        unchanged=planner.unchanged,
    )
