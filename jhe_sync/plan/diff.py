"""The diff: a pure function from (resolved spec, live snapshot) to a Plan.

Identity comes first (``identity.identify``, applied by ``resolve``); values are
compared only between a spec entry and the live study it stands for. Every change
is one call to the exchange, except enrollments: one change per study and direction
listing its patients, as the server takes a list.

What the spec does not say is not touched: an omitted link list (None) yields no
change, and a live study that no entry lists is only reported as unmanaged, unless
its organization says ``prune: true``. (The study fields are always managed: the spec
format says an omitted ``icon_url`` means no icon.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jhe_sync.identity.organization import descendants
from jhe_sync.live import Live, Study, record_digest
from jhe_sync.plan.change import Change, FieldChange, PatientTarget, UnmanagedStudy, Warning_
from jhe_sync.plan.diff_organizations import Protected, organization_changes
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.resolve import Ref, Resolved, ResolvedStudy, live_link_set
from jhe_sync.resources import CLIENTS, DATA_SOURCES, LINKS, SCOPES, ChangeKind, Link

STUDY_FIELDS = ("name", "description", "icon_url")

REASON_CREATE = "no live study in the organization has this name (or a previous name)"
REASON_UPDATE = "the live study differs from the spec"
REASON_ABSENT = "the spec says state: absent"
REASON_ADD = "in the spec, not on the live study"
REASON_REMOVE = "on the live study, not in the spec"
REASON_ENROLL = "in the spec, not enrolled on the live study"
REASON_UNENROLL = "enrolled on the live study, not in the spec"


def unlisted_study_key(study_id: int) -> str:
    """The key a pruned study goes by in a plan (it has no spec entry): ``id:30012``.

    It is what ``--allow-destroy`` and ``--target`` take for that study.
    """
    return f"id:{study_id}"


def is_unlisted_study_key(key: str) -> bool:
    """Whether ``key`` is one ``unlisted_study_key`` makes (spec keys cannot hold ':')."""
    prefix, _, number = key.partition(":")
    return prefix == "id" and number.isdigit()


def diff(resolved: Resolved, live: Live) -> Plan:
    """The changes that bring ``live`` to ``resolved``, with what a reviewer must know."""
    changes: list[Change] = []
    warnings: list[Warning_] = []
    matched: set[int] = set()
    managed_objects = 0
    for study in resolved.studies:
        changes += study_changes(study, live)
        if study.match.study is not None:
            matched.add(study.match.study.id)
            managed_objects += 1 + _managed_link_count(study, live)

    labels = patient_labels(resolved)
    protected = _protected(resolved)
    for entry in resolved.organizations:
        entry_diff = organization_changes(entry, live, labels, protected)
        changes += entry_diff.changes
        warnings += entry_diff.warnings
        managed_objects += entry_diff.managed_objects
    doomed = _doomed(resolved, live)

    unmanaged: list[UnmanagedStudy] = []
    pruned: list[int] = []
    for other in sorted(live.studies.values(), key=lambda s: s.id):
        if other.id in matched:
            continue
        if other.organization_id not in resolved.managed_organization_ids:
            if other.organization_id in live.read_organization_ids:
                # A writable organization the spec does not mention: its studies are
                # shown, so that an entry dropped with its organization is noticed.
                unmanaged.append(UnmanagedStudy(other.id, other.name, other.organization_id, False))
            continue
        if other.organization_id in doomed:
            continue  # deleted with its organization: the deletion's impact names it
        if other.organization_id in resolved.pruned_organization_ids:
            changes.append(_prune(other))
            pruned.append(other.id)
            managed_objects += 1
        else:
            unmanaged.append(UnmanagedStudy(other.id, other.name, other.organization_id))

    read: dict[str, Any] = {
        f"study:{i}": live.study_record(i) for i in sorted(matched | set(pruned))
    }
    read |= {
        f"organization:{o}": live.organization_record(o)
        for o in sorted(resolved.managed_organization_ids & live.read_organization_ids)
    }
    read |= {
        key: _organization_part(live, key)
        for change in changes
        for key in sorted(change.fingerprint_keys())
        if key.startswith("organization-")
    }
    fingerprints = {key: record_digest(record) for key, record in read.items()}
    shown = {c.organization_id for c in changes if c.organization_id is not None}
    shown |= {c.parent_id for c in changes if c.parent_id is not None}
    shown |= {u.organization_id for u in unmanaged}
    return Plan(
        changes=tuple(changes),
        unmanaged=tuple(unmanaged),
        warnings=tuple(warnings),
        managed_objects=managed_objects,
        spec_digest=resolved.spec_digest,
        fingerprints=fingerprints,
        read=read,
        organization_names={
            org_id: live.organizations[org_id].name
            for org_id in sorted(shown)
            if org_id in live.organizations
        },
        exchange=live.exchange,
        planned_as=live.caller.email,
    )


def _organization_part(live: Live, key: str) -> Any:
    family, _, organization_id = key.rpartition(":")
    return live.organization_part_record(family, int(organization_id))


def patient_labels(resolved: Resolved) -> dict[int, str]:
    """How the spec names each patient it lists (the first label written wins)."""
    labels: dict[int, str] = {}
    for study in resolved.studies:
        for ref in study.patients or ():
            labels.setdefault(ref.id, ref.label)
    for entry in resolved.organizations:
        for member in entry.patients or ():
            labels.setdefault(member.id, member.label)
    return labels


def _protected(resolved: Resolved) -> Protected:
    return Protected(
        organizations=frozenset(
            e.organization_id
            for e in resolved.organizations
            if e.spec.protect and e.organization_id is not None
        ),
        studies=frozenset(
            s.match.study.id for s in resolved.studies if s.spec.protect and s.match.study
        ),
    )


def _doomed(resolved: Resolved, live: Live) -> set[int]:
    """The live organizations the plan deletes, with every one under them."""
    doomed: set[int] = set()
    for entry in resolved.organizations:
        if entry.absent and entry.organization_id is not None:
            doomed |= {entry.organization_id, *descendants(live, entry.organization_id)}
    return doomed


def study_changes(study: ResolvedStudy, live: Live) -> list[Change]:
    """One spec entry's changes: create with all its links, or update and link diffs, or delete."""
    current = study.match.study
    if study.absent:
        return [] if current is None else [_change(study, ChangeKind.DELETE_STUDY, REASON_ABSENT)]
    if current is None:
        return [_create(study), *_link_changes(study, live, None)]
    changes = []
    fields = field_changes(study, current)
    if fields:
        reason = REASON_UPDATE
        if study.match.previous_name is not None:
            reason = f'renamed: the live study is still named "{study.match.previous_name}" (previous_names)'
        changes.append(_change(study, ChangeKind.UPDATE_STUDY, reason, fields=fields))
    return changes + _link_changes(study, live, current.id)


def field_changes(study: ResolvedStudy, current: Study) -> tuple[FieldChange, ...]:
    """The study fields whose live value differs from the spec's, before and after.

    No icon is ``None`` on both sides: the spec omits ``icon_url`` (or writes null),
    the exchange answers null or "".
    """
    return fields_differing(current, _wanted_fields(study))


def fields_differing(current: Study, wanted: Mapping[str, str | None]) -> tuple[FieldChange, ...]:
    """The fields of ``wanted`` whose live value differs, compared as the diff compares
    them; apply uses it too, to read back an update whose answer was lost."""
    have = {
        "name": current.name,
        "description": current.description,
        "icon_url": current.icon_url or None,
    }
    return tuple(
        FieldChange(name, have[name], wanted[name])
        for name in STUDY_FIELDS
        if name in wanted and (wanted[name] or None) != (have[name] or None)
    )


def _wanted_fields(study: ResolvedStudy) -> dict[str, str | None]:
    spec = study.spec
    return {"name": spec.name, "description": spec.description, "icon_url": spec.icon_url or None}


def _create(study: ResolvedStudy) -> Change:
    fields = tuple(
        FieldChange(name, None, value)
        for name, value in _wanted_fields(study).items()
        if value is not None
    )
    return _change(study, ChangeKind.CREATE_STUDY, REASON_CREATE, fields=fields)


def _prune(study: Study) -> Change:
    return Change(
        kind=ChangeKind.DELETE_STUDY,
        key=unlisted_study_key(study.id),
        organization_id=study.organization_id,
        study_id=study.id,
        name=study.name,
        reason=f"prune: true for organization {study.organization_id}, and no spec entry lists this study",
    )


def _change(
    study: ResolvedStudy,
    kind: ChangeKind,
    reason: str,
    *,
    fields: tuple[FieldChange, ...] = (),
    link_id: int | None = None,
    link_label: str = "",
    patients: tuple[PatientTarget, ...] = (),
) -> Change:
    current = study.match.study
    return Change(
        kind=kind,
        key=study.key,
        organization_id=current.organization_id if current is not None else study.organization_id,
        organization_key=study.organization_key if current is None else "",
        study_id=current.id if current is not None else None,
        name=current.name if kind is ChangeKind.DELETE_STUDY and current else study.spec.name,
        fields=fields,
        link_id=link_id,
        link_label=link_label,
        patients=patients,
        reason=reason,
        protected=study.spec.protect,
    )


def _link_changes(study: ResolvedStudy, live: Live, study_id: int | None) -> list[Change]:
    """Adds and removes for every link list the spec manages (all adds for a new study)."""
    changes: list[Change] = []
    for link in LINKS:
        refs = study.link_refs(link)
        if refs is None:
            continue
        have = live_link_set(live, study_id, link) if study_id is not None else None
        have = have or frozenset()
        wanted = {ref.id: ref for ref in refs}
        if link.enrollment:
            changes += _enrollment_changes(study, wanted, have)
            continue
        changes += [
            _change(study, link.add, REASON_ADD, link_id=ref.id, link_label=ref.label)
            for ref in refs
            if ref.id not in have
        ]
        changes += [
            _change(
                study,
                link.remove,
                REASON_REMOVE,
                link_id=link_id,
                link_label=_live_label(live, link, link_id),
            )
            for link_id in sorted(have - wanted.keys())
        ]
    return changes


def _enrollment_changes(
    study: ResolvedStudy, wanted: dict[int, Ref], have: frozenset[int]
) -> list[Change]:
    enroll = _targets((i, wanted[i].label) for i in wanted.keys() - have)
    unenroll = _targets((i, f"#{i}") for i in have - wanted.keys())
    changes = []
    if enroll:
        changes.append(_change(study, ChangeKind.ENROLL, REASON_ENROLL, patients=enroll))
    if unenroll:
        changes.append(_change(study, ChangeKind.UNENROLL, REASON_UNENROLL, patients=unenroll))
    return changes


def _targets(pairs: Iterable[tuple[int, str]]) -> tuple[PatientTarget, ...]:
    return tuple(PatientTarget(i, label) for i, label in sorted(pairs))


def _live_label(live: Live, link: Link, link_id: int) -> str:
    """A live link's catalogue name, or ``#id`` when the catalogue does not hold it."""
    if link is SCOPES and link_id in live.scopes:
        return live.scopes[link_id].code
    if link is DATA_SOURCES and link_id in live.data_sources:
        return live.data_sources[link_id].name
    if link is CLIENTS and link_id in live.clients:
        return live.clients[link_id].name
    return f"#{link_id}"


def _managed_link_count(study: ResolvedStudy, live: Live) -> int:
    """The live links of a matched study in the lists the spec manages."""
    if study.absent or study.match.study is None:
        return 0
    study_id = study.match.study.id
    return sum(
        len(live_link_set(live, study_id, link) or ())
        for link in LINKS
        if study.link_refs(link) is not None
    )
