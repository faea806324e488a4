"""Finding the live object a name in the spec stands for.

Each finder answers with an id or raises ``Unresolved`` with a message that says what
was looked for, what came close and what to write instead. ``resolve`` turns those
into located ``Problem``s, all reported at once.

Patients are the exception to "say what came close": suggesting the nearest e-mail
addresses would print other patients' addresses into CI logs, so patient messages
never name a patient the spec did not name.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from jhe_sync.errors import Unresolved
from jhe_sync.live import Live, Organization, ScopeCode
from jhe_sync.spec.models import PatientReference

ROOT_ORGANIZATION_TYPE = "root"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _closest(wanted: str, candidates: Iterable[str]) -> str:
    """``; closest: "A", "B"`` or nothing: the suffix of an unknown-name message."""
    unique = sorted(set(candidates))
    by_fold = {name.casefold(): name for name in unique}
    close = difflib.get_close_matches(wanted.casefold(), list(by_fold), n=3, cutoff=0.6)
    return f"; closest: {_quoted(by_fold[c] for c in close)}" if close else ""


def _by_name(wanted: str, index: dict[str, list[int]], folded: dict[str, list[int]]) -> list[int]:
    """Exact matches if there are any, else case-insensitive ones."""
    return index.get(wanted) or folded.get(wanted.casefold(), [])


def _name_index(
    items: Iterable[tuple[str, int]],
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    exact: dict[str, list[int]] = defaultdict(list)
    folded: dict[str, list[int]] = defaultdict(list)
    for name, item_id in items:
        exact[name.strip()].append(item_id)
        folded[name.strip().casefold()].append(item_id)
    return dict(exact), dict(folded)


# -- organizations ---------------------------------------------------------------


def organization_chain(live: Live, organization_id: int) -> list[Organization]:
    """The organization and its ancestors, from the top level down (the root left out)."""
    chain: list[Organization] = []
    seen: set[int] = set()
    current = live.organizations.get(organization_id)
    while current is not None and current.id not in seen and current.type != ROOT_ORGANIZATION_TYPE:
        seen.add(current.id)
        chain.append(current)
        current = live.organizations.get(current.part_of) if current.part_of is not None else None
    return chain[::-1]


def organization_path(live: Live, organization_id: int) -> str:
    """``Planetary Research Institute/Saturn School of Data Science/Lifespan Lab``."""
    return "/".join(org.name for org in organization_chain(live, organization_id))


def _is_subsequence(wanted: list[str], names: list[str]) -> bool:
    remaining = iter(names)
    return all(any(want == name for name in remaining) for want in wanted)


@dataclass
class OrganizationFinder:
    """Organizations by id, name, or a path of names from the top level down.

    A path matches an organization when its last name is the organization's and the
    names before it are, in order, among its ancestors: the full path always works,
    and so does a shorter one that is enough to tell two organizations apart.
    """

    live: Live
    _exact: dict[str, list[int]] = field(init=False)
    _folded: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self._exact, self._folded = _name_index(
            (org.name, org.id)
            for org in self.live.organizations.values()
            if org.type != ROOT_ORGANIZATION_TYPE
        )

    def candidates(self, ref: int | str) -> list[int]:
        """Every organization ``ref`` fits (an id, a name, or a path), without judging."""
        if isinstance(ref, int):
            return [ref] if ref in self.live.organizations else []
        if "/" not in ref:
            return list(_by_name(ref.strip(), self._exact, self._folded))
        parts = [part.strip() for part in ref.split("/") if part.strip()]
        if not parts:
            return []
        wanted = [part.casefold() for part in parts]
        found = []
        for candidate in _by_name(parts[-1], self._exact, self._folded):
            names = [
                org.name.strip().casefold() for org in organization_chain(self.live, candidate)
            ]
            if names and names[-1] == wanted[-1] and _is_subsequence(wanted[:-1], names[:-1]):
                found.append(candidate)
        return found

    def find(self, ref: int | str) -> int:
        found = self.candidates(ref)
        if len(found) == 1:
            return found[0]
        if found:
            raise Unresolved(self._ambiguous(str(ref), found))
        if isinstance(ref, int):
            raise Unresolved(f"no organization has id {ref}")
        if "/" in ref:
            raise Unresolved(self._unknown_path(ref))
        raise Unresolved(f'unknown organization "{ref}"{_closest(ref, self._exact)}')

    def _unknown_path(self, ref: str) -> str:
        parts = [part.strip() for part in ref.split("/") if part.strip()]
        if not parts:
            return f'organization path "{ref}" names no organization'
        named = _by_name(parts[-1], self._exact, self._folded)
        if named:
            paths = ", ".join(
                f'"{organization_path(self.live, org_id)}" (id {org_id})'
                for org_id in sorted(named)
            )
            return (
                f'unknown organization path "{ref}": the organizations named "{parts[-1]}" are '
                f"{paths}; write one of these paths or the id"
            )
        return (
            f'unknown organization path "{ref}": no organization is named "{parts[-1]}"'
            f"{_closest(parts[-1], self._exact)}"
        )

    def _ambiguous(self, ref: str, found: list[int]) -> str:
        candidates = ", ".join(
            f'"{organization_path(self.live, org_id)}" (id {org_id})' for org_id in sorted(found)
        )
        return (
            f'organization "{ref}" is ambiguous: {len(found)} organizations match: {candidates}; '
            "write the path or the id instead"
        )


# -- catalogue: scopes, data sources, clients ----------------------------------------


@dataclass
class ScopeFinder:
    """Scope codes by code (``omh:blood-pressure:4.0``) or display text (``Blood pressure``).

    Codes match exactly first, then ignoring case; display text always ignores case.
    """

    scopes: Mapping[int, ScopeCode]
    _codes: dict[str, list[int]] = field(init=False)
    _folded_codes: dict[str, list[int]] = field(init=False)
    _texts: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self._codes, self._folded_codes = _name_index((s.code, s.id) for s in self.scopes.values())
        _, self._texts = _name_index((s.text, s.id) for s in self.scopes.values())

    def find(self, ref: str) -> int:
        wanted = ref.strip()
        found = _by_name(wanted, self._codes, self._folded_codes) or self._texts.get(
            wanted.casefold(), []
        )
        if len(found) == 1:
            return found[0]
        if not found:
            names = [s.code for s in self.scopes.values()] + [s.text for s in self.scopes.values()]
            raise Unresolved(f'unknown scope "{ref}"{_closest(ref, names)}')
        codes = ", ".join(
            f'"{self.scopes[i].code}" ({self.scopes[i].system})' for i in sorted(found)
        )
        raise Unresolved(
            f'scope "{ref}" is ambiguous: it is the text of {codes}; write the code instead'
        )


@dataclass
class CatalogueFinder:
    """Data sources or clients by id or name (exactly, then ignoring case).

    ``aliases`` are further names that are tried after the names: for clients, the
    OAuth ``client_id`` string, which people copy from the console although study
    links take the numeric id.
    """

    what: str
    names: dict[int, str]
    aliases: dict[int, str] = field(default_factory=dict)
    _exact: dict[str, list[int]] = field(init=False)
    _folded: dict[str, list[int]] = field(init=False)
    _aliases: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self._exact, self._folded = _name_index(
            (name, item_id) for item_id, name in self.names.items()
        )
        self._aliases, _ = _name_index((alias, i) for i, alias in self.aliases.items() if alias)

    def find(self, ref: int | str) -> int:
        if isinstance(ref, int):
            if ref in self.names:
                return ref
            raise Unresolved(f"no {self.what} has id {ref}")
        found = _by_name(ref.strip(), self._exact, self._folded) or self._aliases.get(
            ref.strip(), []
        )
        if len(found) == 1:
            return found[0]
        if not found:
            raise Unresolved(f'unknown {self.what} "{ref}"{_closest(ref, self.names.values())}')
        ids = ", ".join(str(i) for i in sorted(found))
        raise Unresolved(
            f'{self.what} "{ref}" is ambiguous: ids {ids} have that name; write the id instead'
        )


# -- patients -------------------------------------------------------------------------


@dataclass
class PatientFinder:
    """Patients by e-mail (ignoring case), identifier (system and value) or id."""

    live: Live
    _emails: dict[str, list[int]] = field(init=False)
    _identifiers: dict[tuple[str, str], list[int]] = field(init=False)

    def __post_init__(self) -> None:
        emails: dict[str, list[int]] = defaultdict(list)
        identifiers: dict[tuple[str, str], list[int]] = defaultdict(list)
        for patient in self.live.patients.values():
            if patient.email:
                emails[patient.email.strip().casefold()].append(patient.id)
            for identifier in patient.identifiers:
                identifiers[(identifier.system, identifier.value)].append(patient.id)
        self._emails, self._identifiers = dict(emails), dict(identifiers)

    def find(self, ref: PatientReference) -> int:
        """The patient a spec reference names, by whichever of email, identifier or id
        it gives."""
        if ref.email is not None:
            return self.find_email(ref.email)
        if ref.identifier is not None:
            return self.find_identifier(ref.identifier.system, ref.identifier.value)
        assert ref.id is not None
        return self.find_id(ref.id)

    @property
    def by_email(self) -> Mapping[str, list[int]]:
        """Patient ids by e-mail, stripped and case-folded: the one e-mail index, which
        ``resolve`` reads inline for the many references of a large spec."""
        return self._emails

    def find_email(self, email: str) -> int:
        return self._one(
            self._emails.get(email.strip().casefold(), []),
            f"e-mail {email}",
            "no patient has this e-mail on the exchange (it was looked up in every "
            "organization); check it, or create the patient in the study's organization first",
        )

    def find_identifier(self, system: str, value: str) -> int:
        return self._one(
            self._identifiers.get((system, value), []),
            f"identifier {system}|{value}",
            "no patient of the organizations whose patients the caller can see has it; the "
            "exchange has no lookup of identifiers across organizations, so the patient may "
            "exist where the caller has no role: check the identifier, and refer to a "
            "patient of another organization by e-mail or id rather than create them again",
        )

    def find_id(self, patient_id: int) -> int:
        return self._one(
            [patient_id] if patient_id in self.live.patients else [],
            f"id {patient_id}",
            "no patient has this id on the exchange; check it",
        )

    @staticmethod
    def _one(found: list[int], what: str, advice: str) -> int:
        if len(found) == 1:
            return found[0]
        if not found:
            raise Unresolved(f"no patient with {what} was found: {advice}")
        ids = ", ".join(f"#{i}" for i in sorted(found))
        raise Unresolved(
            f"{len(found)} patients have {what} ({ids}); refer to the patient by id instead"
        )


# -- all of them ------------------------------------------------------------------------


class Finders:
    """One finder for each kind of name a spec holds, over one snapshot, each built once.

    ``resolve`` reads the spec with them, and ``export`` checks with them that what it
    writes reads back as the same object: so both build them here, the same way.
    """

    def __init__(self, live: Live) -> None:
        self.organizations = OrganizationFinder(live)
        self.scopes = ScopeFinder(live.scopes)
        self.data_sources = CatalogueFinder(
            "data source", {d.id: d.name for d in live.data_sources.values()}
        )
        self.clients = CatalogueFinder(
            "client",
            {c.id: c.name for c in live.clients.values()},
            aliases={c.id: c.client_id for c in live.clients.values()},
        )
        self.patients = PatientFinder(live)
