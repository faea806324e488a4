"""Safeguards: destructive changes need an explicit allow, protect beats it, a threshold caps all."""

from __future__ import annotations

import pytest

from jhe_sync.errors import EXIT_REFUSED, SafetyRefusal
from jhe_sync.plan.change import Change, FieldChange, PatientTarget
from jhe_sync.plan.plan import SHARE_FLOOR, Plan, SafetyPolicy, destroyed_objects, refusals
from jhe_sync.resources import ChangeKind


def said(plan: Plan, policy: SafetyPolicy) -> list[str]:
    """The refusals as apply's error lists them, one line each."""
    return [str(reason) for reason in refusals(plan, policy)]


LENIENT = {"max_destroy": 1000, "max_destroy_fraction": 1.0}
"""Thresholds out of the way, to look at the per-change rules alone."""


def change(kind: ChangeKind, key: str = "hypertension", **fields) -> Change:
    defaults = {"study_id": 30012, "name": "Hypertension Management Study"}
    if kind.is_link and kind not in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
        defaults |= {"link_id": 50004, "link_label": "omh:heart-rate:2.0"}
    return Change(kind=kind, key=key, organization_id=20003, **(defaults | fields))


def plan_of(*changes: Change, managed_objects: int = 0) -> Plan:
    return Plan(changes=changes, managed_objects=managed_objects)


def unenroll(*patients: PatientTarget, key: str = "hypertension") -> Change:
    return change(ChangeKind.UNENROLL, key, patients=patients)


ALLOW = (
    "destructive; allow it with --allow-destroy hypertension (this study) or --allow-destroy (all)"
)


@pytest.mark.parametrize(
    ("destructive", "reason"),
    [
        (
            change(ChangeKind.DELETE_STUDY),
            f'study "hypertension": delete study "Hypertension Management Study" (id 30012): {ALLOW}',
        ),
        (
            change(ChangeKind.REMOVE_SCOPE),
            f'study "hypertension": remove scope request "omh:heart-rate:2.0" (id 50004): {ALLOW}',
        ),
        (
            change(ChangeKind.REMOVE_DATA_SOURCE, link_id=70001, link_label="CareX"),
            f'study "hypertension": remove data source "CareX" (id 70001): {ALLOW}',
        ),
        (
            change(ChangeKind.REMOVE_CLIENT, link_id=2, link_label="CommonHealth"),
            f'study "hypertension": remove client "CommonHealth" (id 2): {ALLOW}',
        ),
        (
            unenroll(PatientTarget(40003, "#40003")),
            f'study "hypertension": unenroll 1 patient: {ALLOW}',
        ),
    ],
    ids=lambda v: v.kind.value if isinstance(v, Change) else None,
)
def test_a_destructive_change_is_refused_naming_the_flag_that_allows_it(destructive, reason):
    assert said(plan_of(destructive), SafetyPolicy(**LENIENT)) == [reason]


def test_additions_and_updates_are_never_refused():
    plan = plan_of(
        change(ChangeKind.CREATE_STUDY, study_id=None),
        change(ChangeKind.UPDATE_STUDY),
        change(ChangeKind.ADD_SCOPE),
        change(ChangeKind.ENROLL, patients=(PatientTarget(40001, "p@example.com"),)),
    )

    assert said(plan, SafetyPolicy()) == []


def test_allow_destroy_for_one_key_allows_that_study_only():
    plan = plan_of(change(ChangeKind.DELETE_STUDY), change(ChangeKind.DELETE_STUDY, "other"))

    (reason,) = said(plan, SafetyPolicy(allow_destroy_keys=frozenset({"hypertension"}), **LENIENT))

    assert "--allow-destroy other" in reason


def test_allow_destroy_for_all_allows_every_study():
    plan = plan_of(change(ChangeKind.DELETE_STUDY), change(ChangeKind.DELETE_STUDY, "other"))

    assert said(plan, SafetyPolicy(allow_destroy_all=True, **LENIENT)) == []


@pytest.mark.parametrize(
    "kind",
    [
        ChangeKind.DELETE_STUDY,
        ChangeKind.REMOVE_SCOPE,
        ChangeKind.REMOVE_DATA_SOURCE,
        ChangeKind.REMOVE_CLIENT,
    ],
)
def test_a_protected_study_is_refused_whatever_the_flags(kind):
    policy = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)

    (reason,) = said(plan_of(change(kind, protected=True)), policy)

    assert "the study is protected (protect: true)" in reason
    assert reason.endswith("remove protect: true from its spec first")


def test_a_protected_study_may_still_gain_links():
    plan = plan_of(
        change(ChangeKind.ADD_SCOPE, protected=True),
        change(ChangeKind.UPDATE_STUDY, protected=True),
    )

    assert said(plan, SafetyPolicy()) == []


def test_a_refused_unenrollment_names_the_patients_who_consented():
    refused = unenroll(
        PatientTarget(40001, "ll_patient_peter@example.com", consented=True),
        PatientTarget(40002, "#40002", consented=True),
        PatientTarget(40003, "#40003"),
    )

    (reason,) = said(plan_of(refused), SafetyPolicy(**LENIENT))

    assert reason.startswith(
        'study "hypertension": unenroll 3 patients, 2 who consented: '
        "ll_patient_peter@example.com (#40001), #40002: destructive;"
    )


def test_a_protected_unenrollment_names_the_patients_who_consented_too():
    refused = change(
        ChangeKind.UNENROLL,
        protected=True,
        patients=(PatientTarget(40002, "#40002", consented=True),),
    )

    (reason,) = said(plan_of(refused), SafetyPolicy(allow_destroy_all=True))

    assert reason.startswith('study "hypertension": unenroll 1 patient, 1 who consented: #40002: ')


# -- the threshold --------------------------------------------------------------------------


def test_each_unenrolled_patient_counts_as_one_destroyed_object():
    plan = plan_of(
        change(ChangeKind.REMOVE_SCOPE),
        unenroll(*(PatientTarget(i, f"#{i}") for i in range(40001, 40004))),
    )

    assert destroyed_objects(plan) == 4


def test_more_destroyed_objects_than_max_destroy_is_refused():
    plan = plan_of(unenroll(*(PatientTarget(i, f"#{i}") for i in range(40001, 40004))))

    (reason,) = said(
        plan, SafetyPolicy(allow_destroy_all=True, max_destroy=2, max_destroy_fraction=1.0)
    )

    assert reason.startswith("the plan destroys 3 objects")
    assert "limit of 2 (--max-destroy)" in reason
    assert "--ignore-destroy-threshold" in reason


def test_exactly_max_destroy_objects_is_allowed():
    plan = plan_of(unenroll(PatientTarget(40001, "#40001"), PatientTarget(40002, "#40002")))

    assert (
        said(plan, SafetyPolicy(allow_destroy_all=True, max_destroy=2, max_destroy_fraction=1.0))
        == []
    )


def test_destroying_too_large_a_share_of_the_managed_objects_is_refused():
    plan = plan_of(
        change(ChangeKind.REMOVE_SCOPE),
        change(ChangeKind.REMOVE_CLIENT),
        managed_objects=SHARE_FLOOR,
    )

    (reason,) = said(plan, SafetyPolicy(allow_destroy_all=True, max_destroy_fraction=0.1))

    assert reason.startswith(
        f"the plan destroys 2 of the {SHARE_FLOOR} managed studies and links (20%)"
    )


def test_the_share_does_not_apply_to_a_tiny_estate():
    plan = plan_of(change(ChangeKind.DELETE_STUDY), managed_objects=SHARE_FLOOR - 1)

    assert said(plan, SafetyPolicy(allow_destroy_all=True, max_destroy_fraction=0.1)) == []


def test_ignore_threshold_lifts_both_limits_but_not_the_per_change_rules():
    plan = plan_of(
        *(change(ChangeKind.DELETE_STUDY, f"s{i}") for i in range(20)), managed_objects=20
    )

    reasons = said(plan, SafetyPolicy(allow_destroy_keys=frozenset({"s0"}), ignore_threshold=True))

    assert len(reasons) == 19
    assert all("destructive; allow it with" in reason for reason in reasons)


def test_an_unsafe_plan_raises_a_refusal_that_exits_3_and_lists_every_reason():
    plan = plan_of(change(ChangeKind.DELETE_STUDY), change(ChangeKind.DELETE_STUDY, "other"))

    with pytest.raises(SafetyRefusal) as raised:
        plan.raise_if_unsafe(SafetyPolicy())

    assert raised.value.exit_code == EXIT_REFUSED
    assert len(raised.value.reasons) == 2


def test_the_default_policy_refuses_every_destructive_change():
    assert len(said(plan_of(change(ChangeKind.REMOVE_SCOPE)), SafetyPolicy())) == 1


# -- apply --reviewed: destructive changes by identity -------------------------------------

PETER_ = PatientTarget(40001, "peter@example.com")
PAMELA_ = PatientTarget(40002, "pamela@example.com")
NINA_ = PatientTarget(40005, "#40005")


def reviewed(*changes: Change) -> SafetyPolicy:
    """Everything allowed, but only what these changes destroy was reviewed."""
    return SafetyPolicy(allow_destroy_all=True, **LENIENT, reviewed=plan_of(*changes).destroyed())


def test_a_destructive_change_the_reviewed_plan_held_is_allowed():
    policy = reviewed(change(ChangeKind.REMOVE_SCOPE), unenroll(PETER_, PAMELA_))

    assert said(plan_of(change(ChangeKind.REMOVE_SCOPE), unenroll(PAMELA_)), policy) == []


def test_an_unenrollment_of_a_patient_nobody_reviewed_names_only_that_patient():
    policy = reviewed(unenroll(PETER_))

    (refusal,) = refusals(plan_of(unenroll(PETER_, NINA_)), policy)

    assert refusal.reason == "unreviewed"
    assert str(refusal).startswith('study "hypertension": unenroll 1 patient: #40005: destructive')


@pytest.mark.parametrize(
    "fresh",
    [
        change(ChangeKind.REMOVE_SCOPE, link_id=50001),
        change(ChangeKind.DELETE_STUDY, study_id=30013),
        change(ChangeKind.DELETE_STUDY, key="other"),
        change(ChangeKind.REMOVE_CLIENT),
    ],
    ids=["another scope", "another study id", "another entry", "another kind"],
)
def test_a_destructive_change_differing_in_identity_from_the_reviewed_one_is_refused(fresh):
    policy = reviewed(change(ChangeKind.REMOVE_SCOPE), change(ChangeKind.DELETE_STUDY))

    assert [r.reason for r in refusals(plan_of(fresh), policy)] == ["unreviewed"]


def test_a_role_lowered_further_than_reviewed_is_a_different_change():
    def lowered(to: str) -> Change:
        return Change(
            kind=ChangeKind.LOWER_ROLE,
            key="lifespan",
            organization_id=20003,
            link_id=10003,
            fields=(FieldChange("role", "manager", to),),
        )

    policy = reviewed(lowered("member"))
    assert refusals(plan_of(lowered("member")), policy) == []
    assert [r.reason for r in refusals(plan_of(lowered("viewer")), policy)] == ["unreviewed"]


def test_a_reviewed_destructive_change_still_needs_allow_destroy():
    policy = SafetyPolicy(**LENIENT, reviewed=plan_of(unenroll(PETER_)).destroyed())

    assert [r.reason for r in refusals(plan_of(unenroll(PETER_)), policy)] == ["destructive"]


def test_changes_that_destroy_nothing_need_no_review():
    policy = reviewed()

    assert refusals(plan_of(change(ChangeKind.ADD_SCOPE), change(ChangeKind.ENROLL)), policy) == []


def test_each_unenrolled_patient_is_one_thing_destroyed():
    assert len(unenroll(PETER_, PAMELA_).destroyed()) == 2
    assert change(ChangeKind.ADD_SCOPE).destroyed() == ()
