"""Pre-flight: what the server would refuse (403) or fail on (500), stopped before any write."""

from __future__ import annotations

import pytest

from jhe_sync.errors import PreflightError
from jhe_sync.live import Caller
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind, Warning_
from jhe_sync.plan.plan import SafetyPolicy

from .conftest import (
    HYPERTENSION_DESCRIPTION,
    LIFESPAN,
    NEPTUNIAN,
    desired,
    hypertension_spec,
    live_study,
    make_live,
    prune,
    spec,
)


def preflight_problems(entries, live):
    with pytest.raises(PreflightError) as raised:
        build_plan(entries, live)
    return raised.value.problems


# -- errors ---------------------------------------------------------------------------


# -- roles: not a problem of the spec, a refusal of the credentials ----------------------


def role_refusals_of(entries, live):
    plan = build_plan(entries, live)
    return plan, [r for r in plan.refusals(SafetyPolicy(), live) if r.reason == "role"]


@pytest.mark.parametrize("role", ["viewer", None], ids=["viewer", "no role"])
def test_a_caller_without_a_write_role_gets_the_whole_plan_and_a_refusal_naming_the_role(role):
    plan, (refusal,) = role_refusals_of(desired(spec()), make_live(roles={LIFESPAN: role}))

    assert [c.kind for c in plan.changes][:1] == [ChangeKind.CREATE_STUDY]
    role_text = f'the role "{role}"' if role else "no role"
    assert str(refusal) == (
        f"the caller (manager_mary@example.com) has {role_text} in organization "
        "Lifespan Lab (20003); studies affected: hypertension: applying needs the member or "
        "manager role there (the server answers 403). This plan is complete and may be "
        "reviewed; apply it with credentials that have the role, or ask a manager of the "
        "organization for it"
    )
    assert refusal.to_dict()["reason"] == "role"


@pytest.mark.parametrize("role", ["manager", "member", "super_user"])
def test_a_write_role_may_change_studies(role):
    plan, refused = role_refusals_of(desired(spec()), make_live(roles={LIFESPAN: role}))

    assert not plan.empty and refused == []


def test_a_superuser_may_write_in_any_organization():
    superuser = Caller(id=1, email="admin@example.com", is_superuser=True)

    plan, refused = role_refusals_of(
        desired(spec()), make_live(roles={LIFESPAN: None}, caller=superuser)
    )
    assert not plan.empty and refused == []


def test_a_viewer_whose_studies_already_match_is_not_refused():
    live = make_live(
        live_study(30012, "Hypertension Management Study", description=HYPERTENSION_DESCRIPTION),
        roles={LIFESPAN: "viewer"},
    )

    plan, refused = role_refusals_of(desired(spec()), live)
    assert plan.empty and refused == []


def test_roles_are_checked_only_when_the_caller_is_given():
    plan = build_plan(desired(spec()), make_live(roles={LIFESPAN: "viewer"}))

    assert plan.refusals(SafetyPolicy()) == []


def test_a_prune_the_caller_may_not_make_names_the_pruned_study():
    live = make_live(live_study(30002, "Lifespan Study on BP"), roles={LIFESPAN: "viewer"})

    _, (refusal,) = role_refusals_of(desired(organizations=[prune(LIFESPAN)]), live)

    assert "studies affected: id:30002" in str(refusal)


def test_enrolling_a_patient_of_another_organization_is_stopped_with_the_fix():
    entries = desired(
        spec(patients=["ll_patient_peter@example.com", "np_patient_nina@example.com"])
    )

    (problem,) = preflight_problems(entries, make_live())

    assert problem.message == (
        "patient np_patient_nina@example.com (#40003) is not a member of organization "
        '"Planetary Research Institute/Saturn School of Data Science/Lifespan Lab" (20003), '
        "and the server fails such an enrollment with a 500 (keeping the patients enrolled "
        "before it); add the patient to organization 20003 first (list them in its entry's "
        "patients), or create the study in the patient's organization"
    )
    assert problem.path == "studies[hypertension].patients[1]"
    assert str(problem.location) == "studies/hypertension.yaml:42:1"


def test_moving_a_study_to_another_organization_is_stopped_with_how_to_do_it():
    live = make_live(
        live_study(30012, "Hypertension Management Study", description=HYPERTENSION_DESCRIPTION),
        read=[LIFESPAN, NEPTUNIAN],
        roles={NEPTUNIAN: "manager"},
    )

    (problem,) = preflight_problems(desired(spec(id=30012, organization=NEPTUNIAN)), live)

    assert problem.message == (
        "live study 30012 is in organization "
        '"Planetary Research Institute/Saturn School of Data Science/Lifespan Lab" (20003), '
        'but the spec puts it in "Neptune Health System/Department of Medicine/Cardiology '
        'Division/Neptunian Pulse Lab" (20007); a study cannot be moved to another organization '
        "(the console does not support it). To move it, add a new entry in the target "
        "organization (without the id pin) and set state: absent on this one; or keep the "
        "organization 20003 in this entry"
    )
    assert problem.path == "studies[hypertension].organization"


def test_deleting_a_pinned_study_in_another_organization_is_not_a_move():
    live = make_live(live_study(30012, "Hypertension Management Study"), read=[LIFESPAN, NEPTUNIAN])

    plan = build_plan(desired(spec(id=30012, organization=NEPTUNIAN, state="absent")), live)

    assert [c.study_id for c in plan.changes] == [30012]


def test_every_preflight_problem_is_reported_at_once():
    entries = desired(
        spec(patients=["np_patient_nina@example.com"]),
        spec("pulse", "Pulse", description="x", patients=["np_patient_nina@example.com"]),
    )

    problems = preflight_problems(entries, make_live(read=[LIFESPAN, NEPTUNIAN]))

    assert [p.path for p in problems] == [
        "studies[hypertension].patients[0]",
        "studies[pulse].patients[0]",
    ]


# -- warnings -------------------------------------------------------------------------------


def test_a_scope_no_data_source_supports_is_a_warning():
    plan = build_plan(desired(hypertension_spec(data_sources=["iHealth"])), make_live())

    assert plan.warnings == (
        Warning_(
            "hypertension",
            'scope "omh:blood-pressure:4.0" is supported by none of the study\'s data sources '
            "(iHealth); patients will never be asked to consent to it",
        ),
    )


def test_a_scope_of_a_study_without_data_sources_is_a_warning():
    plan = build_plan(desired(spec(scope_requests=["Heart rate"])), make_live())

    (warning,) = plan.warnings
    assert warning.message == (
        'scope "omh:heart-rate:2.0" is supported by no data source: the study has none; '
        "patients will never be asked to consent to it"
    )


def test_unmanaged_data_sources_are_taken_from_the_live_study():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            scopes=[],
            data_sources=[70001],
        )
    )

    assert build_plan(desired(spec(scope_requests=["Blood pressure"])), live).warnings == ()


def test_adding_a_scope_to_a_study_with_enrolled_patients_is_a_warning():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            scopes=[50002],
            data_sources=[70001],
            patients=[40001, 40002],
        )
    )
    entries = desired(
        hypertension_spec(data_sources=["CareX"]),
    )

    assert build_plan(entries, live).warnings == (
        Warning_(
            "hypertension",
            'adding scope requests "omh:heart-rate:2.0" to a study with 2 enrolled patients: '
            "they must consent again before data of the new types is shared",
        ),
    )


def test_adding_scopes_to_a_new_study_is_no_warning():
    assert build_plan(desired(hypertension_spec()), make_live()).warnings == ()
