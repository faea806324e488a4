"""``read_live``: the snapshot of the exchange that a spec needs, and nothing more.

The real server needs one read per link set per study (``GET /studies`` returns no
links), so on an estate of hundreds of studies almost all the time is those reads:
they run concurrently, ``parallelism`` at a time, and a set the spec does not manage
for a study is not read at all.

The order is fixed by what each read needs to know:

1. who the caller is, the organizations (with the caller's role) and the catalogues
   the spec refers to (scopes, data sources, clients, organization types), all at once;
   for a superuser when the spec lists patients, the organizations it is a practitioner
   of (the only ones whose patients the exchange shows it);
2. the studies of each organization the spec touches, the patients of each
   organization whose studies or entry list patients, the practitioners' roles of each
   organization whose entry lists practitioners (and all three for every organization
   an entry deletes, with those under it: ``organizations.py``);
3. for the live study each spec entry stands for (by the plan's own identity rule,
   ``jhe_sync.identity.identify``), the link sets it manages (and the enrollments of
   a study that may be deleted, for the impact of deleting it). Enrollments come as
   the patient ids the other link answers nest; only a study whose answers were all
   empty has them read, in a second round (DESIGN.md, "What a plan costs");
4. a global lookup for each patient reference still unknown, so that the plan can say
   "this patient is in another organization" rather than "unknown", and a lookup by
   e-mail of each practitioner that no organization's list shows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from jhe_sync.errors import Unresolved
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather_in
from jhe_sync.exchange.read import (
    lookup_patients,
    read_caller,
    read_clients,
    read_data_sources,
    read_organization_patients,
    read_organization_roles,
    read_organization_studies,
    read_organization_types,
    read_organizations,
    read_patient,
    read_practitioner_organizations,
    read_scopes,
    read_study_fields,
)
from jhe_sync.identity import OrganizationFinder, StudyIndex, identify
from jhe_sync.identity.lookup import ROOT_ORGANIZATION_TYPE
from jhe_sync.identity.organization import OrganizationMatch
from jhe_sync.live import Live, Patient, Study
from jhe_sync.resources import CLIENTS, DATA_SOURCES, LINKS, PATIENTS, SCOPES, Link
from jhe_sync.snapshot.links import read_link_sets
from jhe_sync.snapshot.organizations import (
    listed_users,
    organization_matches,
    organization_reads,
    types_needed,
    user_lookups,
)
from jhe_sync.spec.models import Desired, PatientReference, StudySpec


@dataclass
class _Wants:
    """What the spec needs read, worked out from the spec and the organization list."""

    organizations: set[int] = field(default_factory=set)
    """Organizations whose studies are listed."""
    patient_organizations: set[int] = field(default_factory=set)
    """Organizations whose patients are listed (their studies list patients)."""
    prune_organizations: set[int] = field(default_factory=set)
    role_organizations: set[int] = field(default_factory=set)
    """Organizations whose practitioners' roles are listed."""
    doomed_organizations: set[int] = field(default_factory=set)
    """Organizations an entry may delete: their studies' enrollments are read."""
    entries: list[tuple[StudySpec, int | None]] = field(default_factory=list)
    """Each spec study with its organization id (None: unknown or ambiguous)."""


def read_live(exchange: Exchange, desired: Desired, parallelism: int = 8) -> Live:
    """The snapshot of the exchange that ``desired`` needs, read concurrently."""
    present = [s for s in desired.studies if s.state == "present"]
    managed = {each for s in present for each in LINKS if getattr(s, each.spec_field) is not None}

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="jhe-read") as pool:
        try:
            return _read_live(exchange, desired, managed, pool)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _read_live(
    exchange: Exchange, desired: Desired, managed: set[Link], pool: ThreadPoolExecutor
) -> Live:
    # 1. caller, organizations, catalogues
    caller = pool.submit(read_caller, exchange)
    organizations = pool.submit(read_organizations, exchange)
    scopes = pool.submit(read_scopes, exchange) if SCOPES in managed else None
    data_sources = pool.submit(read_data_sources, exchange) if DATA_SOURCES in managed else None
    clients = pool.submit(read_clients, exchange) if CLIENTS in managed else None
    types = pool.submit(read_organization_types, exchange) if types_needed(desired) else None
    who = caller.result()
    if who.is_superuser and PATIENTS in managed:
        # The exchange shows a superuser every organization (role super_user) but the
        # patients and enrollments only of those it is a practitioner of (one read).
        who = replace(who, practitioner_of=read_practitioner_organizations(exchange))
    live = Live(caller=who, organizations=organizations.result(), exchange=exchange.name)
    matches = organization_matches(desired, live)
    wants = _wants(desired, live, matches)

    # 2. studies of the touched organizations, patients of the organizations that enroll
    # (results are collected late, so that later reads are queued without waiting)
    study_lists = {
        org_id: pool.submit(read_organization_studies, exchange, org_id)
        for org_id in sorted(wants.organizations)
    }
    patient_lists = {
        org_id: pool.submit(read_organization_patients, exchange, org_id)
        for org_id in sorted(wants.patient_organizations)
    }
    role_lists = {
        org_id: pool.submit(read_organization_roles, exchange, org_id)
        for org_id in sorted(wants.role_organizations)
    }
    live = replace(
        live,
        scopes=scopes.result() if scopes is not None else {},
        data_sources=data_sources.result() if data_sources is not None else {},
        clients=clients.result() if clients is not None else {},
        organization_types=types.result() if types is not None else {},
    )
    studies: dict[int, Study] = {}
    for listed in study_lists.values():
        for study in listed.result():
            studies[study.id] = study
    pinned = sorted({s.id for s, _ in wants.entries if s.id is not None} - set(studies))
    pinned_reads = {sid: partial(read_study_fields, exchange, sid) for sid in pinned}
    for pinned_study in gather_in(pool, pinned_reads).values():
        if pinned_study is not None:
            studies[pinned_study.id] = pinned_study
    live = replace(live, studies=studies, read_organization_ids=frozenset(study_lists))

    # 3. link sets of the studies a spec entry may stand for
    # (enrolled ids nested in the other answers suffice for a study whose organization's
    # patients are read: the patients themselves are in that list)
    members_held = {
        study.id
        for study in live.studies.values()
        if study.organization_id in wants.patient_organizations
    }
    link_sets = read_link_sets(
        exchange, _link_reads(wants, live), pool=pool, enrolled_ids_only=members_held
    )
    lists = {org_id: listed.result() for org_id, listed in patient_lists.items()}
    members = {p.id: p for listed in lists.values() for p in listed}
    member_ids = {org_id: frozenset(p.id for p in listed) for org_id, listed in lists.items()}
    roles = {org_id: listed.result() for org_id, listed in role_lists.items()}
    live = link_sets.added_to(
        replace(live, patients=members, organization_patient_ids=member_ids, roles=roles)
    )

    # 4. patients and practitioners still unknown
    # (submitted together, so that neither kind waits for the other)
    user_reads = {
        email: pool.submit(read)
        for email, read in user_lookups(exchange, matches, live, roles).items()
    }
    lookups = _unknown_patient_reads(exchange, desired, live)
    patients = dict(live.patients)
    for found in gather_in(pool, lookups).values():
        for known in found:
            patients.setdefault(known.id, known)
    users = listed_users(roles, live) | {email: read.result() for email, read in user_reads.items()}
    return replace(live, patients=patients, users=users)


def _wants(desired: Desired, live: Live, matches: list[OrganizationMatch]) -> _Wants:
    finder = OrganizationFinder(live)

    def resolve(ref: int | str) -> int | None:
        # An unknown or ambiguous organization is the resolver's to report; nothing is
        # read for it here.
        try:
            return finder.find(ref)
        except Unresolved:
            return None

    wants = _Wants()
    for spec in desired.studies:
        org_id = resolve(spec.organization)
        wants.entries.append((spec, org_id))
        if org_id is None:
            continue
        wants.organizations.add(org_id)
        if spec.state == "present" and spec.patients is not None:
            wants.patient_organizations.add(org_id)
    for match in matches:
        if match.organization is not None and match.entry.prune:
            wants.prune_organizations.add(match.organization.id)
    reads = organization_reads(matches, live)
    wants.organizations |= reads.studies
    wants.patient_organizations |= reads.patients
    wants.role_organizations |= reads.roles
    wants.doomed_organizations |= reads.doomed
    # Every organization the caller may write in, mentioned or not (one read each): a
    # study whose entry went with its organization (a site dropped from a for_each)
    # would otherwise be forgotten, and a plan would say nothing is left to do.
    wants.organizations |= {
        org.id
        for org in live.organizations.values()
        if org.type != ROOT_ORGANIZATION_TYPE and live.can_write(org.id)
    }
    return wants


def _link_reads(wants: _Wants, live: Live) -> dict[int, tuple[Link, ...]]:
    """Study id -> the link sets to read for it (possibly none)."""
    index = StudyIndex(live)
    needed: dict[int, set[Link]] = {}
    for spec, org_id in wants.entries:
        matched = _matched(spec, org_id, index)
        if matched is not None:
            sets = needed.setdefault(matched.id, set())
            if spec.state == "present":
                sets.update(each for each in LINKS if getattr(spec, each.spec_field) is not None)
            else:
                sets.add(PATIENTS)  # deleting it: how many patients does that touch?
    for study in live.studies.values():
        if study.organization_id in wants.prune_organizations and study.id not in needed:
            needed[study.id] = {PATIENTS}  # pruned unless a spec lists it: its impact
        if study.organization_id in wants.doomed_organizations:
            needed.setdefault(study.id, set()).add(PATIENTS)  # deleted with its organization
    return {sid: tuple(each for each in LINKS if each in sets) for sid, sets in needed.items()}


def _matched(spec: StudySpec, org_id: int | None, index: StudyIndex) -> Study | None:
    """The live study this entry stands for, by the plan's identity rule. None also when
    the rule finds two: the plan stops at that entry, so its links are not needed."""
    try:
        return identify(spec, org_id, index).study
    except Unresolved:
        return None


def _unknown_patient_reads(
    exchange: Exchange, desired: Desired, live: Live
) -> dict[str, Callable[[], list[Patient]]]:
    emails = {p.email.strip().casefold() for p in live.patients.values() if p.email}
    reads: dict[str, Callable[[], list[Patient]]] = {}
    for ref in _patient_refs(desired):
        if ref.email is not None and ref.email.strip().casefold() not in emails:
            reads.setdefault(
                f"email:{ref.email.strip().casefold()}",
                partial(lookup_patients, exchange, ref.email.strip()),
            )
        elif ref.id is not None and ref.id not in live.patients:
            reads.setdefault(f"id:{ref.id}", partial(_patient_by_id, exchange, ref.id))
    return reads


def _patient_refs(desired: Desired) -> list[PatientReference]:
    """The patients the present entries list: studies' enrollments, organizations' members."""
    studies = [s for s in desired.studies if s.state == "present"]
    entries = [e for e in desired.organizations if e.state == "present"]
    refs = [ref for study in studies for ref in study.patients or ()]
    return refs + [ref for entry in entries for ref in entry.patients or ()]


def _patient_by_id(exchange: Exchange, patient_id: int) -> list[Patient]:
    found = read_patient(exchange, patient_id)
    return [found] if found is not None else []


def read_access(exchange: Exchange) -> Live:
    """Who the credentials act as and their role in each organization (two requests):
    what telling whether they may apply a saved plan needs, without reading the rest."""
    return Live(
        caller=read_caller(exchange),
        organizations=read_organizations(exchange),
        exchange=exchange.name,
    )
