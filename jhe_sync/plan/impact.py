"""What destructive changes touch on the server: enrolled patients and their consents.

A study delete cascades to its enrollments and consents; removing a scope request
orphans the consents given to it; an unenrolled patient may have consented. The
plan says so, from the snapshot, so that a reviewer weighs it before approving.

The snapshot's first read holds no consents (they are one request per patient), so
``build_plan`` asks what is missing (``enrollment_reads_needed``, then
``consent_reads_needed``), has the snapshot stage read it into a new snapshot, and
computes the impact once, from that (``with_impact``).
"""

from __future__ import annotations

from dataclasses import replace

from jhe_sync.live import Live, record_digest
from jhe_sync.plan.change import Change, Impact, PatientTarget
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.resolve import live_link_set
from jhe_sync.resources import PATIENTS, ChangeKind

IMPACT_KINDS = frozenset({ChangeKind.DELETE_STUDY, ChangeKind.REMOVE_SCOPE})
"""Changes whose impact counts the study's enrolled patients and their consents."""


def enrollment_reads_needed(plan: Plan, live: Live) -> set[int]:
    """Studies whose enrolled patients the impact needs and the snapshot does not hold."""
    return {
        change.study_id
        for change in plan.changes
        if change.kind in IMPACT_KINDS
        and change.study_id is not None
        and live_link_set(live, change.study_id, PATIENTS) is None
    }


def consent_reads_needed(plan: Plan, live: Live) -> set[int]:
    """Patients whose consents the impact needs and the snapshot does not hold.

    They are the enrolled patients of studies being deleted or losing a scope request
    (as far as their enrollments are known) and the patients being unenrolled.
    """
    needed: set[int] = set()
    for change in plan.changes:
        if change.kind in IMPACT_KINDS and change.study_id is not None:
            needed |= live_link_set(live, change.study_id, PATIENTS) or set()
        elif change.kind is ChangeKind.UNENROLL:
            needed |= {patient.id for patient in change.patients}
    return needed - live.consents.keys()


def with_impact(plan: Plan, live: Live) -> Plan:
    """The plan with the impact of each destructive change computed from ``live``.

    The fingerprints of the studies whose impact counts enrollments are taken again,
    so that they cover the enrollments read for it since: a saved plan whose impact
    no longer holds is then stale.
    """
    counted = {f"study:{c.study_id}" for c in plan.changes if c.kind in IMPACT_KINDS}
    recounted = {
        key: live.study_record(int(key.removeprefix("study:")))
        for key in plan.fingerprints
        if key in counted
    }
    return replace(
        plan,
        changes=tuple(change_with_impact(change, live) for change in plan.changes),
        fingerprints={
            **plan.fingerprints,
            **{key: record_digest(record) for key, record in recounted.items()},
        },
        read={**plan.read, **recounted},
    )


def change_with_impact(change: Change, live: Live) -> Change:
    if change.study_id is None:
        return change
    if change.kind in IMPACT_KINDS:
        scope_id = change.link_id if change.kind is ChangeKind.REMOVE_SCOPE else None
        return replace(change, impact=_impact(live, change.study_id, scope_id))
    if change.kind is ChangeKind.UNENROLL:
        study_id = change.study_id
        patients = tuple(_with_consent(patient, live, study_id) for patient in change.patients)
        return replace(change, patients=patients)
    return change


def _impact(live: Live, study_id: int, scope_id: int | None) -> Impact:
    """Enrolled patients of a study, those who consented and their consent records.

    ``scope_id`` limits the consents to one scope (a scope request removal). A record
    is an answer, yes or no; a pending request is not one.
    """
    enrolled = live_link_set(live, study_id, PATIENTS)
    if enrolled is None:
        return Impact(complete=False)
    consented = records = 0
    complete = True
    for patient_id in enrolled:
        answers = live.consents.get(patient_id)
        if answers is None:
            complete = False
            continue
        relevant = [
            a
            for a in answers
            if a.study_id == study_id and a.consented is not None and scope_id in (None, a.scope_id)
        ]
        records += len(relevant)
        consented += any(a.consented for a in relevant)
    return Impact(enrolled=len(enrolled), consented=consented, consents=records, complete=complete)


def _with_consent(patient: PatientTarget, live: Live, study_id: int) -> PatientTarget:
    answers = live.consents.get(patient.id)
    if answers is None:
        return patient
    consented = any(a.consented is True and a.study_id == study_id for a in answers)
    return replace(patient, consented=consented)
