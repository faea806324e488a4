"""Which side each difference came from: compared with the plan of the spec at the last
applied commit, part by part (patients one by one, fields one by one)."""

from __future__ import annotations

from typing import Any

import pytest
from apply.helpers import desired, plan_for, study

from jhe_sync.apply import apply_plan
from jhe_sync.drift import Side, attribute
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.change import Change, FieldChange, PatientTarget
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.resources import ChangeKind
from jhe_sync.spec.models import PatientRef

PETER, PAMELA = "ll_patient_peter@example.com", "ll_patient_pamela@example.com"


def update(**fields: tuple[Any, Any]) -> Change:
    return Change(
        ChangeKind.UPDATE_STUDY,
        "bp",
        20003,
        study_id=30002,
        name="Lifespan Study on BP",
        fields=tuple(FieldChange(name, before, after) for name, (before, after) in fields.items()),
    )


def enroll(*ids: int) -> Change:
    return Change(
        ChangeKind.ENROLL,
        "bp",
        20003,
        study_id=30002,
        patients=tuple(PatientTarget(i, f"#{i}") for i in ids),
    )


def scope(link_id: int, kind: ChangeKind = ChangeKind.ADD_SCOPE) -> Change:
    return Change(kind, "bp", 20003, study_id=30002, link_id=link_id, link_label=f"scope {link_id}")


# -- the rule, on plans built by hand ----------------------------------------------------


@pytest.mark.parametrize(
    ("now", "then", "side"),
    [
        (scope(50001), scope(50001), Side.LIVE),
        (scope(50001), None, Side.SPEC),
        (scope(50001, ChangeKind.REMOVE_SCOPE), scope(50001), Side.SPEC),
        (update(description=("C", "A")), update(description=("C", "A")), Side.LIVE),
        (update(description=("C", "B")), update(description=("C", "A")), Side.BOTH),
        (update(description=("A", "B")), None, Side.SPEC),
        (enroll(40001), enroll(40001), Side.LIVE),
    ],
    ids=[
        "a-link-the-console-removed",
        "a-link-the-spec-added",
        "a-link-the-spec-removed",
        "a-field-the-console-edited",
        "a-field-both-changed",
        "a-field-the-spec-changed",
        "a-patient-the-console-unenrolled",
    ],
)
def test_a_change_the_applied_spec_also_wants_came_from_the_exchange(
    now: Change, then: Change | None, side: Side
) -> None:
    applied = Plan(changes=(then,) if then else ())
    [attributed] = attribute(Plan(changes=(now,)), applied, "abc123").changes
    assert attributed.side is side


def test_one_enrollment_change_can_hold_both_sides_patient_by_patient() -> None:
    [item] = attribute(
        Plan(changes=(enroll(40001, 40002),)), Plan(changes=(enroll(40001),))
    ).changes
    assert (item.side, item.live_parts, item.spec_parts) == (Side.BOTH, ("#40001",), ("#40002",))


def test_one_update_can_hold_both_sides_field_by_field() -> None:
    now = update(name=("X", "Lifespan Study on BP"), description=("C", "B"))
    then = update(name=("X", "Lifespan Study on BP"))
    [item] = attribute(Plan(changes=(now,)), Plan(changes=(then,))).changes
    assert (item.live_parts, item.spec_parts) == (("name",), ("description",))


def test_without_the_applied_spec_every_side_is_unknown_and_says_why() -> None:
    drift = attribute(Plan(changes=(scope(50001),)), None, why="no applied commit was given")
    assert [a.side for a in drift.changes] == [Side.UNKNOWN]
    assert drift.unknown_why == "no applied commit was given"


def test_an_exchange_that_matches_is_no_drift() -> None:
    drift = attribute(Plan(changes=()), Plan(changes=(scope(50001),)), "abc123")
    assert not drift.differs and drift.changes == ()


# -- against the exchange ------------------------------------------------------------------


def test_a_console_edit_and_a_spec_change_since_the_last_apply_are_told_apart(
    exchange: Exchange,
) -> None:
    applied = desired(
        study(
            "bp",
            "Lifespan Study on BP",
            scope_requests=["omh:blood-pressure:4.0"],
            patients=[PatientRef(email=PETER), PatientRef(email=PAMELA)],
        )
    )
    everything = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)
    assert apply_plan(exchange, plan_for(exchange, applied), everything).ok
    # in the console: the description edited, Pamela unenrolled
    exchange.write("PATCH", "/api/v1/studies/30002", {"description": "Edited in the console"})
    exchange.write("DELETE", "/api/v1/studies/30002/patients", {"patient_ids": [40002]})
    # in git since: a second scope
    head = desired(
        study(
            "bp",
            "Lifespan Study on BP",
            scope_requests=["omh:blood-pressure:4.0", "omh:heart-rate:2.0"],
            patients=[PatientRef(email=PETER), PatientRef(email=PAMELA)],
        )
    )
    drift = attribute(plan_for(exchange, head), plan_for(exchange, applied), "abc123")
    sides = {item.change.kind: item.side for item in drift.changes}
    assert sides == {
        ChangeKind.UPDATE_STUDY: Side.LIVE,
        ChangeKind.ENROLL: Side.LIVE,
        ChangeKind.ADD_SCOPE: Side.SPEC,
    }
