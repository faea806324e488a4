"""The diff of the ``organizations:`` entries: a pure function from a resolved entry and the
snapshot to its changes.

- A missing organization is created under its parent (one call). Its creator becomes
  its manager on the server, so the plan counts the caller as its manager from the
  start and makes no call for that role.
- A live one is renamed when it matched by a previous name, has its type changed when
  the entry gives another, and is moved when ``part_of`` names another parent (a move
  is guarded: it hands the organization to the new parent's managers).
- Listed ``practitioners`` are the exact set of roles the organization's user list
  shows: a missing one is granted, a higher role raised, a lower one lowered, an extra
  practitioner removed (lowering and removing are destructive). A practitioner whose
  account the API created is never in that list (FINDINGS): the plan cannot tell
  whether they hold a role, so it plans nothing for them and says so.
- Listed ``patients`` are the exact set of patient members: missing ones are added
  (``global_add_organization``), extra ones removed (destructive; ``impact`` says what
  goes with them).
- ``state: absent`` deletes the organization (guarded; ``impact`` says what goes with it).

Two role changes are refused whatever the flags (``lockouts``): taking the manager role
from the identity applying the plan, and leaving the organization without a manager.
"""

from __future__ import annotations

from dataclasses import dataclass

from jhe_sync.identity.organization import descendants, written_name
from jhe_sync.live import Live, PractitionerRole
from jhe_sync.plan.change import Change, FieldChange, Lockout, Warning_
from jhe_sync.plan.resolve_organizations import Practitioner, ResolvedOrganization
from jhe_sync.resources import MANAGER, ROLES, ChangeKind, role_rank

REASON_CREATE = (
    "no live organization under its parent has this name (or a previous name); its creator "
    "becomes its manager on the server, without a call"
)
REASON_RENAME = "renamed: the live organization is still named {name!r} (previous_names)"
REASON_TYPE = "the live organization's type differs from the spec"
REASON_ABSENT = "the spec says state: absent"
REASON_GRANT = "in the spec, not a practitioner of the live organization"
REASON_ROLE = "the live role differs from the spec"
REASON_REMOVE_ROLE = "a practitioner of the live organization, not in the spec"
REASON_ADD_MEMBER = "in the spec, not a patient of the live organization"
REASON_REMOVE_MEMBER = "a patient of the live organization, not in the spec"


@dataclass(frozen=True)
class EntryDiff:
    """One entry's changes, its warnings, and how many live objects it manages (the base of
    the destroy share: the roles and members it lists, or the organization it deletes)."""

    changes: tuple[Change, ...] = ()
    warnings: tuple[Warning_, ...] = ()
    managed_objects: int = 0


@dataclass(frozen=True)
class Protected:
    """The live organizations and studies whose entries say ``protect: true``: deleting an
    organization deletes those under it too, so it is refused as theirs would be."""

    organizations: frozenset[int] = frozenset()
    studies: frozenset[int] = frozenset()


def organization_changes(
    entry: ResolvedOrganization,
    live: Live,
    labels: dict[int, str],
    protected: Protected = Protected(),
) -> EntryDiff:
    """The changes of one entry. ``labels`` names patients as the spec does elsewhere (a
    patient the spec does not list is ``#id``)."""
    found = entry.match.organization
    if entry.absent:
        if found is None:
            return EntryDiff()
        subtree = {found.id, *descendants(live, found.id)}
        studies = {s.id for s in live.studies.values() if s.organization_id in subtree}
        guarded = (
            entry.spec.protect
            or bool(subtree & protected.organizations)
            or bool(studies & protected.studies)
        )
        delete = _change(entry, ChangeKind.DELETE_ORGANIZATION, REASON_ABSENT, protected=guarded)
        return EntryDiff((delete,), managed_objects=1)

    changes: list[Change] = []
    managed = 0
    if found is None:
        fields = [FieldChange("name", None, entry.name)]
        fields.append(FieldChange("type", None, entry.spec.type))
        changes.append(_change(entry, ChangeKind.CREATE_ORGANIZATION, REASON_CREATE, fields=fields))
        have = {live.caller.id: PractitionerRole(live.caller.id, live.caller.email, MANAGER)}
    else:
        changes += _updates(entry, live)
        have = _live_roles(entry, live)
    warnings: list[Warning_] = []
    if entry.practitioners is not None:
        role_changes, warnings = _role_changes(entry, have, live)
        changes += role_changes
        managed += len(have) if found is not None else 0
    if entry.patients is not None:
        members = live.members(found.id) if found is not None else frozenset()
        changes += _membership_changes(entry, members, labels)
        managed += len(members)
    return EntryDiff(tuple(changes), tuple(warnings), managed)


def _change(
    entry: ResolvedOrganization,
    kind: ChangeKind,
    reason: str,
    *,
    fields: list[FieldChange] | tuple[FieldChange, ...] = (),
    link_id: int | None = None,
    link_label: str = "",
    parent: tuple[int | None, str] | None = None,
    protected: bool = False,
    lockouts: tuple[Lockout, ...] = (),
) -> Change:
    found = entry.match.organization
    parent_id, parent_key = parent or (None, "")
    if kind is ChangeKind.CREATE_ORGANIZATION:
        parent_id, parent_key = entry.match.parent_id, entry.match.parent_key
    return Change(
        kind=kind,
        key=entry.key,
        organization_id=None if found is None else found.id,
        organization_key=entry.key if found is None else "",
        name=found.name
        if found is not None and kind is ChangeKind.DELETE_ORGANIZATION
        else entry.name,
        parent_id=parent_id,
        parent_key=parent_key,
        fields=tuple(fields),
        link_id=link_id,
        link_label=link_label,
        reason=reason,
        protected=protected,
        lockouts=lockouts,
    )


def _updates(entry: ResolvedOrganization, live: Live) -> list[Change]:
    """A rename or type change (one PATCH), and a move (another, guarded)."""
    found = entry.match.organization
    assert found is not None
    changes = []
    fields = []
    reasons = []
    written = written_name(entry.spec)
    if entry.match.previous_name is not None and written is not None:
        fields.append(FieldChange("name", found.name, written))
        reasons.append(REASON_RENAME.format(name=found.name).replace("'", '"'))
    if entry.spec.type is not None and entry.spec.type != found.type:
        fields.append(FieldChange("type", found.type, entry.spec.type))
        reasons.append(REASON_TYPE)
    if fields:
        changes.append(
            _change(entry, ChangeKind.UPDATE_ORGANIZATION, "; ".join(reasons), fields=fields)
        )
    match = entry.match
    if match.parent_declared and (match.parent_key or match.parent_id != found.part_of):
        old = _label(live, found.part_of)
        new = (
            _label(live, match.parent_id)
            if match.parent_id is not None
            else (f'new organization "{match.parent_key}"')
        )
        reason = (
            f"part_of says {new}, and the live organization is under {old}: moving it hands its "
            f"update and delete rights to the managers of {new}, and takes them from those of {old}"
        )
        changes.append(
            _change(
                entry,
                ChangeKind.MOVE_ORGANIZATION,
                reason,
                fields=[FieldChange("part_of", old, new)],
                parent=(match.parent_id, match.parent_key),
                protected=entry.spec.protect,
            )
        )
    return changes


def _label(live: Live, organization_id: int | None) -> str:
    found = live.organizations.get(organization_id) if organization_id is not None else None
    if found is None:
        return f"organization {organization_id}" if organization_id else "the top level"
    return f"{found.name} ({found.id})"


def _live_roles(entry: ResolvedOrganization, live: Live) -> dict[int, PractitionerRole]:
    """The roles the organization's list shows, by user id, and the caller's own (its role
    comes with the organization list, also when the user list cannot show it)."""
    found = entry.match.organization
    assert found is not None
    have = {role.user_id: role for role in live.roles.get(found.id, ())}
    caller = live.caller
    if caller.id not in have and found.role in ROLES:
        have[caller.id] = PractitionerRole(caller.id, caller.email, found.role or "")
    return have


def _role_changes(
    entry: ResolvedOrganization, have: dict[int, PractitionerRole], live: Live
) -> tuple[list[Change], list[Warning_]]:
    wanted: dict[int, Practitioner] = {}
    warnings: list[Warning_] = []
    for practitioner in entry.practitioners or ():
        user = practitioner.user
        if user.id not in have and not user.listed:
            warnings.append(_unlisted(entry, practitioner))
            continue
        wanted[user.id] = practitioner
    after = {uid: role.role for uid, role in have.items()}
    planned: list[tuple[ChangeKind, int, str, str | None, str | None]] = []
    for uid, practitioner in sorted(wanted.items()):
        before = have[uid].role if uid in have else None
        target = practitioner.role
        after[uid] = target
        if before == target:
            continue
        if before is None:
            kind = ChangeKind.GRANT_ROLE
        elif role_rank(target) < role_rank(before):
            kind = ChangeKind.LOWER_ROLE
        else:
            kind = ChangeKind.RAISE_ROLE
        planned.append((kind, uid, practitioner.email, before, target))
    for uid, role in sorted(have.items()):
        if uid not in wanted:
            planned.append((ChangeKind.REMOVE_ROLE, uid, role.email, role.role, None))
            del after[uid]
    no_manager = MANAGER not in after.values()
    changes = []
    for kind, uid, email, before, role_after in planned:
        lockouts: list[Lockout] = []
        losing = before == MANAGER and role_after != MANAGER
        if losing and uid == live.caller.id and not live.caller.is_superuser:
            lockouts.append("caller")
        if losing and no_manager:
            lockouts.append("last_manager")
        reason = {
            ChangeKind.GRANT_ROLE: REASON_GRANT,
            ChangeKind.REMOVE_ROLE: REASON_REMOVE_ROLE,
        }.get(kind, REASON_ROLE)
        changes.append(
            _change(
                entry,
                kind,
                reason,
                fields=[FieldChange("role", before, role_after)],
                link_id=uid,
                link_label=email,
                lockouts=tuple(lockouts),
            )
        )
    return changes, warnings


def _unlisted(entry: ResolvedOrganization, practitioner: Practitioner) -> Warning_:
    where = "it" if entry.match.created else "the organization"
    return Warning_(
        entry.key,
        f"practitioner {practitioner.email} (user {practitioner.user.id}) was created through "
        "the API, so no organization's user list shows them (their user type is empty): "
        f"whether they already hold a role in {where} cannot be read, so the plan makes no "
        f'call for them. Granting "{practitioner.role}" (POST .../user) would set that role '
        "whether or not they hold one (it is an upsert: it creates the link or replaces the "
        "role, never duplicates it), and would not make them appear in the list, so every "
        "later plan would propose it again. Check their role in the console (or GET "
        "/practitioners/ID as a superuser) and set it there if needed, or leave them out "
        "of practitioners",
    )


def _membership_changes(
    entry: ResolvedOrganization, members: frozenset[int], labels: dict[int, str]
) -> list[Change]:
    wanted = {member.id: member for member in entry.patients or ()}
    changes = [
        _change(
            entry,
            ChangeKind.ADD_MEMBERSHIP,
            REASON_ADD_MEMBER,
            link_id=patient_id,
            link_label=wanted[patient_id].label,
        )
        for patient_id in sorted(wanted.keys() - members)
    ]
    changes += [
        _change(
            entry,
            ChangeKind.REMOVE_MEMBERSHIP,
            REASON_REMOVE_MEMBER,
            link_id=patient_id,
            link_label=labels.get(patient_id, f"#{patient_id}"),
        )
        for patient_id in sorted(members - wanted.keys())
    ]
    return changes
