"""Reading the live exchange: the snapshot a plan is made from, and the smaller reads
apply needs to check what a failed write did.

``read_live`` reads only what the spec needs. The real server needs one read per link
set per study (``GET /studies`` returns no links), so on an estate of hundreds of
studies almost all the time is those reads: they run concurrently, ``parallelism`` at
a time, and a set the spec does not manage for a study is not read at all.

The order is fixed by what each read needs to know:

1. who the caller is, the organizations (with the caller's role) and the catalogues
   the spec refers to (scopes, data sources, clients), all at once;
2. the studies of each organization the spec touches, and the patients of each
   organization whose studies list patients;
3. for the live study each spec entry stands for (by the plan's own identity rule,
   ``plan.identity.identify``), the link sets it manages (and the enrollments of a
   study that may be deleted, for the impact of deleting it);
4. a global lookup for each patient reference still unknown, so that the plan can say
   "this patient is in another organization" rather than "unknown".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from jhe_sync.errors import NotFound, PermissionDenied
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.live import Live, Patient, ScopeConsent, Study, StudyLinks
from jhe_sync.links import CLIENTS, DATA_SOURCES, LINKS, PATIENTS, SCOPES, Link, LinkKind, link
from jhe_sync.plan.identity import StudyIndex, identify
from jhe_sync.plan.lookup import OrganizationFinder, Unresolved
from jhe_sync.spec.models import Desired, StudySpec

log = logging.getLogger("jhe_sync.exchange")

API = "/api/v1"

LINK_FIELDS: dict[LinkKind, str] = {each.kind: each.live_field for each in LINKS}
"""Link kind -> its field of ``StudyLinks`` (``lifecycle.export`` reads it; new code
takes ``jhe_sync.links.link(kind).live_field``)."""

bind = partial
"""``functools.partial``, under the name ``lifecycle.export`` and
``lifecycle.observations`` still import it by."""

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


# -- small reads ---------------------------------------------------------------------


def read_study_fields(exchange: Exchange, study_id: int) -> Study | None:
    """One study, or None when the server says 403 (it answers 403, never 404, for a
    study that does not exist, was deleted, or that the caller may not see)."""
    path = f"{API}/studies/{study_id}"
    try:
        return parse.study(exchange.get(path), f"GET {path}")
    except PermissionDenied:
        return None


def read_enrollments(exchange: Exchange, study_id: int) -> list[Patient]:
    """The patients enrolled in a study (a paginated list, unlike the other link sets)."""
    path = f"{API}/studies/{study_id}/{PATIENTS.resource}"
    return parse.patients(exchange.get_all(path), f"GET {path}")


def read_link_ids(exchange: Exchange, study_id: int, kind: LinkKind) -> frozenset[int]:
    """The ids of one of a study's link sets."""
    wanted = link(kind)
    if wanted.enrollment:
        return frozenset(p.id for p in read_enrollments(exchange, study_id))
    path = f"{API}/studies/{study_id}/{wanted.resource}"
    return parse.link_ids(exchange.get(path), wanted.resource, f"GET {path}")


@dataclass(frozen=True)
class LinkSets:
    """What ``read_link_sets`` read: each study's link sets (None where not asked for),
    and the patients enrolled in each study whose enrollments were read (their ``GET``
    answers the patients whole)."""

    links: dict[int, StudyLinks] = field(default_factory=dict)
    enrolled: dict[int, tuple[Patient, ...]] = field(default_factory=dict)

    def add_to(self, live: Live) -> None:
        """Put the sets read into ``live.links`` (a set not read keeps what ``live`` had)
        and the enrolled patients into ``live.patients`` (a patient held stays as held)."""
        for study_id, read in self.links.items():
            known = live.links.get(study_id) or StudyLinks()
            values = {each.live_field: getattr(read, each.live_field) for each in LINKS}
            live.links[study_id] = replace(
                known, **{name: ids for name, ids in values.items() if ids is not None}
            )
        for patients in self.enrolled.values():
            for patient in patients:
                live.patients.setdefault(patient.id, patient)


def read_link_sets(
    exchange: Exchange,
    wanted: Mapping[int, Iterable[Link]],
    parallelism: int = 8,
    *,
    pool: ThreadPoolExecutor | None = None,
) -> LinkSets:
    """The link sets asked for of each study: one request per set (pages of enrollments
    aside), ``parallelism`` at a time, or on ``pool`` when the caller shares one between
    all its reads (the snapshot does, to keep one bound)."""
    kinds = {study_id: tuple(dict.fromkeys(links)) for study_id, links in wanted.items()}
    tasks = {
        (study_id, each.kind): partial(_read_link_set, exchange, study_id, each)
        for study_id, links in sorted(kinds.items())
        for each in links
    }
    answers = _gather_in(pool, tasks) if pool is not None else gather(parallelism, tasks)
    found = LinkSets()
    for study_id, links in kinds.items():
        values: dict[str, frozenset[int]] = {}
        for each in links:
            ids, enrolled = answers[(study_id, each.kind)]
            values[each.live_field] = ids
            if each.enrollment:
                found.enrolled[study_id] = tuple(enrolled)
        found.links[study_id] = StudyLinks(**values)
    return found


def _read_link_set(
    exchange: Exchange, study_id: int, wanted: Link
) -> tuple[frozenset[int], list[Patient]]:
    if wanted.enrollment:
        enrolled = read_enrollments(exchange, study_id)
        return frozenset(p.id for p in enrolled), enrolled
    return read_link_ids(exchange, study_id, wanted.kind), []


def read_organization_studies(exchange: Exchange, organization_id: int) -> list[Study]:
    """Every study of one organization, in one request.

    ``/organizations/{id}/studies`` rather than ``/studies?organization_id=``: it is one
    bare list however many studies there are (no pages), it lists the studies for a
    superuser too (``/studies`` shows a superuser none, so a plan would create
    duplicates of every study), and it does not store the organization in the caller's
    settings as a side effect (FINDINGS: "Side effects of GET")."""
    path = f"{API}/organizations/{organization_id}/studies"
    return parse.studies(exchange.get(path), f"GET {path}")


def read_consents(
    exchange: Exchange,
    live: Live,
    patient_ids: Iterable[int],
    parallelism: int = 8,
) -> None:
    """Fill ``live.consents`` for these patients (for the impact of destructive changes).

    A patient whose consents the caller may not read (403: not in the caller's
    organizations) is left out rather than shown as having none.
    """
    wanted = sorted(set(patient_ids) - set(live.consents))

    def one(patient_id: int) -> tuple[Patient | None, tuple[ScopeConsent, ...]] | None:
        path = f"{API}/patients/{patient_id}/consents"
        try:
            data = exchange.get(path)
        except (PermissionDenied, NotFound) as error:
            log.debug("consents of patient %d not readable: %s", patient_id, error.reason)
            return None
        endpoint = f"GET {path}"
        holder = data.get("patient") if isinstance(data, dict) else None
        return (parse.patient(holder, endpoint) if holder else None), parse.consents(data, endpoint)

    answers = gather(parallelism, {pid: partial(one, pid) for pid in wanted})
    for patient_id, answer in answers.items():
        if answer is None:
            continue
        holder, consents = answer
        live.consents[patient_id] = consents
        if holder is not None and holder.id not in live.patients:
            live.patients[holder.id] = holder


# -- the snapshot --------------------------------------------------------------------


@dataclass
class _Wants:
    """What the spec needs read, worked out from the spec and the organization list."""

    organizations: set[int] = field(default_factory=set)
    """Organizations whose studies are listed."""
    patient_organizations: set[int] = field(default_factory=set)
    """Organizations whose patients are listed (their studies list patients)."""
    prune_organizations: set[int] = field(default_factory=set)
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
    first: dict[str, Future[object]] = {
        "caller": pool.submit(exchange.get, f"{API}/users/profile"),
        "organizations": pool.submit(exchange.get_all, f"{API}/organizations"),
    }
    if SCOPES in managed:
        first["scopes"] = pool.submit(exchange.get, f"{API}/data_sources/all_scopes")
    if DATA_SOURCES in managed:
        first["data_sources"] = pool.submit(exchange.get_all, f"{API}/data_sources")
    if CLIENTS in managed:
        first["clients"] = pool.submit(exchange.get_all, f"{API}/clients")
    live = Live(
        caller=parse.caller(first["caller"].result(), f"GET {API}/users/profile"),
        organizations=parse.organizations(
            first["organizations"].result(), f"GET {API}/organizations"
        ),
    )
    wants = _wants(desired, live)

    # 2. studies of the touched organizations, patients of the organizations that enroll
    # (results are collected late, so that later reads are queued without waiting)
    study_lists = {
        org_id: pool.submit(read_organization_studies, exchange, org_id)
        for org_id in sorted(wants.organizations)
    }
    patient_lists = {
        org_id: pool.submit(exchange.get_all, f"{API}/patients", {"organization_id": org_id})
        for org_id in sorted(wants.patient_organizations)
    }
    if "scopes" in first:
        live.scopes = parse.scopes(first["scopes"].result(), f"GET {API}/data_sources/all_scopes")
    if "data_sources" in first:
        live.data_sources = parse.data_sources(
            first["data_sources"].result(), f"GET {API}/data_sources"
        )
    if "clients" in first:
        live.clients = parse.clients(first["clients"].result(), f"GET {API}/clients")
    for future in study_lists.values():
        for study in future.result():
            live.studies[study.id] = study
    live.read_organization_ids = frozenset(study_lists)
    pinned = sorted({s.id for s, _ in wants.entries if s.id is not None} - set(live.studies))
    pinned_reads = {sid: partial(read_study_fields, exchange, sid) for sid in pinned}
    for pinned_study in _gather_in(pool, pinned_reads).values():
        if pinned_study is not None:
            live.studies[pinned_study.id] = pinned_study

    # 3. link sets of the studies a spec entry may stand for
    link_sets = read_link_sets(exchange, _link_reads(wants, live), pool=pool)
    for org_id, future in patient_lists.items():
        endpoint = f"GET {API}/patients?organization_id={org_id}"
        for patient in parse.patients(future.result(), endpoint):
            live.patients[patient.id] = patient
    link_sets.add_to(live)

    # 4. patients still unknown
    lookups = _unknown_patient_reads(desired, live)
    lookup_reads = {key: partial(read, exchange) for key, read in lookups.items()}
    for found in _gather_in(pool, lookup_reads).values():
        for patient in found:
            live.patients.setdefault(patient.id, patient)
    return live


def _wants(desired: Desired, live: Live) -> _Wants:
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
    for settings in desired.organizations:
        org_id = resolve(settings.organization)
        if org_id is None:
            continue
        wants.organizations.add(org_id)
        if settings.prune:
            wants.prune_organizations.add(org_id)
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
    return {sid: tuple(each for each in LINKS if each in sets) for sid, sets in needed.items()}


def _matched(spec: StudySpec, org_id: int | None, index: StudyIndex) -> Study | None:
    """The live study this entry stands for, by the plan's identity rule. None also when
    the rule finds two: the plan stops at that entry, so its links are not needed."""
    try:
        return identify(spec, org_id, index).study
    except Unresolved:
        return None


def _unknown_patient_reads(
    desired: Desired, live: Live
) -> dict[str, Callable[[Exchange], list[Patient]]]:
    emails = {p.email.strip().casefold() for p in live.patients.values() if p.email}
    reads: dict[str, Callable[[Exchange], list[Patient]]] = {}
    for spec in desired.studies:
        if spec.state != "present" or not spec.patients:
            continue
        for ref in spec.patients:
            if ref.email is not None and ref.email.strip().casefold() not in emails:
                reads.setdefault(
                    f"email:{ref.email.strip().casefold()}",
                    partial(_lookup_email, ref.email.strip()),
                )
            elif ref.id is not None and ref.id not in live.patients:
                reads.setdefault(f"id:{ref.id}", partial(_lookup_id, ref.id))
    return reads


def _lookup_email(email: str, exchange: Exchange) -> list[Patient]:
    path = f"{API}/patients/global_lookup"
    data = exchange.get(path, {"email": email})
    return parse.patients(data, f"GET {path}")


def _lookup_id(patient_id: int, exchange: Exchange) -> list[Patient]:
    path = f"{API}/patients/{patient_id}"
    try:
        return [parse.patient(exchange.get(path), f"GET {path}")]
    except (NotFound, PermissionDenied):
        return []


# -- concurrency helpers -----------------------------------------------------------------


def _gather_in(pool: ThreadPoolExecutor, tasks: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    futures = {key: pool.submit(task) for key, task in tasks.items()}
    return {key: future.result() for key, future in futures.items()}


def gather(parallelism: int, tasks: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Run the tasks ``parallelism`` at a time; their results by key (the first error raises)."""
    if not tasks:
        return {}
    if parallelism <= 1 or len(tasks) == 1:
        return {key: task() for key, task in tasks.items()}
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="jhe-read") as pool:
        try:
            return _gather_in(pool, tasks)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def read_enrollment_sets(
    exchange: Exchange, live: Live, study_ids: Iterable[int], parallelism: int = 8
) -> None:
    """Add the enrolled patients of these studies to ``live`` (``links[id].patient_ids``
    and ``patients``): what the impact of deleting a study needs when the snapshot did
    not read them."""
    wanted = {study_id: (PATIENTS,) for study_id in sorted(set(study_ids))}
    read_link_sets(exchange, wanted, parallelism).add_to(live)
