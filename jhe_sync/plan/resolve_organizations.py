"""Resolving the ``organizations:`` entries: which live organization each stands for (or
that the plan creates it), its parent, its type, its practitioners' accounts and its
patients.

Like the rest of ``resolve``, every name becomes something the exchange knows, or a
located problem: an unknown type (the server takes the key, never the label), a
practitioner e-mail no account has, a patient's account where a practitioner's is
expected, an organization to create without a type, two entries that stand for one
organization. Practitioners are named by e-mail (``GET /users?email=``); patients as
a study names them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from jhe_sync.errors import Problem, Unresolved
from jhe_sync.identity import Finders
from jhe_sync.identity.organization import (
    OrganizationMatch,
    Unidentified,
    identify_organizations,
    written_name,
)
from jhe_sync.live import Live, User
from jhe_sync.spec.models import OrganizationSettings


@dataclass(frozen=True)
class Practitioner:
    """A practitioner an entry lists: the e-mail as written, the role, the account."""

    email: str
    role: str
    user: User


@dataclass(frozen=True)
class Member:
    """A patient an entry lists: the id, how plans show them, its index in the list."""

    id: int
    label: str
    index: int


@dataclass(frozen=True)
class ResolvedOrganization:
    """An ``organizations:`` entry with every name replaced by what the exchange knows."""

    spec: OrganizationSettings
    match: OrganizationMatch
    practitioners: tuple[Practitioner, ...] | None = None
    """The roles the entry lists (None: not managed)."""
    patients: tuple[Member, ...] | None = None
    """The patient members the entry lists (None: not managed); duplicates dropped."""

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def absent(self) -> bool:
        return self.spec.state == "absent"

    @property
    def organization_id(self) -> int | None:
        """The live organization's id; None when the plan creates it."""
        found = self.match.organization
        return None if found is None else found.id

    @property
    def name(self) -> str:
        """The name it has, or will have: the spec's (a path's last name), else the live one."""
        written = written_name(self.spec)
        if written is not None:
            return written
        found = self.match.organization
        return found.name if found is not None else str(self.spec.organization)


def entry_path(entry: OrganizationSettings, field: str = "", item: int | str | None = None) -> str:
    """``organizations[sleep-lab].practitioners.a@example.com``: how problems name a field."""
    path = f"organizations[{entry.key}]"
    if field:
        path += f".{field}"
    if isinstance(item, int):
        path += f"[{item}]"
    elif item is not None:
        path += f".{item}"
    return path


def resolve_organizations(
    entries: Sequence[OrganizationSettings], live: Live, finders: Finders, problems: list[Problem]
) -> list[ResolvedOrganization]:
    """Every entry resolved; what cannot be is added to ``problems`` (its entry left out)."""
    resolved: list[ResolvedOrganization] = []
    for match in identify_organizations(entries, live):
        if isinstance(match, Unidentified):
            entry = match.entry
            problems.append(
                Problem(match.message, entry.locate(match.field), entry_path(entry, match.field))
            )
            continue
        found = _resolve_entry(match, live, finders, problems)
        if found is not None:
            resolved.append(found)
    problems += _claimed_twice(resolved) + _created_twice(resolved)
    return resolved


def _resolve_entry(
    match: OrganizationMatch, live: Live, finders: Finders, problems: list[Problem]
) -> ResolvedOrganization | None:
    entry = match.entry
    before = len(problems)
    if entry.state == "absent":
        return ResolvedOrganization(entry, match) if match.organization is not None else None
    if entry.type is not None:
        _check_type(entry, live, problems)
    elif match.created:
        problems.append(
            Problem(
                f'creating organization "{written_name(entry)}" needs its type: add type: with a key '
                f"of /organizations/types;{_types_hint(live)}",
                entry.origin,
                entry_path(entry, "type"),
            )
        )
    practitioners = None
    if entry.practitioners is not None:
        practitioners = tuple(
            practitioner
            for email, role in entry.practitioners.items()
            if (practitioner := _practitioner(entry, email, role, live, problems)) is not None
        )
    patients = None
    if entry.patients is not None:
        members: dict[int, Member] = {}
        for index, ref in enumerate(entry.patients):
            try:
                patient_id = finders.patients.find(ref)
            except Unresolved as error:
                where = entry.locate("patients", index)
                problems.append(Problem(error.message, where, entry_path(entry, "patients", index)))
                continue
            members.setdefault(patient_id, Member(patient_id, ref.label, index))
        patients = tuple(members.values())
    if len(problems) > before:
        return None
    return ResolvedOrganization(entry, match, practitioners, patients)


def _check_type(entry: OrganizationSettings, live: Live, problems: list[Problem]) -> None:
    types = live.organization_types
    wanted = entry.type or ""
    if wanted in types:
        return
    labels = {label.casefold(): key for key, label in types.items()}
    if wanted.casefold() in labels:
        hint = f'; "{wanted}" is the label of the type "{labels[wanted.casefold()]}": write the key'
    else:
        close = difflib.get_close_matches(wanted, list(types), n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(close)}" if close else f";{_types_hint(live)}"
    problems.append(
        Problem(
            f'unknown organization type "{wanted}" (the server refuses it with a 400){hint}',
            entry.locate("type"),
            entry_path(entry, "type"),
        )
    )


def _types_hint(live: Live) -> str:
    """`` the keys are: laboratory, team`` (the root type aside), or nothing."""
    keys = [key for key in live.organization_types if key != "root"]
    return f" the keys are: {', '.join(keys)}" if keys else ""


def _practitioner(
    entry: OrganizationSettings, email: str, role: str, live: Live, problems: list[Problem]
) -> Practitioner | None:
    user = live.users.get(email.strip().casefold())
    where, path = entry.locate("practitioners", email), entry_path(entry, "practitioners", email)
    if user is None:
        problems.append(
            Problem(
                f"no account has the e-mail {email} (GET /users?email= found none): check it; "
                "a practitioner's account is created by a superuser (POST /practitioners), "
                "or when they sign up through the console",
                where,
                path,
            )
        )
        return None
    if user.patient:
        problems.append(
            Problem(
                f"{email} is a patient's account, not a practitioner's, so it cannot hold a "
                "role (the server answers 404 Practitioner not found); list it under patients "
                "instead",
                where,
                path,
            )
        )
        return None
    return Practitioner(email.strip(), role, user)


def _claimed_twice(resolved: list[ResolvedOrganization]) -> list[Problem]:
    owners: dict[int, ResolvedOrganization] = {}
    problems = []
    for entry in resolved:
        org_id = entry.organization_id
        if org_id is None:
            continue
        first = owners.setdefault(org_id, entry)
        if first is not entry:
            problems.append(
                Problem(
                    f"this entry and organizations[{first.key}] both stand for organization "
                    f"{org_id}; keep one entry per organization",
                    entry.spec.origin,
                    entry_path(entry.spec),
                )
            )
    return problems


def _created_twice(resolved: list[ResolvedOrganization]) -> list[Problem]:
    """Two entries creating organizations of one name under one parent: names would be
    ambiguous at once (and a retried create could not tell its own from the other)."""
    seen: dict[tuple[int | str | None, str], ResolvedOrganization] = {}
    problems = []
    for entry in resolved:
        if not entry.match.created:
            continue
        parent = (
            entry.match.parent_id if entry.match.parent_id is not None else entry.match.parent_key
        )
        first = seen.setdefault((parent, entry.name.casefold()), entry)
        if first is not entry:
            problems.append(
                Problem(
                    f'this entry and organizations[{first.key}] both create "{entry.name}" '
                    "under the same parent; keep one",
                    entry.spec.origin,
                    entry_path(entry.spec),
                )
            )
    return problems


def planned_organization(
    ref: int | str, organizations: Sequence[ResolvedOrganization]
) -> ResolvedOrganization | None:
    """The entry the plan creates that a study's ``organization`` names (by the name the
    entry writes, or its key), if exactly one."""
    if isinstance(ref, int):
        return None
    wanted = ref.strip().casefold()
    found = [
        entry
        for entry in organizations
        if entry.match.created
        and wanted
        in {
            entry.key.casefold(),
            str(entry.spec.organization).strip().casefold(),
            entry.name.casefold(),
        }
    ]
    return found[0] if len(found) == 1 else None
