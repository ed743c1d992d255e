"""The sync plan as pure data: matching, adoption, conflicts, archived services."""

from __future__ import annotations

from bot.cortex.models import Entity
from bot.rootly.models import RootlyService
from bot.sync import Action, plan_sync


def entity(tag: str, name: str | None = None, **fields: object) -> Entity:
    return Entity.model_validate({"tag": tag, "name": name or tag.title(), **fields})


def rootly(
    service_id: str, name: str, cortex_id: str | None = None, **fields: object
) -> RootlyService:
    return RootlyService.model_validate(
        {"id": service_id, "name": name, "cortex_id": cortex_id, **fields}
    )


def test_cortex_services_missing_from_rootly_are_created_in_tag_order() -> None:
    plan = plan_sync([entity("b", description="B"), entity("a")], [])

    assert [(change.action, change.tag) for change in plan.changes] == [
        (Action.CREATE, "a"),
        (Action.CREATE, "b"),
    ]
    assert plan.changes[1].attributes.to_attributes() == {
        "name": "B",
        "description": "B",
        "cortex_id": "b",
        "external_id": "cortex:b",
    }
    assert all(change.bulk for change in plan.changes)


def test_a_service_matched_by_cortex_id_is_updated_only_where_it_differs() -> None:
    plan = plan_sync(
        [entity("a", "Alpha", description="new"), entity("b", "Beta")],
        [rootly("r1", "Alpha", "a", description="old"), rootly("r2", "Beta", "b")],
    )

    assert [(c.action, c.tag, c.rootly_id, c.fields) for c in plan.changes] == [
        (Action.UPDATE, "a", "r1", ("description",))
    ]
    assert plan.unchanged == 1


def test_an_empty_description_equals_none_so_it_is_not_rewritten() -> None:
    plan = plan_sync([entity("a", "Alpha", description="")], [rootly("r1", "Alpha", "a")])

    assert plan.changes == ()
    assert plan.unchanged == 1


def test_the_only_unclaimed_rootly_service_with_the_name_is_adopted() -> None:
    plan = plan_sync(
        [entity("pay", "Payments API")],
        [rootly("r1", "payments api "), rootly("r2", "Payments API", "other")],
    )

    [change] = plan.changes
    assert (change.action, change.rootly_id) == (Action.ADOPT, "r1")
    assert set(change.fields) == {"name", "cortex_id"}


def test_two_unclaimed_rootly_services_with_the_name_are_a_conflict() -> None:
    plan = plan_sync(
        [entity("pay", "Payments")], [rootly("r1", "Payments"), rootly("r2", "Payments")]
    )

    assert plan.changes == ()
    assert [conflict.tag for conflict in plan.conflicts] == ["pay"]
    assert "2 Rootly services" in plan.conflicts[0].reason


def test_two_cortex_services_wanting_one_rootly_service_are_both_conflicts() -> None:
    plan = plan_sync([entity("a", "Same"), entity("b", "Same")], [rootly("r1", "Same")])

    assert plan.changes == ()
    assert [conflict.tag for conflict in plan.conflicts] == ["a", "b"]


def test_two_rootly_services_with_one_cortex_id_are_a_conflict() -> None:
    plan = plan_sync([entity("a")], [rootly("r1", "A", "a"), rootly("r2", "A copy", "a")])

    assert plan.changes == ()
    assert "cortex_id `a`" in plan.conflicts[0].reason


def test_archived_services_are_not_imported_and_synced_ones_are_left_and_reported() -> None:
    plan = plan_sync(
        [
            entity("gone", isArchived=True),
            entity("old", "Old", isArchived=True, description="changed"),
            entity("named", "Named", isArchived=True),
        ],
        [rootly("r1", "Old", "old"), rootly("r2", "Named")],
    )

    assert plan.changes == ()
    assert plan.archived_upstream == ("old",)
    assert plan.conflicts == ()


def test_a_long_value_is_cut_in_the_plan_but_written_whole() -> None:
    long = "x" * 500
    plan = plan_sync([entity("a", "A", description=long)], [rootly("r1", "A", "a")])

    [change] = plan.changes
    [diff] = change.diffs
    assert (diff.before, len(diff.after or ""), (diff.after or "")[-1]) == (None, 200, "…")
    assert change.attributes.description == long
