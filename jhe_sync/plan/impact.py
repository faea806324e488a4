"""What destructive changes touch on the server: enrolled patients and their consents.

A study delete cascades to its enrollments and consents; removing a scope request
orphans the consents given to it; an unenrolled patient may have consented. Removing
the data sources that supported a consented scope stops its collection, and removing
a client takes away an app patients connect through (the last one: every way in);
deleting an organization or removing a patient from one reaches further
(``cascade.py``). The plan says so, from the snapshot, so that a reviewer weighs it
before approving.

The snapshot's first read holds no consents (they are one request per patient), so
``build_plan`` asks what is missing (``enrollment_reads_needed``, then
``consent_reads_needed``), has the snapshot stage read it into a new snapshot, and
computes the impact once, from that (``with_impact``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from jhe_sync.live import Live, record_digest
from jhe_sync.plan.cascade import CASCADE_KINDS, cascade, cascade_patients, cascade_studies
from jhe_sync.plan.change import Change, Impact, PatientTarget
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.resolve import live_link_set
from jhe_sync.resources import CLIENTS, DATA_SOURCES, PATIENTS, ChangeKind, Link

IMPACT_KINDS = frozenset(
    {
        ChangeKind.DELETE_STUDY,
        ChangeKind.REMOVE_SCOPE,
        ChangeKind.REMOVE_DATA_SOURCE,
        ChangeKind.REMOVE_CLIENT,
    }
)
"""Changes whose impact counts the study's enrolled patients and their consents."""


def enrollment_reads_needed(plan: Plan, live: Live) -> set[int]:
    """Studies whose enrolled patients the impact needs and the snapshot does not hold."""
    needed = {
        change.study_id
        for change in plan.changes
        if change.kind in IMPACT_KINDS and change.study_id is not None
    }
    for change in plan.changes:
        if change.kind in CASCADE_KINDS:
            needed |= set(cascade_studies(change, live))
    return {i for i in needed if live_link_set(live, i, PATIENTS) is None}


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
        elif change.kind in CASCADE_KINDS:
            needed |= cascade_patients(change, live)
    return needed - live.consents.keys()


def with_impact(plan: Plan, live: Live, labels: Mapping[int, str] | None = None) -> Plan:
    """The plan with the impact of each destructive change computed from ``live``;
    ``labels`` names the patients a cascade leaves in no organization as the spec does
    (others are ``#id``).

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
    after = _After(plan.changes)
    return replace(
        plan,
        changes=tuple(
            change_with_impact(change, live, after, labels or {}) for change in plan.changes
        ),
        fingerprints={
            **plan.fingerprints,
            **{key: record_digest(record) for key, record in recounted.items()},
        },
        read={**plan.read, **recounted},
    )


@dataclass(frozen=True)
class _After:
    """The link changes a plan makes to each study, to tell what a study keeps."""

    changes: tuple[Change, ...]

    def ids(self, kind: ChangeKind, study_id: int) -> set[int]:
        return {
            c.link_id
            for c in self.changes
            if c.kind is kind and c.study_id == study_id and c.link_id is not None
        }

    def kept(self, live: Live, study_id: int, link: Link) -> frozenset[int] | None:
        """A study's links of one kind after the plan (None: the live set was not read)."""
        have = live_link_set(live, study_id, link)
        if have is None:
            return None
        return frozenset((have - self.ids(link.remove, study_id)) | self.ids(link.add, study_id))


def change_with_impact(
    change: Change,
    live: Live,
    after: _After | None = None,
    labels: Mapping[int, str] | None = None,
) -> Change:
    if change.kind in CASCADE_KINDS:
        return replace(change, cascade=cascade(change, live, labels or {}))
    if change.study_id is None:
        return change
    after = after if after is not None else _After((change,))
    study_id = change.study_id
    if change.kind is ChangeKind.REMOVE_DATA_SOURCE:
        return replace(change, impact=_source_impact(live, change, after))
    if change.kind is ChangeKind.REMOVE_CLIENT:
        kept = after.kept(live, study_id, CLIENTS)
        impact = replace(
            _impact(live, study_id, None), links_left=None if kept is None else len(kept)
        )
        return replace(change, impact=impact)
    if change.kind in IMPACT_KINDS:
        scope_id = change.link_id if change.kind is ChangeKind.REMOVE_SCOPE else None
        return replace(change, impact=_impact(live, study_id, scope_id))
    if change.kind is ChangeKind.UNENROLL:
        patients = tuple(_with_consent(patient, live, study_id) for patient in change.patients)
        return replace(change, patients=patients)
    return change


def _source_impact(live: Live, change: Change, after: _After) -> Impact:
    """A data source removal: the consented scopes of the study that this source
    supported and that no data source the study keeps supports (their collection
    stops), with the patients who consented to them and their consent records."""
    assert change.study_id is not None and change.link_id is not None
    study_id = change.study_id
    kept = after.kept(live, study_id, DATA_SOURCES)
    removed_scopes = after.ids(ChangeKind.REMOVE_SCOPE, study_id)
    base = _impact(live, study_id, None)
    if kept is None:
        return replace(base, complete=False)
    source = live.data_sources.get(change.link_id)
    supported_here = source.supported_scope_ids if source is not None else frozenset()
    still = set().union(
        *(live.data_sources[i].supported_scope_ids for i in kept if i in live.data_sources)
    )
    consented = _consented_scopes(live, study_id)
    stranded = sorted(
        scope for scope in consented - removed_scopes if scope in supported_here - still
    )
    patients, records = _consenting(live, study_id, stranded)
    return replace(
        base,
        consented=patients,
        consents=records,
        scopes_without_source=tuple(_scope_label(live, scope) for scope in stranded),
        links_left=len(kept),
        complete=base.complete and source is not None,
    )


def _consented_scopes(live: Live, study_id: int) -> set[int]:
    """The scopes of a study that an enrolled patient said yes to (as far as read)."""
    enrolled = live_link_set(live, study_id, PATIENTS) or frozenset()
    return {
        answer.scope_id
        for patient_id in enrolled
        for answer in live.consents.get(patient_id, ())
        if answer.study_id == study_id and answer.consented
    }


def _consenting(live: Live, study_id: int, scopes: Iterable[int]) -> tuple[int, int]:
    """How many enrolled patients said yes to one of ``scopes``, and their answers."""
    wanted = set(scopes)
    patients = records = 0
    for patient_id in live_link_set(live, study_id, PATIENTS) or frozenset():
        answers = [
            a
            for a in live.consents.get(patient_id, ())
            if a.study_id == study_id and a.scope_id in wanted and a.consented is not None
        ]
        records += len(answers)
        patients += any(a.consented for a in answers)
    return patients, records


def _scope_label(live: Live, scope_id: int) -> str:
    scope = live.scopes.get(scope_id)
    return scope.code if scope is not None else f"#{scope_id}"


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
