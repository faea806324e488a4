"""apply reuses what the plan's snapshot read in the same run instead of reading it again;
a saved plan, which comes without one, is checked against fresh reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apply.helpers import DEFAULT, HYPERTENSION, writes
from jhe_sync.apply import Outcome, apply_plan
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.change import Change, PatientTarget
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import ChangeKind
from jhe_sync.workflow import make_plan

Connect = Callable[..., Exchange]
MEMBER_LISTS = "/api/v1/patients"
"""``GET /patients?organization_id=N``: an organization's patient list."""


def member_list_reads(app: Any) -> list[Any]:
    return app.requests("GET", MEMBER_LISTS)


def test_apply_after_a_plan_reads_no_patient_list_again(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan, snapshot = make_plan(exchange, HYPERTENSION, parallelism=8)
    assert len(member_list_reads(app)) == 1
    app.seen.clear()
    result = apply_plan(exchange, plan, DEFAULT, snapshot=snapshot)
    assert result.ok
    assert member_list_reads(app) == []
    assert len(writes(app)) == len(plan.changes) == 6


def test_apply_without_the_snapshot_reads_each_patient_list_it_checks_once(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan, _ = make_plan(exchange, HYPERTENSION, parallelism=8)
    app.seen.clear()
    assert apply_plan(exchange, plan, DEFAULT).ok
    [listed] = member_list_reads(app)
    assert "organization_id=20003" in listed.query


def _enroll(*patients: int) -> Change:
    return Change(
        ChangeKind.ENROLL,
        "bp",
        20003,
        study_id=30002,
        patients=tuple(PatientTarget(i, f"#{i}") for i in patients),
    )


def test_a_patient_the_snapshot_shows_outside_the_organization_is_never_sent(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    _, snapshot = make_plan(exchange, HYPERTENSION, parallelism=8)
    app.seen.clear()
    # 40003 is a patient of Neptunian Pulse Lab (20007), not of Lifespan Lab
    result = apply_plan(exchange, Plan(changes=(_enroll(40003),)), DEFAULT, snapshot=snapshot)
    [refused] = result.results
    assert refused.outcome is Outcome.FAILED
    assert "not patients of organization 20003" in refused.reason
    assert app.seen == []


def test_an_organization_whose_members_the_plan_changes_is_read_when_enrolling(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    _, snapshot = make_plan(exchange, HYPERTENSION, parallelism=8)
    # A plan that adds 40003 to Lifespan Lab, then enrolls them: the list the snapshot
    # read before the membership change would refuse them.
    add = Change(ChangeKind.ADD_MEMBERSHIP, "lifespan-lab", 20003, link_id=40003)
    plan = Plan(changes=(add, _enroll(40003)))
    app.seen.clear()
    apply_plan(exchange, plan, DEFAULT, snapshot=snapshot)
    [listed] = member_list_reads(app)
    assert "organization_id=20003" in listed.query


def test_the_snapshot_holds_the_ids_of_each_patient_list_it_read(
    exchange: Exchange,
) -> None:
    _, snapshot = make_plan(exchange, HYPERTENSION, parallelism=8)
    assert snapshot.organization_patient_ids == {20003: frozenset({40001, 40002})}
