"""What the ``organizations:`` entries of a spec need read, beyond the organization list.

For each entry, by the identity rule of ``jhe_sync.identity.organization`` (so that the
plan sees what was read for it):

- a live organization: its studies (as for any organization the spec names); its
  practitioners' roles when the entry lists ``practitioners``; its patients when it
  lists ``patients``;
- one the entry deletes (``state: absent``): what goes with it, for the plan to show:
  the studies, patients and roles of it and of every organization under it, and the
  enrollments of those studies;
- the organization types, once, when an entry gives a ``type``;
- each practitioner e-mail of an entry that the organization's own list does not show,
  once (``GET /users?email=``): the caller's own is known from its profile, and an
  e-mail some list read shows needs no lookup.

Patients an entry lists that no organization read has are looked up as a study's are
(``read.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.read import lookup_user
from jhe_sync.identity.organization import OrganizationMatch, descendants, identify_organizations
from jhe_sync.live import Live, PractitionerRole, User
from jhe_sync.spec.models import Desired


@dataclass
class OrganizationReads:
    """The organization parts to read, by organization id."""

    studies: set[int] = field(default_factory=set)
    patients: set[int] = field(default_factory=set)
    roles: set[int] = field(default_factory=set)
    doomed: set[int] = field(default_factory=set)
    """Organizations the plan may delete (entries and everything under them): the
    enrollments of their studies are read for the impact."""
    types: bool = False


def organization_matches(desired: Desired, live: Live) -> list[OrganizationMatch]:
    """The entries the identity rule matched or will create (unmatched ones are the
    plan's to report; nothing is read for them)."""
    return [
        match
        for match in identify_organizations(desired.organizations, live)
        if isinstance(match, OrganizationMatch)
    ]


def types_needed(desired: Desired) -> bool:
    """Whether any entry gives a type (then the types are read, to check it)."""
    return any(
        entry.type is not None and entry.state == "present" for entry in desired.organizations
    )


def organization_reads(matches: Iterable[OrganizationMatch], live: Live) -> OrganizationReads:
    """What to read for the matched entries (the organization list already read)."""
    reads = OrganizationReads()
    for match in matches:
        found = match.organization
        if found is None:
            continue
        entry = match.entry
        reads.studies.add(found.id)
        if entry.state == "absent":
            subtree = {found.id, *descendants(live, found.id)}
            reads.doomed |= subtree
            reads.studies |= subtree
            reads.patients |= subtree
            reads.roles |= subtree
            continue
        if entry.practitioners is not None:
            reads.roles.add(found.id)
        if entry.patients is not None:
            reads.patients.add(found.id)
    return reads


def user_lookups(
    exchange: Exchange,
    matches: Iterable[OrganizationMatch],
    live: Live,
    roles: Mapping[int, tuple[PractitionerRole, ...]],
) -> dict[str, Callable[[], User | None]]:
    """One ``GET /users?email=`` per practitioner e-mail that no list read shows (the
    caller's aside), by casefolded e-mail."""
    shown = {role.email.strip().casefold() for listed in roles.values() for role in listed}
    shown.add(live.caller.email.strip().casefold())
    lookups: dict[str, Callable[[], User | None]] = {}
    for match in matches:
        entry = match.entry
        if entry.state != "present" or not entry.practitioners:
            continue
        for email in entry.practitioners:
            folded = email.strip().casefold()
            if folded not in shown:
                lookups.setdefault(folded, partial(lookup_user, exchange, email.strip()))
    return lookups


def listed_users(
    roles: Mapping[int, tuple[PractitionerRole, ...]], live: Live
) -> dict[str, User | None]:
    """The accounts the lists read show (and the caller's): known without a lookup."""
    users: dict[str, User | None] = {
        role.email.strip().casefold(): User(role.user_id, role.email)
        for listed in roles.values()
        for role in listed
    }
    caller = live.caller
    if caller.email:
        users.setdefault(caller.email.strip().casefold(), User(caller.id, caller.email))
    return users
