"""Benchmark estates as plain data: studies, their links and patients, and a drift of them.

An estate is N studies spread over manager_mary's three organizations (20001, 20002,
20003: she is the default local user, so every study is hers to read and change). Each
study takes one of three templates (a few scope requests, data sources and clients)
and P patients drawn from a pool of its organization's patients, each patient being
enrolled in about ``studies_per_patient`` studies, as in a site that runs many cohorts.

``estate(shape)`` builds it; ``drift(estate)`` returns what the live exchange holds
when a small fraction of studies was edited by hand, and the calls a plan must find
to undo it, worked out here independently of jhe-sync so the harness can check the
plan against them. Writing it out (spec files, an emulator database) is
``estate_files``; nothing here touches the disk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

ORGANIZATIONS: dict[int, str] = {
    20001: "Planetary Research Institute",
    20002: "Saturn School of Data Science",
    20003: "Lifespan Lab",
}
"""The seeded organizations manager_mary manages, by id, with their names."""

FIRST_STUDY_ID = 30006
"""The seed's studies end at 30005; the estate's live studies continue from here."""
FIRST_PATIENT_ID = 40006
FIRST_USER_ID = 10012

ENROLL_CHUNK = 100
"""Patient ids per enrollment call (jhe_sync.apply.ENROLL_CHUNK, repeated here so that
the expected calls are worked out without the library)."""


@dataclass(frozen=True)
class Template:
    """A study template of the estate: its links as ids, and as the spec writes them."""

    name: str
    description: str
    scopes: tuple[tuple[int, str], ...]
    data_sources: tuple[tuple[int, str], ...]
    clients: tuple[tuple[int, str], ...]


TEMPLATES: tuple[Template, ...] = (
    Template(
        "bp",
        "Remote blood pressure and heart rate monitoring (benchmark estate).",
        ((50002, "omh:blood-pressure:4.0"), (50004, "omh:heart-rate:2.0")),
        ((70001, "CareX"),),
        ((1, "CareX"),),
    ),
    Template(
        "glucose",
        "Continuous glucose monitoring (benchmark estate).",
        ((50001, "omh:blood-glucose:4.0"),),
        ((70002, "Dexcom"),),
        ((2, "CommonHealth"),),
    ),
    Template(
        "vitals",
        "Temperature, heart rate and questionnaires (benchmark estate).",
        (
            (50003, "omh:body-temperature:4.0"),
            (50004, "omh:heart-rate:2.0"),
            (50011, "QuestionnaireResponse"),
        ),
        ((70003, "iHealth"), (70005, "Questionnaire")),
        ((1, "CareX"), (2, "CommonHealth")),
    ),
)

SPARE_SCOPE = 50008  # omh:body-weight:3.0, in no template: what a hand edit adds
SPARE_DATA_SOURCE = 70004  # Oura
ALL_CLIENTS = (1, 2, 3)


@dataclass(frozen=True)
class Shape:
    """How big an estate is."""

    studies: int
    patients_per_study: int
    studies_per_patient: int = 4
    drift_every: int = 16
    """One study in this many is drifted (about 6%: every kind of drift shows in 100)."""

    @property
    def label(self) -> str:
        return f"{self.studies}x{self.patients_per_study}"


@dataclass(frozen=True)
class Patient:
    id: int
    user_id: int
    email: str
    organization_id: int


@dataclass(frozen=True)
class Study:
    """One study of the estate: the spec's view and the live row share these values."""

    index: int
    id: int
    key: str
    name: str
    description: str
    organization_id: int
    template: str
    icon_url: str | None
    scope_ids: tuple[int, ...]
    data_source_ids: tuple[int, ...]
    client_ids: tuple[int, ...]
    patient_ids: tuple[int, ...]


@dataclass(frozen=True)
class Estate:
    shape: Shape
    studies: tuple[Study, ...]
    patients: tuple[Patient, ...]

    def organization_patients(self, organization_id: int) -> list[Patient]:
        return [p for p in self.patients if p.organization_id == organization_id]


class DriftKind(Enum):
    """What a hand edit changed on one live study, and so what the plan must undo."""

    FIELDS = "fields"  # description and icon changed: 1 PATCH
    SCOPES = "scopes"  # one scope request removed, another added: 1 POST, 1 DELETE
    DATA_SOURCES = "data_sources"  # the same for data sources
    CLIENTS = "clients"  # the same for clients
    ENROLLMENTS = "enrollments"  # 3 patients unenrolled, 2 others enrolled: 1 POST, 1 DELETE
    MISSING = "missing"  # the study was deleted: create it with all its links


@dataclass(frozen=True)
class Drift:
    """The live side of a drifted estate, and what undoing the drift takes."""

    live: Estate
    kinds: dict[int, DriftKind]
    """Study index -> what was changed on it."""
    expected_writes: dict[str, int]
    """The calls the plan must hold, by method (enrollments chunked by ENROLL_CHUNK)."""
    consent_reads: int
    """Distinct patients whose consents the plan's impact must read: those unenrolled and
    those enrolled in a study losing a scope request (one GET each, no batch endpoint)."""


def estate(shape: Shape) -> Estate:
    """The estate of this shape; the same shape always gives the same estate."""
    organizations = list(ORGANIZATIONS)
    per_org: dict[int, list[int]] = {org: [] for org in organizations}
    for index in range(shape.studies):
        per_org[organizations[index % len(organizations)]].append(index)

    patients: list[Patient] = []
    pools: dict[int, list[int]] = {}
    for org in organizations:
        size = max(
            shape.patients_per_study + 5,
            math.ceil(len(per_org[org]) * shape.patients_per_study / shape.studies_per_patient),
        )
        pool = []
        for _ in range(size):
            n = len(patients)
            patient = Patient(
                FIRST_PATIENT_ID + n,
                FIRST_USER_ID + n,
                f"bench.patient.{FIRST_PATIENT_ID + n}@example.org",
                org,
            )
            patients.append(patient)
            pool.append(patient.id)
        pools[org] = pool

    studies: list[Study] = []
    for index in range(shape.studies):
        org = organizations[index % len(organizations)]
        local = index // len(organizations)  # round robin: its rank in its organization
        template = TEMPLATES[index % len(TEMPLATES)]
        studies.append(
            Study(
                index=index,
                id=FIRST_STUDY_ID + index,
                key=f"bench-{index:05d}",
                name=f"Bench {template.name} cohort {index:05d}",
                description=template.description,
                organization_id=org,
                template=template.name,
                icon_url=None,
                scope_ids=tuple(i for i, _ in template.scopes),
                data_source_ids=tuple(i for i, _ in template.data_sources),
                client_ids=tuple(i for i, _ in template.clients),
                patient_ids=_window(pools[org], local * shape.patients_per_study, shape),
            )
        )
    return Estate(shape, tuple(studies), tuple(patients))


def _window(pool: list[int], start: int, shape: Shape) -> tuple[int, ...]:
    size = len(pool)
    return tuple(sorted(pool[(start + k) % size] for k in range(shape.patients_per_study)))


def template_of(study: Study) -> Template:
    return next(t for t in TEMPLATES if t.name == study.template)


def drifted_indexes(shape: Shape) -> list[int]:
    """The studies a drift edits: one in ``drift_every``, starting at the eighth."""
    return list(range(min(7, shape.studies - 1), shape.studies, shape.drift_every))


def drift(base: Estate) -> Drift:
    """The live side after hand edits to one study in ``drift_every``, cycling the kinds."""
    kinds = list(DriftKind)
    by_org = {org: [p.id for p in base.organization_patients(org)] for org in ORGANIZATIONS}
    studies = list(base.studies)
    edits: dict[int, DriftKind] = {}
    writes = {"POST": 0, "PATCH": 0, "DELETE": 0}
    consent_patients: set[int] = set()
    for n, index in enumerate(drifted_indexes(base.shape)):
        kind = kinds[n % len(kinds)]
        study = studies[index]
        edits[index] = kind
        if kind is DriftKind.FIELDS:
            studies[index] = replace(
                study,
                description=study.description + " Edited by hand.",
                icon_url="https://example.org/hand-edited.png",
            )
            writes["PATCH"] += 1
        elif kind is DriftKind.SCOPES:
            studies[index] = replace(study, scope_ids=(*study.scope_ids[1:], SPARE_SCOPE))
            writes["POST"] += 1
            writes["DELETE"] += 1
            consent_patients |= set(study.patient_ids)
        elif kind is DriftKind.DATA_SOURCES:
            sources = (*study.data_source_ids[1:], SPARE_DATA_SOURCE)
            studies[index] = replace(study, data_source_ids=sources)
            writes["POST"] += 1
            writes["DELETE"] += 1
        elif kind is DriftKind.CLIENTS:
            spare = next(c for c in ALL_CLIENTS if c not in study.client_ids)
            studies[index] = replace(study, client_ids=(*study.client_ids[1:], spare))
            writes["POST"] += 1
            writes["DELETE"] += 1
        elif kind is DriftKind.ENROLLMENTS:
            pool = by_org[study.organization_id]
            extra = [p for p in pool if p not in study.patient_ids][:2]
            kept = study.patient_ids[3:]
            studies[index] = replace(study, patient_ids=tuple(sorted((*kept, *extra))))
            writes["POST"] += 1
            writes["DELETE"] += 1
            consent_patients |= set(extra)
        elif kind is DriftKind.MISSING:
            writes["POST"] += (
                1
                + len(study.scope_ids)
                + len(study.data_source_ids)
                + len(study.client_ids)
                + math.ceil(len(study.patient_ids) / ENROLL_CHUNK)
            )
    missing = {i for i, k in edits.items() if k is DriftKind.MISSING}
    live = replace(base, studies=tuple(s for s in studies if s.index not in missing))
    return Drift(live, edits, writes, len(consent_patients))
