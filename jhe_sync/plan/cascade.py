"""What goes with an organization deleted, or with a patient removed from one (a
``Cascade``), from the snapshot.

The server (FINDINGS, orgs/): deleting an organization answers 204 whatever it holds
and deletes its child organizations (recursively), their studies with the enrollments
and consents, and the patient memberships and practitioner roles of all of them; the
patients are kept, and one whose only organizations these were is left in none.
Removing a patient from an organization removes their enrollments and consents in its
studies, and deletes the patient (and their account) when it was their last one.

The snapshot holds what these need when the spec deletes an organization or manages
patients (``snapshot.organizations``), and the consents once ``build_plan`` has read
them; whatever is missing makes the cascade ``complete=False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jhe_sync.identity.organization import descendants
from jhe_sync.live import Live, ScopeConsent
from jhe_sync.plan.change import Cascade, CascadedStudy, Change, OrganizationLabel, PatientTarget
from jhe_sync.plan.resolve import live_link_set
from jhe_sync.resources import PATIENTS, ROLES, ChangeKind

CASCADE_KINDS = frozenset({ChangeKind.DELETE_ORGANIZATION, ChangeKind.REMOVE_MEMBERSHIP})


def cascade_studies(change: Change, live: Live) -> list[int]:
    """The live studies a cascade reaches: those of the organization deleted and every one
    under it, or those of the organization a patient leaves."""
    if change.organization_id is None:
        return []
    organizations = {change.organization_id}
    if change.kind is ChangeKind.DELETE_ORGANIZATION:
        organizations |= set(descendants(live, change.organization_id))
    return sorted(s.id for s in live.studies.values() if s.organization_id in organizations)


def cascade_patients(change: Change, live: Live) -> set[int]:
    """The patients whose consents the cascade counts."""
    if change.kind is ChangeKind.REMOVE_MEMBERSHIP:
        return {change.link_id} if change.link_id is not None else set()
    found: set[int] = set()
    for study_id in cascade_studies(change, live):
        found |= live_link_set(live, study_id, PATIENTS) or set()
    return found


def cascade(change: Change, live: Live, labels: Mapping[int, str]) -> Cascade | None:
    """The cascade of a deletion or a membership removal (None for any other change)."""
    if change.organization_id is None or change.kind not in CASCADE_KINDS:
        return None
    if change.kind is ChangeKind.DELETE_ORGANIZATION:
        return _deletion(change.organization_id, live, labels)
    assert change.link_id is not None
    return _removal(change.organization_id, change.link_id, live, change.link_label)


def _deletion(organization_id: int, live: Live, labels: Mapping[int, str]) -> Cascade:
    under = descendants(live, organization_id)
    subtree = {organization_id, *under}
    complete = True
    studies = []
    for study_id in sorted(s.id for s in live.studies.values() if s.organization_id in subtree):
        study = live.studies[study_id]
        enrolled = live_link_set(live, study_id, PATIENTS)
        if enrolled is None:
            complete = False
            enrolled = frozenset()
        consented = consents = 0
        for patient_id in enrolled:
            answers = _answers(live.consents.get(patient_id), study_id)
            if answers is None:
                complete = False
                continue
            consents += len(answers)
            consented += any(a.consented for a in answers)
        studies.append(
            CascadedStudy(
                study.id, study.name, study.organization_id, len(enrolled), consented, consents
            )
        )
    complete &= subtree <= live.read_organization_ids
    # A patient list reads empty for an organization the caller holds no role in.
    readable = {o for o in subtree if _role(live, o) in ROLES}
    complete &= subtree <= (live.organization_patient_ids.keys() & readable)
    complete &= subtree <= live.roles.keys()
    memberships = sum(len(p.organization_ids & subtree) for p in live.patients.values())
    orphans = [
        PatientTarget(p.id, labels.get(p.id, f"#{p.id}"))
        for p in sorted(live.patients.values(), key=lambda p: p.id)
        if p.organization_ids and p.organization_ids <= subtree
    ]
    return Cascade(
        organizations=tuple(
            OrganizationLabel(o, live.organizations[o].name) for o in sorted(under)
        ),
        studies=tuple(studies),
        memberships=memberships,
        roles=sum(len(live.roles.get(o, ())) for o in subtree),
        patients=tuple(orphans),
        complete=complete,
    )


def _removal(organization_id: int, patient_id: int, live: Live, label: str) -> Cascade:
    patient = live.patients.get(patient_id)
    answers_of = live.consents.get(patient_id)
    complete = patient is not None and answers_of is not None
    studies = []
    for study in sorted(live.studies.values(), key=lambda s: s.id):
        if study.organization_id != organization_id:
            continue
        enrolled = live_link_set(live, study.id, PATIENTS)
        if enrolled is None:
            complete = False
            continue
        if patient_id not in enrolled:
            continue
        answers = _answers(answers_of, study.id) or []
        consented = int(any(a.consented for a in answers))
        studies.append(
            CascadedStudy(study.id, study.name, organization_id, 1, consented, len(answers))
        )
    last = patient is not None and patient.organization_ids == frozenset({organization_id})
    return Cascade(
        studies=tuple(studies),
        patients=(PatientTarget(patient_id, label),) if last else (),
        complete=complete,
    )


def _answers(answers: Iterable[ScopeConsent] | None, study_id: int) -> list[ScopeConsent] | None:
    """One study's consent answers (yes or no; a pending request is none), or None."""
    if answers is None:
        return None
    return [a for a in answers if a.study_id == study_id and a.consented is not None]


def _role(live: Live, organization_id: int) -> str | None:
    found = live.organizations.get(organization_id)
    return found.role if found is not None else None
