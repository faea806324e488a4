"""Identity: which live study a spec entry stands for (pinned id, org + name, previous names)."""

from __future__ import annotations

import pytest

from jhe_sync.errors import ResolveError
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind, FieldChange

from .conftest import (
    HYPERTENSION_DESCRIPTION,
    LIFESPAN,
    desired,
    kinds,
    live_study,
    make_live,
    spec,
)


def same_study(study_id: int, name: str = "Hypertension Management Study", **fields):
    return live_study(study_id, name, description=HYPERTENSION_DESCRIPTION, **fields)


def test_a_pinned_id_matches_whatever_the_live_name():
    live = make_live(same_study(30012, "Renamed in the console"))

    (update,) = build_plan(desired(spec(id=30012)), live).changes

    assert update.kind is ChangeKind.UPDATE_STUDY
    assert update.study_id == 30012
    assert update.fields == (
        FieldChange("name", "Renamed in the console", "Hypertension Management Study"),
    )


def test_a_pinned_id_that_does_not_exist_is_an_error_at_the_pin():
    with pytest.raises(ResolveError) as raised:
        build_plan(desired(spec(id=39999)), make_live())

    (problem,) = raised.value.problems
    assert problem.path == "studies[hypertension].id"
    assert str(problem.location) == "studies/hypertension.yaml:2:1"
    assert "pinned study id 39999 does not exist" in problem.message


def test_a_pinned_id_already_gone_with_state_absent_plans_nothing():
    assert build_plan(desired(spec(id=39999, state="absent")), make_live()).empty


def test_without_a_pin_the_organization_and_name_match():
    live = make_live(same_study(30012))

    assert build_plan(desired(spec()), live).empty


def test_a_study_of_the_same_name_in_another_organization_does_not_match():
    live = make_live(same_study(30020, organization=20007), read=[LIFESPAN, 20007])

    assert kinds(build_plan(desired(spec()), live).changes) == [ChangeKind.CREATE_STUDY]


def test_a_previous_name_turns_a_rename_into_an_update_of_the_name():
    live = make_live(same_study(30012, "BP Pilot"))

    (update,) = build_plan(desired(spec(previous_names=["BP Pilot"])), live).changes

    assert update.kind is ChangeKind.UPDATE_STUDY
    assert update.fields == (FieldChange("name", "BP Pilot", "Hypertension Management Study"),)
    assert "BP Pilot" in update.reason


def test_the_current_name_wins_over_a_previous_name():
    live = make_live(same_study(30012), same_study(30013, "BP Pilot"))

    plan = build_plan(desired(spec(previous_names=["BP Pilot"])), live)

    assert plan.empty
    assert [u.id for u in plan.unmanaged] == [30013]


def test_two_live_studies_with_the_name_are_an_error_naming_both_ids():
    live = make_live(same_study(30012), same_study(30013))

    with pytest.raises(ResolveError) as raised:
        build_plan(desired(spec()), live)

    (problem,) = raised.value.problems
    assert "ids 30012 and 30013" in problem.message
    assert problem.path == "studies[hypertension].name"


def test_two_live_studies_matching_previous_names_are_an_error_naming_both_ids():
    live = make_live(same_study(30012, "Pilot A"), same_study(30013, "Pilot B"))

    with pytest.raises(ResolveError, match="ids 30012 and 30013"):
        build_plan(desired(spec(previous_names=["Pilot A", "Pilot B"])), live)


def test_two_entries_standing_for_one_live_study_are_an_error():
    live = make_live(same_study(30012))
    entries = desired(spec(), spec("pinned", "Other name", id=30012))

    with pytest.raises(ResolveError, match="both stand for live study 30012"):
        build_plan(entries, live)
