"""Single-resource reads: one study, one of its link sets, one organization's studies.

Each is one request (pages of enrollments aside) and answers parsed values. They are
what the snapshot (``jhe_sync.snapshot``) is read with, and what apply reads back
after a failed write to see whether it happened.
"""

from __future__ import annotations

from jhe_sync.errors import PermissionDenied
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.live import Patient, Study
from jhe_sync.resources import API, PATIENTS, LinkKind, link


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


def read_organization_studies(exchange: Exchange, organization_id: int) -> list[Study]:
    """Every study of one organization, in one request.

    ``/organizations/{id}/studies`` rather than ``/studies?organization_id=``: it is one
    bare list however many studies there are (no pages), it lists the studies for a
    superuser too (``/studies`` shows a superuser none, so a plan would create
    duplicates of every study), and it does not store the organization in the caller's
    settings as a side effect (FINDINGS: "Side effects of GET")."""
    path = f"{API}/organizations/{organization_id}/studies"
    return parse.studies(exchange.get(path), f"GET {path}")
