"""Single-resource reads: the caller, a catalogue, one study, one of its link sets, an
organization's studies or patients, one patient and their consents.

Each is one request (pages of long lists aside) and answers parsed values: every path
the client reads is written here once. They are what the snapshot
(``jhe_sync.snapshot``) is read with, what apply reads back with after a failed write,
and what the lifecycle commands read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jhe_sync.errors import NotFound, PermissionDenied
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.live import (
    Caller,
    Client,
    DataSource,
    Organization,
    Patient,
    PractitionerRole,
    ScopeCode,
    ScopeConsent,
    Study,
    User,
)
from jhe_sync.resources import API, PATIENTS, LinkKind, link

log = logging.getLogger("jhe_sync.exchange")


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
    return read_link_answer(exchange, study_id, kind).ids


@dataclass(frozen=True)
class LinkAnswer:
    """One answer of ``/studies/{id}/<resource>`` (not enrollments): the linked ids, and
    the ids of the study's enrolled patients that the answer nests (None when it nests
    none: an empty answer)."""

    ids: frozenset[int]
    enrolled: frozenset[int] | None


def read_link_answer(exchange: Exchange, study_id: int, kind: LinkKind) -> LinkAnswer:
    """The ids of one of a study's link sets (scope requests, data sources or clients),
    with the enrolled patient ids its answer nests."""
    wanted = link(kind)
    assert not wanted.enrollment, "enrollments are read with read_enrollments"
    path = f"{API}/studies/{study_id}/{wanted.resource}"
    endpoint = f"GET {path}"
    data = exchange.get(path)
    return LinkAnswer(
        parse.link_ids(data, wanted.resource, endpoint), parse.nested_enrollment(data, endpoint)
    )


def read_organization_studies(exchange: Exchange, organization_id: int) -> list[Study]:
    """Every study of one organization, in one request.

    ``/organizations/{id}/studies`` rather than ``/studies?organization_id=``: it is one
    bare list however many studies there are (no pages), it lists the studies for a
    superuser too (``/studies`` shows a superuser none, so a plan would create
    duplicates of every study), and it does not store the organization in the caller's
    settings as a side effect (FINDINGS: "Side effects of GET")."""
    path = f"{API}/organizations/{organization_id}/studies"
    return parse.studies(exchange.get(path), f"GET {path}")


def read_caller(exchange: Exchange) -> Caller:
    """Who the credentials act as (``GET /users/profile``)."""
    path = f"{API}/users/profile"
    return parse.caller(exchange.get(path), f"GET {path}")


def read_practitioner_organizations(exchange: Exchange) -> frozenset[int]:
    """The organizations the caller is a practitioner of (``GET /users/organizations``, a
    bare list; its ``currentUserRole`` is always null, 013)."""
    path = f"{API}/users/organizations"
    return frozenset(parse.organizations(exchange.get(path), f"GET {path}"))


def read_organizations(exchange: Exchange) -> dict[int, Organization]:
    """Every organization, each with the caller's role in it."""
    path = f"{API}/organizations"
    return parse.organizations(exchange.get_all(path), f"GET {path}")


def read_organization(exchange: Exchange, organization_id: int) -> Organization | None:
    """One organization, or None when the server says 404 (it does not exist)."""
    path = f"{API}/organizations/{organization_id}"
    try:
        return parse.organization(exchange.get(path), f"GET {path}")
    except NotFound:
        return None


def read_child_organizations(exchange: Exchange, organization_id: int) -> dict[int, Organization]:
    """The organizations directly under one (``?part_of=``, paginated)."""
    path = f"{API}/organizations"
    items = exchange.get_all(path, {"part_of": organization_id})
    return parse.organizations(items, f"GET {path}?part_of={organization_id}")


def read_organization_types(exchange: Exchange) -> dict[str, str]:
    """The organization types, key -> label (one object)."""
    path = f"{API}/organizations/types"
    return parse.organization_types(exchange.get(path), f"GET {path}")


def read_organization_roles(
    exchange: Exchange, organization_id: int
) -> tuple[PractitionerRole, ...]:
    """The practitioners of one organization with their roles (one bare list). Accounts
    the API created are never in it (FINDINGS: their ``userType`` is null)."""
    path = f"{API}/organizations/{organization_id}/users"
    return parse.roles(exchange.get(path), f"GET {path}")


def lookup_user(exchange: Exchange, email: str) -> User | None:
    """The account with this e-mail (``GET /users?email=``, an exact match), or None."""
    path = f"{API}/users"
    found = [
        parse.user(raw, f"GET {path}?email=") for raw in exchange.get_all(path, {"email": email})
    ]
    wanted = email.strip().casefold()
    return next((u for u in found if u.email.strip().casefold() == wanted), None)


def read_scopes(exchange: Exchange) -> dict[int, ScopeCode]:
    """The scope catalogue (one bare list)."""
    path = f"{API}/data_sources/all_scopes"
    return parse.scopes(exchange.get(path), f"GET {path}")


def read_data_sources(exchange: Exchange) -> dict[int, DataSource]:
    """The data sources, with the scopes each supports."""
    path = f"{API}/data_sources"
    return parse.data_sources(exchange.get_all(path), f"GET {path}")


def read_clients(exchange: Exchange) -> dict[int, Client]:
    """The client catalogue (patient-facing apps)."""
    path = f"{API}/clients"
    return parse.clients(exchange.get_all(path), f"GET {path}")


def read_visible_studies(exchange: Exchange) -> list[Study]:
    """``GET /studies``: the studies of every organization the caller belongs to (none
    for a superuser, see ``read_organization_studies``)."""
    path = f"{API}/studies"
    return parse.studies(exchange.get_all(path), f"GET {path}")


def read_organization_patients(exchange: Exchange, organization_id: int) -> list[Patient]:
    """The patients of one organization."""
    path = f"{API}/patients"
    items = exchange.get_all(path, {"organization_id": organization_id})
    return parse.patients(items, f"GET {path}?organization_id={organization_id}")


def lookup_patients(exchange: Exchange, email: str) -> list[Patient]:
    """The patients with this e-mail in any organization (``global_lookup``)."""
    path = f"{API}/patients/global_lookup"
    return parse.patients(exchange.get(path, {"email": email}), f"GET {path}")


def read_patient(exchange: Exchange, patient_id: int) -> Patient | None:
    """One patient, or None when the server says 404 or 403 (not one the caller sees)."""
    path = f"{API}/patients/{patient_id}"
    try:
        return parse.patient(exchange.get(path), f"GET {path}")
    except (NotFound, PermissionDenied):
        return None


def read_patient_consents(
    exchange: Exchange, patient_id: int
) -> tuple[Patient | None, tuple[ScopeConsent, ...]] | None:
    """One patient's consent answers, with the patient the answer names; None when the
    caller may not read them (403: not in the caller's organizations, or 404)."""
    path = f"{API}/patients/{patient_id}/consents"
    try:
        data = exchange.get(path)
    except (PermissionDenied, NotFound) as error:
        log.debug("consents of patient %d not readable: %s", patient_id, error.reason)
        return None
    endpoint = f"GET {path}"
    holder = data.get("patient") if isinstance(data, dict) else None
    return (parse.patient(holder, endpoint) if holder else None), parse.consents(data, endpoint)
