"""Renames the spec forgot to say: a study to create that looks like a live study the
spec no longer matches.

A study is matched by its organization and name (or a pinned id, or ``previous_names``),
so renaming an entry without ``previous_names`` plans a second study with the same
patients, and leaves the old one unmanaged (or, with ``prune: true``, deletes it with
its consents). Nothing on the exchange can tell a rename from a new study, but two
signs make one likely, and the plan warns on either, naming ``previous_names`` as the
fix:

- the entry's key is the key the live study's name gives (``export`` and the default
  key are the slug of the name): the key kept its lineage while the name changed;
- most of the patients the new study would enroll are enrolled in the live study, and
  they are most of the live study's patients too (a patient in several studies alone
  is no sign).

The second needs the live study's enrollments, which the snapshot reads only for the
studies the spec matches: ``rename_reads_needed`` says which to read (live studies in
the organization of a study to create with patients), ``build_plan`` has them read with
the impact's reads, and ``rename_warnings`` is computed after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jhe_sync.live import Live
from jhe_sync.plan.change import Change, Warning_
from jhe_sync.plan.diff import is_unlisted_study_key
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.wording import plural
from jhe_sync.plan.resolve import live_link_set
from jhe_sync.resources import PATIENTS, ChangeKind
from jhe_sync.spec.models import slug


@dataclass(frozen=True)
class _Unmatched:
    """A live study no spec entry matches: left unmanaged, or pruned by this plan."""

    id: int
    name: str
    organization_id: int
    pruned: bool


def rename_reads_needed(plan: Plan, live: Live) -> set[int]:
    """Live studies whose enrollments the rename check needs and the snapshot lacks."""
    creating = {c.organization_id for c in _creates(plan) if _enrolled_by(plan, c.key)}
    return {
        study.id
        for study in _unmatched(plan)
        if study.organization_id in creating and live_link_set(live, study.id, PATIENTS) is None
    }


def rename_warnings(plan: Plan, live: Live) -> tuple[Warning_, ...]:
    """One warning per study to create that looks like a renamed live study."""
    unmatched = _unmatched(plan)
    warnings = []
    for create in _creates(plan):
        patients = _enrolled_by(plan, create.key)
        for study in unmatched:
            if study.organization_id != create.organization_id:
                continue
            why = _why_a_rename(create.key, patients, study, live)
            if why:
                warnings.append(Warning_(create.key, _message(study, why)))
    return tuple(warnings)


def _why_a_rename(key: str, patients: frozenset[int], study: _Unmatched, live: Live) -> str:
    if slug(study.name) == key:
        return f"has the name this entry's key {key!r} comes from"
    enrolled = live_link_set(live, study.id, PATIENTS) or frozenset()
    shared = len(patients & enrolled)
    if patients and shared * 2 > len(patients) and shared * 2 > len(enrolled):
        return f"has {shared} of the {plural(len(patients), 'patient')} this entry enrolls"
    return ""


def _message(study: _Unmatched, why: str) -> str:
    fate = (
        "and deletes the live one with its consents (prune: true)"
        if study.pruned
        else "and leaves the live one unmanaged"
    )
    return (
        f'creates a new study, but live study "{study.name}" (id {study.id}) in the same '
        f"organization, which no entry matches, {why}: if this entry is that study "
        f'renamed, add previous_names: ["{study.name}"] to it (or pin id: {study.id}); '
        f"otherwise the plan makes a second study {fate}"
    )


def _creates(plan: Plan) -> Iterable[Change]:
    return (c for c in plan.changes if c.kind is ChangeKind.CREATE_STUDY)


def _enrolled_by(plan: Plan, key: str) -> frozenset[int]:
    return frozenset(
        p.id
        for c in plan.changes
        if c.key == key and c.kind is ChangeKind.ENROLL
        for p in c.patients
    )


def _unmatched(plan: Plan) -> list[_Unmatched]:
    studies = [_Unmatched(u.id, u.name, u.organization_id, False) for u in plan.unmanaged]
    studies += [
        _Unmatched(c.study_id, c.name, c.organization_id, True)
        for c in plan.changes
        if c.kind is ChangeKind.DELETE_STUDY
        and is_unlisted_study_key(c.key)
        and c.study_id is not None
        and c.organization_id is not None
    ]
    return studies
