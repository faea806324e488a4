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
3. for each live study a spec entry may stand for, the link sets it manages (and the
   enrollments of a study that may be deleted, for the impact of deleting it);
4. a global lookup for each patient reference still unknown, so that the plan can say
   "this patient is in another organization" rather than "unknown".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from jhe_sync.errors import NotFound, PermissionDenied
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.live import Live, Patient, ScopeConsent, Study, StudyLinks
from jhe_sync.spec.models import Desired, StudySpec

log = logging.getLogger("jhe_sync.exchange")

API = "/api/v1"

LinkKind = Literal["scope", "data_source", "client", "patient"]
ALL_LINKS: tuple[LinkKind, ...] = ("scope", "data_source", "client", "patient")

LINK_RESOURCES: dict[LinkKind, str] = {
    "scope": "scope_requests",
    "data_source": "data_sources",
    "client": "clients",
    "patient": "patients",
}
"""Link kind -> sub-resource of ``/studies/{id}``."""

LINK_FIELDS: dict[LinkKind, str] = {
    "scope": "scope_ids",
    "data_source": "data_source_ids",
    "client": "client_ids",
    "patient": "patient_ids",
}
"""Link kind -> its field of ``StudyLinks``."""

SPEC_LINK_FIELDS: dict[str, LinkKind] = {
    "scope_requests": "scope",
    "data_sources": "data_source",
    "clients": "client",
    "patients": "patient",
}
"""A spec study's link list -> the link kind it manages."""

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
    path = f"{API}/studies/{study_id}/patients"
    return parse.patients(exchange.get_all(path), f"GET {path}")


def read_link_ids(exchange: Exchange, study_id: int, kind: LinkKind) -> frozenset[int]:
    """The ids of one of a study's link sets."""
    if kind == "patient":
        return frozenset(p.id for p in read_enrollments(exchange, study_id))
    resource = LINK_RESOURCES[kind]
    path = f"{API}/studies/{study_id}/{resource}"
    return parse.link_ids(exchange.get(path), resource, f"GET {path}")


def read_study(
    exchange: Exchange,
    study_id: int,
    links: Iterable[LinkKind] = ALL_LINKS,
) -> tuple[Study | None, StudyLinks]:
    """A study and the link sets asked for (the others stay None). A study the server
    answers 403 for is None, and then no link set is read."""
    found = read_study_fields(exchange, study_id)
    if found is None:
        return None, StudyLinks()
    values = {
        LINK_FIELDS[kind]: read_link_ids(exchange, study_id, kind) for kind in dict.fromkeys(links)
    }
    return found, StudyLinks(**values)


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

    for patient_id, answer in gather(parallelism, {pid: bind(one, pid) for pid in wanted}).items():
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
    managed = {name for s in present for name in SPEC_LINK_FIELDS if getattr(s, name) is not None}

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="jhe-read") as pool:
        try:
            return _read_live(exchange, desired, managed, pool)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _read_live(
    exchange: Exchange, desired: Desired, managed: set[str], pool: ThreadPoolExecutor
) -> Live:
    # 1. caller, organizations, catalogues
    first: dict[str, Future[object]] = {
        "caller": pool.submit(exchange.get, f"{API}/users/profile"),
        "organizations": pool.submit(exchange.get_all, f"{API}/organizations"),
    }
    if "scope_requests" in managed:
        first["scopes"] = pool.submit(exchange.get, f"{API}/data_sources/all_scopes")
    if "data_sources" in managed:
        first["data_sources"] = pool.submit(exchange.get_all, f"{API}/data_sources")
    if "clients" in managed:
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
    pinned_reads = {sid: bind(read_study_fields, exchange, sid) for sid in pinned}
    for pinned_study in _gather_in(pool, pinned_reads).values():
        if pinned_study is not None:
            live.studies[pinned_study.id] = pinned_study

    # 3. link sets of the studies a spec entry may stand for
    needed = _link_reads(wants, live)
    tasks = {
        (study_id, kind): bind(_read_link_set, exchange, study_id, kind)
        for study_id, kinds in sorted(needed.items())
        for kind in kinds
    }
    answers = _gather_in(pool, tasks)
    for org_id, future in patient_lists.items():
        endpoint = f"GET {API}/patients?organization_id={org_id}"
        for patient in parse.patients(future.result(), endpoint):
            live.patients[patient.id] = patient
    for study_id, kinds in needed.items():
        values: dict[str, frozenset[int]] = {}
        for kind in kinds:
            ids, enrolled = answers[(study_id, kind)]
            values[LINK_FIELDS[kind]] = ids
            for patient in enrolled:
                live.patients.setdefault(patient.id, patient)
        live.links[study_id] = StudyLinks(**values)

    # 4. patients still unknown
    lookups = _unknown_patient_reads(desired, live)
    lookup_reads = {key: bind(read, exchange) for key, read in lookups.items()}
    for found in _gather_in(pool, lookup_reads).values():
        for patient in found:
            live.patients.setdefault(patient.id, patient)
    return live


def _wants(desired: Desired, live: Live) -> _Wants:
    from jhe_sync.plan.lookup import OrganizationFinder, Unresolved

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


def _link_reads(wants: _Wants, live: Live) -> dict[int, tuple[LinkKind, ...]]:
    """Study id -> the link sets to read for it (possibly none)."""
    by_name: dict[tuple[int, str], list[int]] = {}
    for study in live.studies.values():
        by_name.setdefault((study.organization_id, study.name.strip()), []).append(study.id)

    needed: dict[int, set[LinkKind]] = {}
    for spec, org_id in wants.entries:
        for study_id in _candidates(spec, org_id, live, by_name):
            kinds = needed.setdefault(study_id, set())
            if spec.state == "present":
                kinds.update(
                    kind
                    for name, kind in SPEC_LINK_FIELDS.items()
                    if getattr(spec, name) is not None
                )
            else:
                kinds.add("patient")  # deleting it: how many patients does that touch?
    for study in live.studies.values():
        if study.organization_id in wants.prune_organizations and study.id not in needed:
            needed[study.id] = {"patient"}  # pruned unless a spec lists it: its impact
    return {sid: tuple(k for k in ALL_LINKS if k in kinds) for sid, kinds in needed.items()}


def _candidates(
    spec: StudySpec, org_id: int | None, live: Live, by_name: Mapping[tuple[int, str], list[int]]
) -> list[int]:
    """The live studies this entry may stand for, by the identity rule of the plan."""
    if spec.id is not None:
        return [spec.id] if spec.id in live.studies else []
    if org_id is None:
        return []
    named = by_name.get((org_id, spec.name.strip()), [])
    if named:
        return named
    return [sid for name in spec.previous_names for sid in by_name.get((org_id, name.strip()), [])]


def _read_link_set(
    exchange: Exchange, study_id: int, kind: LinkKind
) -> tuple[frozenset[int], list[Patient]]:
    if kind == "patient":
        enrolled = read_enrollments(exchange, study_id)
        return frozenset(p.id for p in enrolled), enrolled
    return read_link_ids(exchange, study_id, kind), []


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
                    f"email:{ref.email.strip().casefold()}", bind(_lookup_email, ref.email.strip())
                )
            elif ref.id is not None and ref.id not in live.patients:
                reads.setdefault(f"id:{ref.id}", bind(_lookup_id, ref.id))
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


def bind(function: Callable[..., T], *args: object) -> Callable[..., T]:
    """``function`` with its first arguments given (a typed partial)."""

    def bound(*more: object) -> T:
        return function(*args, *more)

    return bound


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
    wanted = sorted(set(study_ids))
    answers = gather(parallelism, {sid: bind(read_enrollments, exchange, sid) for sid in wanted})
    for study_id, enrolled in answers.items():
        links = live.links.get(study_id) or StudyLinks()
        live.links[study_id] = replace(links, patient_ids=frozenset(p.id for p in enrolled))
        for patient in enrolled:
            live.patients.setdefault(patient.id, patient)
