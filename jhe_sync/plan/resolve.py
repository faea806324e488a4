"""Resolving the spec's names to live ids, and each study entry to its live study.

``resolve`` is the last stage that may fail because of a name: everything it returns
is an id the exchange knows, so nothing unresolved reaches ``diff`` or ``apply``
(the exchange answers an unknown id with a 500, not a 4xx). Every problem is
collected and raised at once, each with the spec file and line, the field path and,
for catalogue names, the closest known names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from jhe_sync.errors import Problem, ResolveError, SourceLocation, Unresolved
from jhe_sync.identity import Finders, Match, OrganizationFinder, StudyIndex, identify
from jhe_sync.live import Live
from jhe_sync.plan.resolve_organizations import (
    ResolvedOrganization,
    planned_organization,
    resolve_organizations,
)
from jhe_sync.resources import CLIENTS, DATA_SOURCES, LINKS, PATIENTS, SCOPES, Link, LinkKind
from jhe_sync.spec.models import Desired, StudySpec

T = TypeVar("T")


class Ref(NamedTuple):
    """One resolved list item: the live id, how plans show it, its position in the spec
    list. (A named tuple: a plan of a large estate makes one per patient reference, and
    a tuple is made in a sixth of a frozen dataclass's time.)"""

    id: int
    label: str
    position: int


@dataclass(frozen=True)
class ResolvedStudy:
    """A spec entry with every name replaced by an id, and the live study it matched."""

    spec: StudySpec
    organization_id: int | None
    """The study's organization; None when the plan creates it (``organization_key``)."""
    match: Match
    refs: Mapping[LinkKind, tuple[Ref, ...]]
    """The resolved link lists the spec manages, by kind (a kind it does not manage is
    left out). Duplicates are dropped (first kept)."""
    organization_key: str = ""
    """The key of the organization entry that creates the study's organization."""

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def absent(self) -> bool:
        return self.spec.state == "absent"

    def link_refs(self, link: Link) -> tuple[Ref, ...] | None:
        """The resolved list of one kind of link; None when the spec does not manage it."""
        return self.refs.get(link.kind)

    @property
    def scopes(self) -> tuple[Ref, ...] | None:
        """``link_refs(SCOPES)``, and likewise for the other kinds below."""
        return self.link_refs(SCOPES)

    @property
    def data_sources(self) -> tuple[Ref, ...] | None:
        return self.link_refs(DATA_SOURCES)

    @property
    def clients(self) -> tuple[Ref, ...] | None:
        return self.link_refs(CLIENTS)

    @property
    def patients(self) -> tuple[Ref, ...] | None:
        return self.link_refs(PATIENTS)


@dataclass(frozen=True)
class Resolved:
    """The whole spec, resolved: what ``diff`` and the pre-flight checks work from."""

    studies: tuple[ResolvedStudy, ...]
    managed_organization_ids: frozenset[int]
    """Organizations that a study entry or an ``organizations:`` entry names."""
    pruned_organization_ids: frozenset[int]
    organization_origins: dict[int, SourceLocation | None]
    """Where each ``organizations:`` entry is written, for problems about pruning."""
    spec_digest: str = ""
    organizations: tuple[ResolvedOrganization, ...] = ()
    """The ``organizations:`` entries, resolved."""


def study_path(study: StudySpec, field: str, index: int | None = None) -> str:
    """``studies[hypertension].data_sources[1]``: how problems name a spec field."""
    item = "" if index is None else f"[{index}]"
    return f"studies[{study.key}].{field}{item}"


def resolve(desired: Desired, live: Live) -> Resolved:
    """Every name in ``desired`` as a live id; raises one ``ResolveError`` with all problems."""
    problems: list[Problem] = []
    finders = Finders(live)
    organizations = finders.organizations

    entries = resolve_organizations(desired.organizations, live, finders, problems)
    listed = {
        entry.organization_id: entry for entry in entries if entry.organization_id is not None
    }
    for org_id, entry in listed.items():
        if entry.spec.prune and org_id not in live.read_organization_ids:
            problems.append(_not_read(org_id, entry.spec.origin, f"organizations[{entry.key}]"))

    lists = _LinkLists(live, finders)
    index = StudyIndex(live)
    studies = [
        study
        for spec in desired.studies
        if (study := _resolve_study(spec, live, organizations, entries, lists, index, problems))
    ]
    problems += _claimed_twice(studies) + _links_not_read(studies, live)
    if problems:
        raise ResolveError(problems)
    study_orgs = {s.organization_id for s in studies if s.organization_id is not None}
    return Resolved(
        studies=tuple(studies),
        managed_organization_ids=frozenset(listed.keys() | study_orgs),
        pruned_organization_ids=frozenset(o for o, entry in listed.items() if entry.spec.prune),
        organization_origins={o: entry.spec.origin for o, entry in listed.items()},
        spec_digest=desired.digest,
        organizations=tuple(entries),
    )


def _resolve_study(
    spec: StudySpec,
    live: Live,
    organizations: OrganizationFinder,
    entries: list[ResolvedOrganization],
    lists: _LinkLists,
    index: StudyIndex,
    problems: list[Problem],
) -> ResolvedStudy | None:
    """One entry resolved, or None with its problems added to ``problems``.

    The link lists of a ``state: absent`` entry are not resolved: the study is deleted
    whatever they say, and what they name may be long gone.
    """
    organization_id: int | None = None
    planned: ResolvedOrganization | None = None
    try:
        organization_id = organizations.find(spec.organization)
    except Unresolved as error:
        planned = planned_organization(spec.organization, entries)
        if planned is None:
            location, path = spec.locate("organization"), study_path(spec, "organization")
            problems.append(Problem(error.message, location, path))
    present = spec.state == "present"
    hidden = (
        present
        and spec.patients is not None
        and organization_id is not None
        and not live.sees_patients_of(organization_id)
    )
    if hidden:
        assert organization_id is not None
        problems.append(_patients_hidden(spec, live, organization_id))
    refs = {
        link.kind: found
        for link in LINKS
        if present
        and not (hidden and link is PATIENTS)
        and (found := lists.resolve(spec, link, problems)) is not None
    }
    if planned is not None:
        # In an organization this plan creates: no live study can be it yet.
        return ResolvedStudy(spec, None, Match(None), refs, organization_key=planned.key)
    if organization_id is None or hidden:
        return None
    if organization_id not in live.read_organization_ids:
        problems.append(_not_read(organization_id, spec.origin, f"studies[{spec.key}]"))
        return None
    try:
        match = identify(spec, organization_id, index)
    except Unresolved as error:
        field = "id" if spec.id is not None else "name"
        problems.append(Problem(error.message, spec.locate(field), study_path(spec, field)))
        return None
    return ResolvedStudy(spec, organization_id, match, refs)


class _LinkLists:
    """Resolves a study's link lists with the snapshot's finders."""

    def __init__(self, live: Live, finders: Finders) -> None:
        self.live = live
        self.finders = finders

    def resolve(
        self, spec: StudySpec, link: Link, problems: list[Problem]
    ) -> tuple[Ref, ...] | None:
        """The resolved list of one kind of link; unknown names are added to ``problems``."""
        field = link.spec_field
        if link is SCOPES:
            return _resolve_list(spec, field, spec.scope_requests, self._scope, problems)
        if link is DATA_SOURCES:
            return _resolve_list(spec, field, spec.data_sources, self._data_source, problems)
        if link is CLIENTS:
            return _resolve_list(spec, field, spec.clients, self._client, problems)
        return self._patients(spec, problems)

    def _scope(self, ref: str) -> tuple[int, str]:
        found = self.finders.scopes.find(ref)
        return found, self.live.scopes[found].code

    def _data_source(self, ref: int | str) -> tuple[int, str]:
        found = self.finders.data_sources.find(ref)
        return found, self.live.data_sources[found].name

    def _client(self, ref: int | str) -> tuple[int, str]:
        found = self.finders.clients.find(ref)
        return found, self.live.clients[found].name

    def _patients(self, spec: StudySpec, problems: list[Problem]) -> tuple[Ref, ...] | None:
        """``_resolve_list`` for patients, with the e-mail index read inline: a large spec
        holds a quarter of a million patient references, nearly all e-mails, so the
        happy path is one lookup each. Patients are labelled as the spec wrote them,
        never from live details."""
        if spec.patients is None:
            return None
        finder = self.finders.patients
        by_email = finder.by_email
        refs: dict[int, Ref] = {}
        for position, ref in enumerate(spec.patients):
            email = ref.email
            found = by_email.get(email.strip().casefold()) if email is not None else None
            if found is not None and len(found) == 1:
                patient_id = found[0]
            else:  # an identifier or an id, or a problem to report
                try:
                    patient_id = finder.find(ref)
                except Unresolved as error:
                    location = spec.locate("patients", position)
                    path = study_path(spec, "patients", position)
                    problems.append(Problem(error.message, location, path))
                    continue
            if patient_id not in refs:
                refs[patient_id] = Ref(patient_id, ref.label, position)
        return tuple(refs.values())


def _resolve_list(
    spec: StudySpec,
    field: str,
    items: Sequence[T] | None,
    find: Callable[[T], tuple[int, str]],
    problems: list[Problem],
) -> tuple[Ref, ...] | None:
    if items is None:
        return None
    refs: dict[int, Ref] = {}
    for position, item in enumerate(items):
        try:
            found, label = find(item)
        except Unresolved as error:
            location, path = spec.locate(field, position), study_path(spec, field, position)
            problems.append(Problem(error.message, location, path))
            continue
        refs.setdefault(found, Ref(found, label, position))
    return tuple(refs.values())


def _patients_hidden(spec: StudySpec, live: Live, organization_id: int) -> Problem:
    """The caller cannot see an organization's patients, so an entry's patients can be
    neither found nor compared with who is enrolled: say why, before anything about a
    patient (a patient "not found" here may well exist, and must not be created again)."""
    organization = live.organizations.get(organization_id)
    where = f'"{organization.name}" ({organization_id})' if organization else str(organization_id)
    caller = live.caller
    if caller.is_superuser:
        who = (
            f"the caller ({caller.email}) is a superuser but not a practitioner of "
            f"organization {where}"
        )
        fix = (
            "plan the patients with the credentials of a manager or member of the "
            "organization, or leave patients out of this entry for this caller (its other "
            "changes plan and apply as a superuser)"
        )
    else:
        who = f"the caller ({caller.email}) has no role in organization {where}"
        fix = (
            "ask a manager of the organization for a role (member or manager, to apply), "
            "or run with credentials that have one"
        )
    return Problem(
        f"{who}: the exchange shows an organization's patients and its studies' "
        "enrollments only to its practitioners, so who this entry lists and who is "
        f"enrolled cannot be told, and its patients cannot be planned; {fix}",
        spec.locate("patients"),
        study_path(spec, "patients"),
    )


def _not_read(org_id: int, origin: SourceLocation | None, path: str) -> Problem:
    return Problem(
        f"the studies of organization {org_id} were not read from the exchange, so whether "
        "this exists cannot be told; this is a bug in jhe-sync's read, please report it",
        origin,
        path,
    )


def _claimed_twice(studies: list[ResolvedStudy]) -> list[Problem]:
    """Two spec entries that stand for one live study would fight over it."""
    owners: dict[int, ResolvedStudy] = {}
    problems = []
    for study in studies:
        live = study.match.study
        if live is None:
            continue
        first = owners.setdefault(live.id, study)
        if first is not study:
            problems.append(
                Problem(
                    f"this entry and studies[{first.key}] both stand for live study {live.id} "
                    f'("{live.name}"); keep one entry per study',
                    study.spec.origin,
                    f"studies[{study.key}]",
                )
            )
    return problems


def _links_not_read(studies: list[ResolvedStudy], live: Live) -> list[Problem]:
    """A managed link set that the read left out would look empty and be re-added (a 500)."""
    problems = []
    for study in studies:
        matched = study.match.study
        if matched is None or study.absent:
            continue
        links = live.links.get(matched.id)
        for link in LINKS:
            if study.link_refs(link) is None:
                continue
            if links is None or getattr(links, link.live_field) is None:
                field = link.spec_field
                problems.append(
                    Problem(
                        f"the {field} of live study {matched.id} were not read from the exchange; "
                        "this is a bug in jhe-sync's read, please report it",
                        study.spec.locate(field),
                        study_path(study.spec, field),
                    )
                )
    return problems


def live_link_set(live: Live, study_id: int, link: Link) -> frozenset[int] | None:
    """The live ids of one link set of a study (None when the read left it out)."""
    links = live.links.get(study_id)
    found: frozenset[int] | None = None if links is None else getattr(links, link.live_field)
    return found
