"""Which live organization each ``organizations:`` entry stands for, and under which parent
it belongs: the identity rule for organization entries, once.

An entry's ``organization`` is an id, a name or a path (``OrganizationFinder``). For a
name, in this order:

1. the organization of that name (a path: the one at that path); when several share
   the name, the one directly under ``part_of``;
2. else a ``previous_names`` entry, under ``part_of`` first, else anywhere when only one
   organization has it (the plan renames it);
3. else none: the plan creates it under its parent, ``part_of`` (or, for a path, the
   path without its last name). Without a parent it is an error: only a superuser may
   create a top-level organization, and the spec cannot say where it goes.

The declared parent (``part_of``) is a live organization, or another entry of the same
spec that the plan creates (named as that entry names itself, or by its key); parents
created before children, so a cycle is an error. A live organization under another
parent than ``part_of`` is moved. An id names a live organization only: one to create
is named.

The read stage applies this rule to know which organizations exist (and so what to
read), and the plan to match each entry: both see the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jhe_sync.errors import Unresolved
from jhe_sync.identity.lookup import OrganizationFinder
from jhe_sync.live import Live, Organization
from jhe_sync.spec.models import OrganizationSettings


@dataclass(frozen=True)
class OrganizationMatch:
    """What one entry stands for: a live organization (or None: the plan creates it), and
    its declared parent, live (``parent_id``) or an entry the plan creates (``parent_key``)."""

    entry: OrganizationSettings
    organization: Organization | None
    previous_name: str | None = None
    """The ``previous_names`` entry that matched (the live organization's current name)."""
    parent_id: int | None = None
    parent_key: str = ""
    parent_declared: bool = False
    """The entry gives ``part_of``: its parent is managed (a live one elsewhere moves)."""

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def created(self) -> bool:
        return self.organization is None


@dataclass(frozen=True)
class Unidentified:
    """An entry the rule could not match: which field, and why (``Unresolved`` message)."""

    entry: OrganizationSettings
    field: str
    message: str


def identify_organizations(
    entries: Sequence[OrganizationSettings], live: Live
) -> list[OrganizationMatch | Unidentified]:
    """Each entry's match (in order), or why it has none."""
    finder = OrganizationFinder(live)
    first: list[OrganizationMatch | Unidentified] = []
    parent_refs: list[tuple[int | str | None, str | None]] = []
    for entry in entries:
        parent_ref = _parent_ref(entry)
        parent_id, parent_problem = None, None
        if parent_ref is not None:
            try:
                parent_id = finder.find(parent_ref)
            except Unresolved as error:
                parent_problem = error.message
        parent_refs.append((parent_ref, parent_problem))
        try:
            found, previous = _find(entry, finder, live, parent_id)
        except Unresolved as error:
            first.append(Unidentified(entry, "organization", error.message))
            continue
        if found is None and parent_ref is None:
            first.append(
                Unidentified(
                    entry,
                    "organization",
                    f'unknown organization "{entry.organization}"{_closest_note(finder, entry)}; '
                    "to create it, give part_of: the organization it belongs to (only a "
                    "superuser may create a top-level organization, in the console)",
                )
            )
            continue
        first.append(
            OrganizationMatch(
                entry,
                found,
                previous,
                parent_id=parent_id,
                parent_declared=entry.part_of is not None,
            )
        )
    planned = {m.key: m for m in first if isinstance(m, OrganizationMatch) and m.created}
    matches: list[OrganizationMatch | Unidentified] = []
    for match, (parent_ref, parent_problem) in zip(first, parent_refs, strict=True):
        if not isinstance(match, OrganizationMatch) or parent_problem is None:
            matches.append(match)
            continue
        assert parent_ref is not None
        field = "part_of" if match.entry.part_of is not None else "organization"
        parent_key = _planned_parent(parent_ref, planned)
        if parent_key is None or parent_key == match.key:
            matches.append(Unidentified(match.entry, field, parent_problem))
            continue
        matches.append(
            OrganizationMatch(
                match.entry,
                match.organization,
                match.previous_name,
                parent_key=parent_key,
                parent_declared=match.parent_declared,
            )
        )
    return _without_cycles(matches)


def _parent_ref(entry: OrganizationSettings) -> int | str | None:
    """``part_of``, else the path of ``organization`` without its last name (or None)."""
    if entry.part_of is not None:
        return entry.part_of
    if isinstance(entry.organization, str) and "/" in entry.organization.strip().strip("/"):
        prefix = entry.organization.strip().strip("/").rsplit("/", 1)[0]
        return prefix
    return None


def _find(
    entry: OrganizationSettings, finder: OrganizationFinder, live: Live, parent_id: int | None
) -> tuple[Organization | None, str | None]:
    """The live organization of an entry (and the previous name it matched by), or None."""
    ref = entry.organization
    if isinstance(ref, int):
        if ref not in live.organizations:
            raise Unresolved(
                f"no organization has id {ref}; an organization to create is given by its "
                "name (organization: NAME, with part_of)"
            )
        return live.organizations[ref], None
    found = _by_name(ref, finder, live, parent_id)
    if found is not None:
        return found, None
    for previous in entry.previous_names:
        try:
            earlier = _by_name(previous, finder, live, parent_id)
        except Unresolved:
            continue
        if earlier is not None:
            return earlier, earlier.name
    return None, None


def _by_name(
    ref: str, finder: OrganizationFinder, live: Live, parent_id: int | None
) -> Organization | None:
    """The organization a name or path stands for, or None when none does. When several
    fit: the one directly under ``parent_id``, else ``Unresolved`` (ambiguous)."""
    found = finder.candidates(ref)
    if len(found) > 1:
        under = [
            i for i in found if parent_id is not None and live.organizations[i].part_of == parent_id
        ]
        if len(under) != 1:
            finder.find(ref)  # raises: ambiguous
        found = under
    return live.organizations[found[0]] if found else None


def _planned_parent(ref: int | str, planned: dict[str, OrganizationMatch]) -> str | None:
    """The key of the entry the plan creates that a parent reference names, if exactly one."""
    if isinstance(ref, int):
        return None
    wanted = ref.strip().casefold()
    found = [
        key
        for key, match in planned.items()
        if wanted
        in {
            key.casefold(),
            str(match.entry.organization).strip().casefold(),
            (written_name(match.entry) or "").casefold(),
        }
    ]
    return found[0] if len(found) == 1 else None


def _without_cycles(
    matches: list[OrganizationMatch | Unidentified],
) -> list[OrganizationMatch | Unidentified]:
    """Entries whose chain of created parents comes back to themselves are errors."""
    by_key = {m.key: m for m in matches if isinstance(m, OrganizationMatch)}
    result: list[OrganizationMatch | Unidentified] = []
    for match in matches:
        if not isinstance(match, OrganizationMatch) or not match.parent_key:
            result.append(match)
            continue
        chain, current = [match.key], match
        while current.parent_key and current.parent_key in by_key:
            if current.parent_key in chain:
                cycle = " -> ".join([*chain, current.parent_key])
                field = "part_of" if match.entry.part_of is not None else "organization"
                result.append(
                    Unidentified(
                        match.entry,
                        field,
                        f"the parents of the organizations to create make a cycle ({cycle}); "
                        "one of them must be a live organization",
                    )
                )
                break
            chain.append(current.parent_key)
            current = by_key[current.parent_key]
        else:
            result.append(match)
    return result


def _closest_note(finder: OrganizationFinder, entry: OrganizationSettings) -> str:
    try:
        finder.find(entry.organization)
    except Unresolved as error:
        _, _, closest = error.message.partition("; closest: ")
        return f"; closest: {closest}" if closest else ""
    return ""


def written_name(entry: OrganizationSettings) -> str | None:
    """The organization's name as the entry writes it (a path's last name), or None when
    the entry gives an id."""
    if isinstance(entry.organization, int):
        return None
    return entry.organization.rsplit("/", 1)[-1].strip()


def descendants(live: Live, organization_id: int) -> list[int]:
    """The ids of the organizations under one, recursively (depth first, by id)."""
    found: list[int] = []
    pending = [organization_id]
    seen = {organization_id}
    while pending:
        current = pending.pop(0)
        for child in live.children(current):
            if child.id not in seen:
                seen.add(child.id)
                found.append(child.id)
                pending.append(child.id)
    return found
