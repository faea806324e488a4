"""Small factories for the plan tests: a Live snapshot and a Desired state, built by hand.

The live side is the upstream seed as the recorded exchanges show it (``jhe-contract``):
the organization tree, the scope catalogue, the data sources and clients, two patients
of Lifespan Lab (20003) and one of Neptunian Pulse Lab (20007). The caller is
manager_mary, a manager of 20001, 20002 and 20003. No patient has a name, birth date
or phone here, because ``Live`` has no place for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from jhe_sync.errors import SourceLocation
from jhe_sync.live import (
    Caller,
    Client,
    DataSource,
    Live,
    Organization,
    Patient,
    PatientIdentifier,
    ScopeCode,
    ScopeConsent,
    Study,
    StudyLinks,
)
from jhe_sync.plan.change import Change, ChangeKind
from jhe_sync.spec.models import Desired, OrganizationSettings, PatientRef, StudySpec

GOLDEN = Path(__file__).parent / "golden"

LIFESPAN = 20003
NEPTUNIAN = 20007
OMH = "https://w3id.org/openmhealth"

CALLER = Caller(id=10002, email="manager_mary@example.com")

ORGANIZATIONS = (
    Organization(0, "ROOT", "root", None),
    Organization(20001, "Planetary Research Institute", "edu", 0, "manager"),
    Organization(20002, "Saturn School of Data Science", "team", 20001, "manager"),
    Organization(LIFESPAN, "Lifespan Lab", "laboratory", 20002, "manager"),
    Organization(20004, "Neptune Health System", "prov", 0),
    Organization(20005, "Department of Medicine", "dept", 20004),
    Organization(20006, "Cardiology Division", "dept", 20005),
    Organization(NEPTUNIAN, "Neptunian Pulse Lab", "laboratory", 20006),
    Organization(20008, "Cosmic Cardio Lab", "laboratory", 20006),
)

SCOPES = (
    ScopeCode(50001, OMH, "omh:blood-glucose:4.0", "Blood glucose"),
    ScopeCode(50002, OMH, "omh:blood-pressure:4.0", "Blood pressure"),
    ScopeCode(50003, OMH, "omh:body-temperature:4.0", "Body temperature"),
    ScopeCode(50004, OMH, "omh:heart-rate:2.0", "Heart Rate"),
    ScopeCode(50008, OMH, "omh:body-weight:3.0", "Body weight"),
    ScopeCode(
        50011,
        "http://hl7.org/fhir/resource-types",
        "QuestionnaireResponse",
        "FHIR QuestionnaireResponse",
    ),
)

DATA_SOURCES = (
    DataSource(70001, "CareX", "personal_device", frozenset({50002, 50004})),
    DataSource(70002, "Dexcom", "personal_device", frozenset({50001})),
    DataSource(70003, "iHealth", "personal_device", frozenset({50003, 50004})),
    DataSource(70004, "Oura", "personal_device", frozenset({50004})),
    DataSource(70005, "Questionnaire", "patient_app", frozenset({50011})),
)

CLIENTS = (
    Client(1, "CareX", "LamKIXB4kFPgr1Uaa19jck5nHMOX7gr5Bmt0r01S"),
    Client(2, "CommonHealth", "Jsx9yGb3dY8LQanoNyh2DdgLclMXLT7RJH0lNZrk"),
    Client(3, "Patient Access", "CHQr9ar45UihFqznBOryYSdjvWsdQCeEre7w4jPH"),
)

PETER = Patient(
    40001,
    "ll_patient_peter@example.com",
    (
        PatientIdentifier("https://openwearables.io/ns/patient-id", "abc123"),
        PatientIdentifier("urn:oid:1.2.3.4", "E1234"),
    ),
    frozenset({LIFESPAN}),
)
PAMELA = Patient(40002, "ll_patient_pamela@example.com", (), frozenset({LIFESPAN}))
NINA = Patient(40003, "np_patient_nina@example.com", (), frozenset({NEPTUNIAN}))
PATIENTS = (PETER, PAMELA, NINA)

HYPERTENSION_DESCRIPTION = "Remote blood pressure monitoring for hypertensive patients."


# -- live ---------------------------------------------------------------------------


def live_study(
    study_id: int,
    name: str,
    *,
    organization: int = LIFESPAN,
    description: str = "A study.",
    icon_url: str | None = None,
    scopes: Iterable[int] | None = None,
    data_sources: Iterable[int] | None = None,
    clients: Iterable[int] | None = None,
    patients: Iterable[int] | None = None,
) -> tuple[Study, StudyLinks]:
    """A live study and its links (a link set left None was not read)."""

    def ids(values: Iterable[int] | None) -> frozenset[int] | None:
        return None if values is None else frozenset(values)

    study = Study(study_id, name, description, organization, icon_url)
    links = StudyLinks(ids(scopes), ids(data_sources), ids(clients), ids(patients))
    return study, links


def make_live(
    *studies: tuple[Study, StudyLinks],
    roles: Mapping[int, str | None] | None = None,
    consents: Mapping[int, Iterable[ScopeConsent]] | None = None,
    patients: Iterable[Patient] = PATIENTS,
    read: Iterable[int] = (LIFESPAN,),
    caller: Caller = CALLER,
) -> Live:
    """A snapshot of the seeded exchange with ``studies``; ``roles`` overrides the caller's."""
    organizations = {org.id: org for org in ORGANIZATIONS}
    for org_id, role in (roles or {}).items():
        organizations[org_id] = replace(organizations[org_id], role=role)
    return Live(
        caller=caller,
        organizations=organizations,
        scopes={s.id: s for s in SCOPES},
        data_sources={d.id: d for d in DATA_SOURCES},
        clients={c.id: c for c in CLIENTS},
        studies={study.id: study for study, _ in studies},
        links={study.id: links for study, links in studies},
        patients={p.id: p for p in patients},
        consents={p: tuple(c) for p, c in (consents or {}).items()},
        read_organization_ids=frozenset(read),
    )


def consent(study_id: int, scope_id: int, consented: bool | None = True) -> ScopeConsent:
    return ScopeConsent(study_id, scope_id, consented)


# -- desired ------------------------------------------------------------------------

FIELD_LINES = {
    "id": 2,
    "name": 3,
    "description": 4,
    "organization": 5,
    "icon_url": 6,
    "scope_requests": 10,
    "data_sources": 20,
    "clients": 30,
    "patients": 40,
}
"""Where the factory pretends each field is written in ``studies/<key>.yaml``."""


def spec(
    key: str = "hypertension",
    name: str = "Hypertension Management Study",
    *,
    description: str = HYPERTENSION_DESCRIPTION,
    organization: int | str = LIFESPAN,
    **fields: Any,
) -> StudySpec:
    """A study entry, with file and line marks as the loader would attach them."""
    study = StudySpec(
        key=key, name=name, description=description, organization=organization, **fields
    )
    file = f"studies/{key}.yaml"
    locations = {field: SourceLocation(file, line) for field, line in FIELD_LINES.items()}
    for field in ("scope_requests", "data_sources", "clients", "patients"):
        for index, _ in enumerate(getattr(study, field) or ()):
            locations[f"{field}[{index}]"] = SourceLocation(file, FIELD_LINES[field] + 1 + index)
    return study.with_locations(SourceLocation(file, 1), locations)


def desired(
    *studies: StudySpec,
    organizations: Iterable[OrganizationSettings] = (),
    digest: str = "spec-digest",
) -> Desired:
    return Desired(studies=list(studies), organizations=list(organizations), digest=digest)


def prune(organization: int | str) -> OrganizationSettings:
    settings = OrganizationSettings(organization=organization, prune=True)
    return settings.with_origin(SourceLocation("organizations.yaml", 2))


def hypertension_spec(**overrides: Any) -> StudySpec:
    """The study of the guide's "Complete Study Setup Example", as the brief writes it."""
    fields: dict[str, Any] = {
        "scope_requests": ["omh:blood-pressure:4.0", "omh:heart-rate:2.0"],
        "data_sources": ["CareX", "iHealth"],
        "patients": [
            PatientRef(email="ll_patient_peter@example.com"),
            PatientRef(email="ll_patient_pamela@example.com"),
        ],
    }
    fields.update(overrides)
    return spec(**fields)


# -- reading plans ------------------------------------------------------------------


def kinds(changes: Iterable[Change]) -> list[ChangeKind]:
    return [change.kind for change in changes]


def assert_golden(name: str, text: str) -> None:
    """Compare with ``golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), (
        f"output differs from {path}; if the change is intended, run with UPDATE_GOLDEN=1"
    )


# -- a plan with a bit of everything, for serializing and rendering ----------------------

SATURN = 20002


def sample_live() -> Live:
    """Lifespan Lab with one study to change, one to delete and one left alone, and a
    study in Saturn School that ``prune: true`` deletes. Peter consented to everything
    in study 30001; Pamela to blood pressure only."""
    return make_live(
        live_study(
            30001,
            "Lifespan Study on BP & HR",
            description="Blood Pressure & Heart Rate",
            scopes=[50002, 50004, 50011],
            data_sources=[70001, 70005],
            clients=[1],
            patients=[40001, 40002],
        ),
        live_study(30002, "Lifespan Study on BP", description="Blood Pressure"),
        live_study(30003, "Old Pilot", description="A pilot."),
        live_study(30010, "Stray", organization=SATURN, description="Made by hand."),
        consents={
            40001: [consent(30001, 50002), consent(30001, 50004), consent(30001, 50011)],
            40002: [consent(30001, 50002), consent(30001, 50011, False)],
        },
        read=[LIFESPAN, SATURN],
    )


def sample_desired() -> Desired:
    return desired(
        hypertension_spec(),
        spec(
            "bp-hr",
            "Lifespan Study on BP & HR",
            description="Blood pressure and heart rate, at home.",
            icon_url="https://example.org/bp.png",
            scope_requests=["omh:blood-pressure:4.0", "omh:heart-rate:2.0", "Body weight"],
            data_sources=["CareX", "Oura"],
            clients=[],
            patients=["ll_patient_peter@example.com"],
        ),
        spec("old-pilot", "Old Pilot", description="A pilot.", state="absent", protect=True),
        organizations=[prune(SATURN)],
        digest="sha256:0123456789abcdef",
    )
