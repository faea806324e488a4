"""An organization plan as each renderer writes it, against golden files: a new
sub-organization with its roles, a member and a study; raised, lowered and removed roles
(one taking the caller's manager role); a patient removed with what goes with it; and
an organization deleted with its child, its study and the patient it leaves in none."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from jhe_sync.live import Live, Organization, Patient, PractitionerRole, User
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.plan.render.formats import RenderOptions, render
from jhe_sync.spec.models import OrganizationSettings, PatientRef

from .conftest import (
    LIFESPAN,
    PAMELA,
    PETER,
    assert_golden,
    consent,
    desired,
    live_study,
    make_live,
    spec,
)

OLD_LAB, OLD_CLINIC = 20010, 20011


def organization_live() -> Live:
    roles = (
        PractitionerRole(10002, "manager_mary@example.com", "manager"),
        PractitionerRole(10003, "member_megan@example.com", "member"),
        PractitionerRole(10004, "viewer_victor@example.com", "viewer"),
        PractitionerRole(10005, "three_org_tom@example.com", "member"),
    )
    orphan = Patient(40009, "old_patient@example.com", (), frozenset({OLD_LAB}))
    live = make_live(
        live_study(30001, "BP", patients=[PETER.id, PAMELA.id]),
        live_study(30020, "Old Study", organization=OLD_LAB, patients=[orphan.id]),
        read=(LIFESPAN, OLD_LAB, OLD_CLINIC),
    )
    return replace(
        live,
        organizations={
            **live.organizations,
            OLD_LAB: Organization(OLD_LAB, "Old Lab", "laboratory", LIFESPAN, "manager"),
            OLD_CLINIC: Organization(OLD_CLINIC, "Old Clinic", "team", OLD_LAB, "manager"),
        },
        patients={**live.patients, orphan.id: orphan},
        roles={LIFESPAN: roles, OLD_LAB: roles[:1], OLD_CLINIC: ()},
        users={r.email: User(r.user_id, r.email) for r in roles},
        organization_patient_ids={
            LIFESPAN: frozenset({PETER.id, PAMELA.id}),
            OLD_LAB: frozenset({orphan.id}),
            OLD_CLINIC: frozenset(),
        },
        consents={PAMELA.id: (consent(30001, 50002),), orphan.id: (consent(30020, 50002),)},
        organization_types={"laboratory": "Laboratory", "team": "Organizational team"},
    )


def organization_plan() -> Plan:
    entries = [
        OrganizationSettings(
            organization="Lifespan Lab",
            practitioners={
                "manager_mary@example.com": "member",
                "member_megan@example.com": "manager",
                "viewer_victor@example.com": "member",
            },
            patients=[PETER.email or ""],
        ),
        OrganizationSettings(
            organization="Sleep Lab",
            part_of="Lifespan Lab",
            type="laboratory",
            practitioners={
                "manager_mary@example.com": "manager",
                "member_megan@example.com": "member",
            },
            patients=[PETER.email or ""],
        ),
        OrganizationSettings(organization="Old Lab", state="absent"),
    ]
    sleep = spec(
        "sleep-study",
        "Sleep Study",
        organization="Sleep Lab",
        patients=[PatientRef(email=PETER.email)],
    )
    plan = build_plan(desired(sleep, organizations=entries), organization_live())
    return replace(plan, fingerprints={key: f"fingerprint-of-{key}" for key in plan.fingerprints})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return organization_plan()


def rendered(plan: Plan, format: str) -> str:
    stream = io.StringIO()
    refusals = tuple(plan.refusals(SafetyPolicy()))
    render(plan, stream, format, RenderOptions(refusals=refusals))
    return stream.getvalue()


@pytest.mark.parametrize(
    ("format", "suffix"), [("text", "txt"), ("markdown", "md"), ("json", "json")]
)
def test_an_organization_plan_renders_as_its_golden_file(
    plan: Plan, format: str, suffix: str
) -> None:
    assert_golden(f"organizations.{suffix}", rendered(plan, format))


def test_no_rendering_of_an_organization_plan_names_a_patient_by_anything_but_label_or_id(
    plan: Plan,
) -> None:
    for format in ("text", "markdown", "json"):
        text = rendered(plan, format)
        for detail in ("Taylor", "LlPatientPeter", "1992-12-22", "+1-581"):
            assert detail not in text
