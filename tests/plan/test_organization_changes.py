"""Organization changes as values: the calls they make (as the recordings show them), how
they order, count, serialize and are guarded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jhe_sync.plan.change import Call, Cascade, CascadedStudy, Change, FieldChange, PatientTarget
from jhe_sync.plan.plan import Plan, SafetyPolicy, destroyed_objects, refusals
from jhe_sync.plan.serialize import plan_from_dict
from jhe_sync.resources import ChangeKind

from .schema_check import errors

SCHEMA = json.loads((Path(__file__).parents[2] / "specs" / "plan.schema.json").read_text())
LENIENT = SafetyPolicy(max_destroy=1000, max_destroy_fraction=1.0)


def said(plan: Plan, policy: SafetyPolicy) -> list[str]:
    """The refusals as apply's error lists them, one line each."""
    return [str(reason) for reason in refusals(plan, policy)]


def org_change(kind: ChangeKind, key: str = "sleep-lab", **fields: Any) -> Change:
    defaults: dict[str, Any] = {"organization_id": 20009, "name": "Sleep Lab"}
    return Change(kind=kind, key=key, **(defaults | fields))


def role(kind: ChangeKind, before: str | None, after: str | None, **fields: Any) -> Change:
    return org_change(
        kind,
        link_id=10003,
        link_label="member_megan@example.com",
        fields=(FieldChange("role", before, after),),
        **fields,
    )


def membership(kind: ChangeKind, **fields: Any) -> Change:
    return org_change(kind, link_id=40003, link_label="npl_patient_percy@example.com", **fields)


CREATE = org_change(
    ChangeKind.CREATE_ORGANIZATION,
    organization_id=None,
    organization_key="sleep-lab",
    parent_id=20003,
    fields=(FieldChange("name", None, "Sleep Lab"), FieldChange("type", None, "laboratory")),
)


@pytest.mark.parametrize(
    ("change", "call"),
    [
        (
            CREATE,  # 403
            Call(
                "POST",
                "/api/v1/organizations",
                {"name": "Sleep Lab", "type": "laboratory", "part_of": 20003},
            ),
        ),
        (
            org_change(  # 422, 423
                ChangeKind.UPDATE_ORGANIZATION,
                fields=(FieldChange("name", "Sleep Unit", "Sleep Lab"),),
            ),
            Call("PATCH", "/api/v1/organizations/20009", {"name": "Sleep Lab"}),
        ),
        (
            org_change(ChangeKind.MOVE_ORGANIZATION, parent_id=20007),  # 430
            Call("PATCH", "/api/v1/organizations/20009", {"partOf": 20007}),
        ),
        (
            org_change(ChangeKind.DELETE_ORGANIZATION),  # 435
            Call("DELETE", "/api/v1/organizations/20009"),
        ),
        (
            role(ChangeKind.GRANT_ROLE, None, "member"),  # 469
            Call(
                "POST",
                "/api/v1/organizations/20009/user",
                {"jhe_user_id": 10003, "organization_partitioner_role": "member"},
            ),
        ),
        (
            role(ChangeKind.LOWER_ROLE, "member", "viewer"),  # 461
            Call(
                "POST",
                "/api/v1/organizations/20009/user",
                {"jhe_user_id": 10003, "organization_partitioner_role": "viewer"},
            ),
        ),
        (
            role(ChangeKind.REMOVE_ROLE, "member", None),  # 474
            Call("DELETE", "/api/v1/organizations/20009/remove_user", {"jhe_user_id": 10003}),
        ),
        (
            membership(ChangeKind.ADD_MEMBERSHIP),  # 494
            Call("PATCH", "/api/v1/patients/40003/global_add_organization?organization_id=20009"),
        ),
        (
            membership(ChangeKind.REMOVE_MEMBERSHIP),  # 508
            Call("DELETE", "/api/v1/patients/40003?organization_id=20009"),
        ),
    ],
    ids=lambda value: value.kind.value if isinstance(value, Change) else "",
)
def test_each_organization_change_makes_the_call_the_recordings_show(change, call):
    assert change.call() == call


def test_changes_in_an_organization_the_plan_creates_name_it_by_its_key():
    grant = role(ChangeKind.GRANT_ROLE, None, "member", organization_id=None)
    grant = Change(**{**grant.__dict__, "organization_key": "sleep-lab"})
    child = org_change(
        ChangeKind.CREATE_ORGANIZATION,
        key="sleep-clinic",
        organization_id=None,
        organization_key="sleep-clinic",
        parent_key="sleep-lab",
        fields=(FieldChange("name", None, "Sleep Clinic"), FieldChange("type", None, "team")),
    )
    study = Change(
        kind=ChangeKind.CREATE_STUDY,
        key="sleep",
        organization_id=None,
        organization_key="sleep-lab",
        name="Sleep",
        fields=(FieldChange("name", None, "Sleep"), FieldChange("description", None, "d")),
    )

    assert grant.call().path == "/api/v1/organizations/{organization:sleep-lab}/user"
    assert child.call().body == {
        "name": "Sleep Clinic",
        "type": "team",
        "part_of": "{organization:sleep-lab}",
    }
    assert study.call().body == {
        "name": "Sleep",
        "description": "d",
        "organization": "{organization:sleep-lab}",
    }


def test_organization_entries_come_before_study_entries_and_run_in_phases():
    study = Change(kind=ChangeKind.ENROLL, key="a-study", organization_id=20009, study_id=30001)
    remove = membership(ChangeKind.REMOVE_MEMBERSHIP)
    add = membership(ChangeKind.ADD_MEMBERSHIP)
    plan = Plan(changes=(study, remove, add, CREATE))

    assert [c.kind for c in plan.changes] == [
        ChangeKind.CREATE_ORGANIZATION,
        ChangeKind.ADD_MEMBERSHIP,
        ChangeKind.REMOVE_MEMBERSHIP,
        ChangeKind.ENROLL,
    ]
    assert [c.kind.phase for c in plan.changes] == [0, 0, 2, 1]


def test_the_summary_counts_organizations_roles_and_memberships():
    plan = Plan(
        changes=(
            CREATE,
            role(ChangeKind.GRANT_ROLE, None, "member"),
            role(ChangeKind.RAISE_ROLE, "viewer", "member", key="other"),
            membership(ChangeKind.REMOVE_MEMBERSHIP),
            org_change(ChangeKind.DELETE_ORGANIZATION, key="old-lab"),
        )
    )

    assert plan.counts.summary() == (
        "Plan: 1 to create, 1 to update, 1 to delete; 1 links to add, 1 to remove; "
        "2 destructive: 1 patient membership removal, 1 organization deletion"
    )


@pytest.mark.parametrize(
    "change",
    [
        role(ChangeKind.GRANT_ROLE, None, "viewer"),
        role(ChangeKind.RAISE_ROLE, "viewer", "member"),
        membership(ChangeKind.ADD_MEMBERSHIP),
        CREATE,
    ],
    ids=lambda c: c.kind.value,
)
def test_adding_or_raising_access_needs_no_flag(change):
    assert refusals(Plan(changes=(change,)), SafetyPolicy()) == []


@pytest.mark.parametrize(
    "change",
    [
        role(ChangeKind.LOWER_ROLE, "member", "viewer"),
        role(ChangeKind.REMOVE_ROLE, "member", None),
        membership(ChangeKind.REMOVE_MEMBERSHIP),
        org_change(ChangeKind.MOVE_ORGANIZATION, parent_id=20007),
        org_change(ChangeKind.DELETE_ORGANIZATION),
    ],
    ids=lambda c: c.kind.value,
)
def test_taking_access_away_is_refused_unless_allowed_for_the_organization(change):
    plan = Plan(changes=(change,))

    (reason,) = said(plan, LENIENT)
    assert reason.startswith('organization "sleep-lab": ')
    assert reason.endswith(
        "destructive; allow it with --allow-destroy sleep-lab (this organization) "
        "or --allow-destroy (all)"
    )
    assert refusals(plan, SafetyPolicy(allow_destroy_keys=frozenset({"sleep-lab"}))) == []
    assert destroyed_objects(plan) == 1


@pytest.mark.parametrize("lockouts", [("caller",), ("last_manager",), ("caller", "last_manager")])
def test_a_lockout_is_refused_whatever_the_flags(lockouts):
    change = role(ChangeKind.REMOVE_ROLE, "manager", None, lockouts=lockouts)
    allow_all = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)

    (reason,) = said(Plan(changes=(change,)), allow_all)
    assert "refused whatever the flags" in reason


def test_a_protected_organization_is_never_deleted():
    change = org_change(ChangeKind.DELETE_ORGANIZATION, protected=True)
    allow_all = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)

    (reason,) = said(Plan(changes=(change,)), allow_all)
    assert "the organization is protected (protect: true)" in reason


def test_organization_changes_round_trip_through_the_json_form_and_fit_the_schema():
    cascade = Cascade(
        studies=(CascadedStudy(30006, "Sleep", 20009, enrolled=2, consented=1, consents=3),),
        memberships=2,
        roles=1,
        patients=(PatientTarget(40008, "#40008"),),
        complete=False,
    )
    plan = Plan(
        changes=(
            CREATE,
            role(ChangeKind.REMOVE_ROLE, "manager", None, lockouts=("caller",)),
            org_change(ChangeKind.DELETE_ORGANIZATION, key="old-lab", cascade=cascade),
        )
    )
    document = json.loads(json.dumps(plan.to_dict()))

    assert errors(document, SCHEMA) == []
    assert plan_from_dict(document) == plan
