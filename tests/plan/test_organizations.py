"""Planning organization entries against a snapshot built by hand: identity, the changes
of structure, roles and memberships, what goes with a deletion, the lockouts, and the
pre-flight checks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from jhe_sync.errors import PreflightError, ResolveError, SourceLocation
from jhe_sync.live import Caller, Live, Organization, Patient, PractitionerRole, User
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.resources import ChangeKind
from jhe_sync.spec.models import OrganizationSettings, PatientRef

from .conftest import (
    CALLER,
    LIFESPAN,
    NEPTUNIAN,
    PAMELA,
    PETER,
    consent,
    desired,
    kinds,
    live_study,
    make_live,
    spec,
)

MARY, MEGAN, VICTOR, TOM = 10002, 10003, 10004, 10005
SLEEP = 20009
TYPES = {"root": "ROOT", "laboratory": "Laboratory", "team": "Organizational team"}
LIFESPAN_ROLES = (
    PractitionerRole(MARY, "manager_mary@example.com", "manager"),
    PractitionerRole(MEGAN, "member_megan@example.com", "member"),
    PractitionerRole(VICTOR, "viewer_victor@example.com", "viewer"),
    PractitionerRole(TOM, "three_org_tom@example.com", "viewer"),
)
ALLOW_ALL = SafetyPolicy(allow_destroy_all=True, max_destroy=1000, max_destroy_fraction=1.0)


def entry(organization: int | str = "Lifespan Lab", **fields: Any) -> OrganizationSettings:
    settings = OrganizationSettings(organization=organization, **fields)
    file = "organizations.yaml"
    return settings.with_locations(
        SourceLocation(file, 1),
        {
            "organization": SourceLocation(file, 2),
            "part_of": SourceLocation(file, 3),
            "type": SourceLocation(file, 4),
            "practitioners": SourceLocation(file, 5),
            **{
                f"practitioners.{email}": SourceLocation(file, 6 + i)
                for i, email in enumerate(settings.practitioners or {})
            },
            "patients": SourceLocation(file, 20),
        },
    )


ADMIN = Caller(10001, "admin@example.com", is_superuser=True)


def snapshot(*studies: Any, caller: Caller = CALLER, **changes: Any) -> Live:
    """The seeded exchange with Lifespan Lab's roles and patients read, and the types;
    ``users`` adds accounts to those the roles list shows."""
    superuser = {o: "super_user" for o in (20001, 20002, LIFESPAN)}
    live = make_live(*studies, caller=caller, roles=superuser if caller.is_superuser else None)
    users = {r.email: User(r.user_id, r.email) for r in LIFESPAN_ROLES} | changes.pop("users", {})
    defaults: dict[str, Any] = {
        "roles": {LIFESPAN: LIFESPAN_ROLES},
        "organization_patient_ids": {LIFESPAN: frozenset({PETER.id, PAMELA.id})},
        "organization_types": TYPES,
    }
    return replace(live, users=users, **(defaults | changes))


def with_organization(live: Live, *organizations: Organization) -> Live:
    return replace(live, organizations={**live.organizations, **{o.id: o for o in organizations}})


def plan_of(*entries: OrganizationSettings, live: Live | None = None, studies: Any = ()) -> Plan:
    return build_plan(desired(*studies, organizations=entries), live or snapshot())


def only(plan: Plan, kind: ChangeKind) -> Change:
    (change,) = [c for c in plan.changes if c.kind is kind]
    return change


# -- roles --------------------------------------------------------------------------------


PRACTITIONERS = {
    "manager_mary@example.com": "manager",
    "member_megan@example.com": "member",
    "viewer_victor@example.com": "viewer",
    "three_org_tom@example.com": "viewer",
}


def test_practitioners_as_they_are_plan_nothing():
    assert plan_of(entry(practitioners=PRACTITIONERS)).changes == ()


def test_a_viewer_raised_to_member_is_one_call_and_needs_no_flag():
    plan = plan_of(entry(practitioners=PRACTITIONERS | {"viewer_victor@example.com": "member"}))

    raised = only(plan, ChangeKind.RAISE_ROLE)
    assert (raised.link_label, raised.role) == ("viewer_victor@example.com", ("viewer", "member"))
    assert plan.refusals(SafetyPolicy()) == []


def test_lowering_and_removing_roles_are_destructive_and_counted():
    practitioners = PRACTITIONERS | {"member_megan@example.com": "viewer"}
    del practitioners["three_org_tom@example.com"]
    plan = plan_of(entry(practitioners=practitioners))

    assert kinds(plan.changes) == [ChangeKind.LOWER_ROLE, ChangeKind.REMOVE_ROLE]
    assert all(change.destructive for change in plan.changes)
    assert len(plan.refusals(SafetyPolicy())) == 2
    assert plan.refusals(SafetyPolicy(allow_destroy_keys=frozenset({"lifespan-lab"}))) == []


def test_a_practitioner_found_by_email_and_not_in_the_organization_is_granted():
    live = snapshot(users={"manager_mark@example.com": User(10008, "manager_mark@example.com")})
    plan = plan_of(
        entry(practitioners=PRACTITIONERS | {"manager_mark@example.com": "member"}), live=live
    )

    granted = only(plan, ChangeKind.GRANT_ROLE)
    assert granted.call().body == {"jhe_user_id": 10008, "organization_partitioner_role": "member"}


def test_a_practitioner_the_api_created_gets_no_blind_grant_but_a_warning_saying_why():
    api_made = User(10013, "probe_prac_2@example.com", listed=False)
    live = snapshot(users={"probe_prac_2@example.com": api_made})
    plan = plan_of(
        entry(practitioners=PRACTITIONERS | {"probe_prac_2@example.com": "member"}), live=live
    )

    assert plan.changes == ()
    (warning,) = plan.warnings
    assert warning.key == "lifespan-lab"
    assert "created through the API" in warning.message
    assert (
        "upsert: it creates the link or replaces the role, never duplicates it" in warning.message
    )
    assert "every later plan would propose it again" in warning.message


def test_an_unknown_practitioner_email_is_a_located_error_with_a_hint():
    live = snapshot(users={"nobody@example.com": None})

    with pytest.raises(ResolveError) as raised:
        plan_of(entry(practitioners={"nobody@example.com": "member"}), live=live)
    (problem,) = raised.value.problems
    assert problem.path == "organizations[lifespan-lab].practitioners.nobody@example.com"
    assert problem.location == SourceLocation("organizations.yaml", 6)
    assert "no account has the e-mail nobody@example.com" in problem.message
    assert "POST /practitioners" in problem.message


def test_a_patients_account_cannot_hold_a_role():
    live = snapshot(users={PETER.email: User(10006, PETER.email, listed=False, patient=True)})

    with pytest.raises(ResolveError, match="is a patient's account, not a practitioner's"):
        plan_of(entry(practitioners={PETER.email: "member"}), live=live)


def test_taking_the_manager_role_from_the_caller_is_refused_whatever_the_flags():
    plan = plan_of(entry(practitioners=PRACTITIONERS | {"manager_mary@example.com": "member"}))

    lowered = only(plan, ChangeKind.LOWER_ROLE)
    assert lowered.lockouts == ("caller", "last_manager")
    (reason,) = map(str, plan.refusals(replace(ALLOW_ALL, ignore_threshold=True)))
    assert "takes the manager role from the identity applying this plan" in reason
    assert "leaves the organization without a manager" in reason


def test_leaving_an_organization_without_a_manager_is_refused_whatever_the_flags():
    roles = (*LIFESPAN_ROLES, PractitionerRole(10008, "manager_mark@example.com", "manager"))
    mark = User(10008, "manager_mark@example.com")
    live = snapshot(roles={LIFESPAN: roles}, caller=ADMIN, users={mark.email: mark})
    practitioners = PRACTITIONERS | {"manager_mary@example.com": "member"}
    plan = plan_of(
        entry(practitioners=practitioners | {"manager_mark@example.com": "viewer"}), live=live
    )

    assert [c.lockouts for c in plan.changes] == [("last_manager",), ("last_manager",)]
    assert len(plan.refusals(replace(ALLOW_ALL, ignore_threshold=True))) == 2


def test_a_second_manager_lowered_leaves_one_and_is_only_guarded():
    roles = (*LIFESPAN_ROLES, PractitionerRole(10008, "manager_mark@example.com", "manager"))
    mark = User(10008, "manager_mark@example.com")
    live = snapshot(roles={LIFESPAN: roles}, users={mark.email: mark})
    plan = plan_of(
        entry(practitioners=PRACTITIONERS | {"manager_mark@example.com": "viewer"}), live=live
    )

    assert only(plan, ChangeKind.LOWER_ROLE).lockouts == ()
    assert plan.refusals(ALLOW_ALL) == []


# -- a new sub-organization ----------------------------------------------------------------


def sleep_lab(**fields: Any) -> OrganizationSettings:
    return entry("Sleep Lab", part_of="Lifespan Lab", type="laboratory", **fields)


def test_a_new_sub_organization_with_three_roles_is_three_calls_its_creator_a_manager_already():
    plan = plan_of(
        sleep_lab(
            practitioners={
                "manager_mary@example.com": "manager",
                "member_megan@example.com": "member",
                "viewer_victor@example.com": "viewer",
            }
        )
    )

    assert kinds(plan.changes) == [
        ChangeKind.CREATE_ORGANIZATION,
        ChangeKind.GRANT_ROLE,
        ChangeKind.GRANT_ROLE,
    ]
    create = plan.changes[0]
    assert create.call().body == {"name": "Sleep Lab", "type": "laboratory", "part_of": LIFESPAN}
    assert {c.call().path for c in plan.changes[1:]} == {
        "/api/v1/organizations/{organization:sleep-lab}/user"
    }


def test_a_new_sub_organization_that_does_not_list_its_creator_would_lock_them_out():
    plan = plan_of(sleep_lab(practitioners={"member_megan@example.com": "manager"}))

    removed = only(plan, ChangeKind.REMOVE_ROLE)
    assert removed.link_label == "manager_mary@example.com"
    assert removed.lockouts == ("caller",)


def test_a_child_of_a_new_organization_is_created_under_it():
    child = entry("Sleep Clinic", part_of="Sleep Lab", type="team")
    plan = plan_of(sleep_lab(), child)

    created = only(
        Plan(changes=tuple(c for c in plan.changes if c.key == "sleep-clinic")),
        ChangeKind.CREATE_ORGANIZATION,
    )
    assert (created.parent_id, created.parent_key) == (None, "sleep-lab")
    assert created.call().body["part_of"] == "{organization:sleep-lab}"


def test_organizations_whose_parents_make_a_cycle_are_an_error():
    with pytest.raises(ResolveError, match="make a cycle"):
        plan_of(
            entry("A Lab", part_of="B Lab", type="team"),
            entry("B Lab", part_of="A Lab", type="team"),
        )


def test_an_unknown_organization_without_a_parent_says_to_give_part_of():
    with pytest.raises(ResolveError) as raised:
        plan_of(entry("Sleep Lab"))
    (problem,) = raised.value.problems
    assert "to create it, give part_of" in problem.message


def test_creating_an_organization_needs_its_type_and_a_key_of_the_types():
    with pytest.raises(ResolveError, match="needs its type"):
        plan_of(entry("Sleep Lab", part_of="Lifespan Lab"))
    with pytest.raises(ResolveError, match=r'type "lab" .*; the keys are: laboratory, team'):
        plan_of(entry("Sleep Lab", part_of="Lifespan Lab", type="lab"))


def test_creating_under_an_organization_where_the_caller_is_no_manager_is_refused_for_its_role():
    live = snapshot()
    plan = plan_of(entry("Sleep Lab", part_of="Neptunian Pulse Lab", type="laboratory"), live=live)

    (refusal,) = plan.refusals(ALLOW_ALL, caller=live)
    assert refusal.reason == "role"
    assert "creating an organization under it needs the manager role" in str(refusal)


# -- structure of a live organization ------------------------------------------------------


def test_a_previous_name_under_the_parent_is_a_rename():
    sleep = Organization(SLEEP, "Sleep Unit", "laboratory", LIFESPAN)
    plan = plan_of(
        sleep_lab(previous_names=["Sleep Unit"]), live=with_organization(snapshot(), sleep)
    )

    update = only(plan, ChangeKind.UPDATE_ORGANIZATION)
    assert update.call().body == {"name": "Sleep Lab"}
    assert "still named" in update.reason


def test_another_part_of_is_a_guarded_move_that_says_who_gets_the_organization():
    sleep = Organization(SLEEP, "Sleep Lab", "laboratory", LIFESPAN)
    live = with_organization(snapshot(), sleep)
    plan = plan_of(entry("Sleep Lab", part_of="Saturn School of Data Science"), live=live)

    move = only(plan, ChangeKind.MOVE_ORGANIZATION)
    assert move.call().body == {"partOf": 20002}
    assert move.destructive
    assert "hands its update and delete rights to the managers of" in move.reason


def test_a_move_under_its_own_child_is_stopped():
    with pytest.raises(PreflightError, match="the tree would become a loop"):
        plan_of(entry("Saturn School of Data Science", part_of="Lifespan Lab"))


# -- patient membership -------------------------------------------------------------------


def test_a_patient_listed_is_added_with_global_add_organization():
    nina = Patient(40003, "np_patient_nina@example.com", (), frozenset({NEPTUNIAN}))
    live = snapshot()
    live = replace(live, patients={**live.patients, nina.id: nina})
    plan = plan_of(entry(patients=[PETER.email, PAMELA.email, nina.email]), live=live)

    added = only(plan, ChangeKind.ADD_MEMBERSHIP)
    assert added.call().path == (
        "/api/v1/patients/40003/global_add_organization?organization_id=20003"
    )
    assert not added.destructive


def test_removing_a_patient_shows_the_studies_consents_and_a_last_organization():
    live = snapshot(live_study(30001, "BP", patients=[PETER.id, PAMELA.id]))
    answers = (consent(30001, 50002), consent(30001, 50004, False))
    live = replace(live, consents={PAMELA.id: answers})
    plan = plan_of(entry(patients=[PETER.email]), live=live)

    removed = only(plan, ChangeKind.REMOVE_MEMBERSHIP)
    assert removed.call().path == "/api/v1/patients/40002?organization_id=20003"
    assert removed.destructive
    cascade = removed.cascade
    assert cascade is not None and cascade.complete
    assert [(s.id, s.enrolled, s.consented, s.consents) for s in cascade.studies] == [
        (30001, 1, 1, 2)
    ]
    assert [p.label for p in cascade.patients] == ["#40002"]  # Lifespan Lab is her last


def test_a_patient_removed_names_them_as_the_spec_does_elsewhere():
    live = snapshot(
        organization_patient_ids={LIFESPAN: frozenset({PETER.id, PAMELA.id}), 20002: frozenset()}
    )
    saturn = entry(
        "Saturn School of Data Science", patients=[PatientRef(email=PAMELA.email, key="pam")]
    )
    plan = plan_of(entry(patients=[PETER.email]), saturn, live=live)

    assert only(plan, ChangeKind.REMOVE_MEMBERSHIP).link_label == "pam"


def test_a_study_may_enroll_a_patient_the_same_plan_adds_to_a_new_organization():
    study = spec(
        "sleep", "Sleep", organization="Sleep Lab", patients=[PatientRef(email=PETER.email)]
    )
    plan = plan_of(sleep_lab(patients=[PETER.email]), studies=[study])

    assert kinds(plan.changes) == [
        ChangeKind.CREATE_ORGANIZATION,
        ChangeKind.ADD_MEMBERSHIP,
        ChangeKind.CREATE_STUDY,
        ChangeKind.ENROLL,
    ]
    create_study = only(plan, ChangeKind.CREATE_STUDY)
    assert create_study.call().body["organization"] == "{organization:sleep-lab}"


def test_enrolling_in_a_new_organization_a_patient_it_does_not_list_is_stopped():
    study = spec(
        "sleep", "Sleep", organization="Sleep Lab", patients=[PatientRef(email=PETER.email)]
    )

    with pytest.raises(PreflightError, match="list the patient in that organization's patients"):
        plan_of(sleep_lab(), studies=[study])


def test_enrolling_a_patient_the_plan_removes_from_the_organization_is_stopped():
    study = spec("bp", "BP", patients=[PatientRef(email=PAMELA.email)])

    with pytest.raises(PreflightError, match="removing them there unenrolls them here"):
        plan_of(entry(patients=[PETER.email]), studies=[study])


def test_managing_patients_needs_a_role_that_may_see_them():
    live = snapshot(roles={})
    live = replace(
        live,
        organizations={
            **live.organizations,
            LIFESPAN: replace(live.organizations[LIFESPAN], role="viewer"),
        },
    )

    plan = plan_of(entry(patients=[PETER.email]), live=live)

    (refusal,) = plan.refusals(ALLOW_ALL, caller=live)
    assert refusal.reason == "role"
    assert "adding or removing its patients needs the manager or member role" in str(refusal)


# -- deleting an organization -------------------------------------------------------------


def test_deleting_an_organization_shows_what_goes_with_it():
    clinic = Organization(20010, "Sleep Clinic", "team", SLEEP)
    sleep = Organization(SLEEP, "Sleep Lab", "laboratory", LIFESPAN, "manager")
    orphan = Patient(40008, "probe@example.com", (), frozenset({SLEEP, 20010}))
    shared = Patient(40009, "shared@example.com", (), frozenset({SLEEP, LIFESPAN}))
    live = with_organization(
        snapshot(live_study(30006, "Sleep", organization=SLEEP, patients=[orphan.id])),
        sleep,
        clinic,
    )
    live = replace(
        live,
        patients={**live.patients, orphan.id: orphan, shared.id: shared},
        consents={orphan.id: (consent(30006, 50002),)},
        roles={SLEEP: (LIFESPAN_ROLES[0],), 20010: ()},
        read_organization_ids=frozenset({LIFESPAN, SLEEP, 20010}),
        organization_patient_ids={
            LIFESPAN: frozenset({PETER.id, PAMELA.id, shared.id}),
            SLEEP: frozenset({orphan.id, shared.id}),
            20010: frozenset({orphan.id}),
        },
    )
    plan = plan_of(entry("Sleep Lab", state="absent"), live=live)

    delete = only(plan, ChangeKind.DELETE_ORGANIZATION)
    cascade = delete.cascade
    assert cascade is not None
    assert [(o.id, o.name) for o in cascade.organizations] == [(20010, "Sleep Clinic")]
    assert [(s.id, s.name, s.enrolled, s.consented) for s in cascade.studies] == [
        (30006, "Sleep", 1, 1)
    ]
    assert (cascade.memberships, cascade.roles) == (3, 1)
    assert [p.id for p in cascade.patients] == [40008]
    assert not cascade.complete  # no role in Sleep Clinic: its patient list reads empty
    assert plan.unmanaged == ()  # the study goes with its organization


def test_an_organization_with_a_protected_study_is_never_deleted():
    sleep = Organization(SLEEP, "Sleep Lab", "laboratory", LIFESPAN, "manager")
    live = with_organization(snapshot(live_study(30006, "Sleep", organization=SLEEP)), sleep)
    live = replace(live, read_organization_ids=frozenset({LIFESPAN, SLEEP}))
    kept = spec("sleep", "Sleep", organization=SLEEP, protect=True, state="absent")
    plan = plan_of(entry("Sleep Lab", state="absent"), live=live, studies=[kept])

    assert only(plan, ChangeKind.DELETE_ORGANIZATION).protected
    assert any(r.reason == "protected" for r in plan.refusals(ALLOW_ALL))


def test_a_study_kept_in_an_organization_the_plan_deletes_is_stopped():
    sleep = Organization(SLEEP, "Sleep Lab", "laboratory", LIFESPAN, "manager")
    live = with_organization(snapshot(live_study(30006, "Sleep", organization=SLEEP)), sleep)
    live = replace(live, read_organization_ids=frozenset({LIFESPAN, SLEEP}))

    with pytest.raises(PreflightError, match="the deletion would delete the study too"):
        plan_of(
            entry("Sleep Lab", state="absent"),
            live=live,
            studies=[spec("sleep", "Sleep", organization=SLEEP)],
        )


# -- what a saved plan records ----------------------------------------------------------------


def test_organization_changes_are_fingerprinted_for_a_saved_plan():
    plan = plan_of(
        entry(practitioners=PRACTITIONERS | {"viewer_victor@example.com": "member"}),
        sleep_lab(),
    )

    assert {"organization-roles:20003", "organization-children:20003"} <= plan.fingerprints.keys()


def test_a_target_needing_an_organization_the_plan_creates_says_so():
    study = spec("sleep", "Sleep", organization="Sleep Lab")
    plan = plan_of(sleep_lab(), studies=[study])

    assert plan.creates_needed(["sleep"]) == {"sleep": "sleep-lab"}
    assert plan.creates_needed(["sleep", "sleep-lab"]) == {}
