"""``read_estate``: every study the caller can see (or a selection of them), with all
their link sets and the catalogue their names come from, for ``export``.

Reads, for N studies (pages of long lists aside): the organizations, the scope
catalogue, the data sources, the clients and ``GET /studies`` (every study of every
organization the caller belongs to) at once; then per study its scope requests, data
sources and clients, and its enrolled patients unless ``include_patients`` is false:
5 + 4N requests (5 + 3N without patients), ``parallelism`` at a time. Each organization
``organizations`` selects adds its practitioners' roles and (unless
``include_patients`` is false) its patients: 2 requests each (1 without patients), and
the caller's profile once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from jhe_sync.errors import ConfigError, Unresolved
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import (
    read_caller,
    read_organization_patients,
    read_organization_roles,
)
from jhe_sync.identity import OrganizationFinder
from jhe_sync.live import Live, Study
from jhe_sync.resources import CLIENTS, DATA_SOURCES, PATIENTS, SCOPES, Link
from jhe_sync.snapshot.links import read_link_sets
from jhe_sync.snapshot.parts import read_parts

_CATALOGUE_LINKS: tuple[Link, ...] = (SCOPES, DATA_SOURCES, CLIENTS)


def read_estate(
    exchange: Exchange,
    organizations: Sequence[str | int] = (),
    study_ids: Sequence[int] = (),
    include_patients: bool = True,
    parallelism: int = 8,
) -> Live:
    """A snapshot of the selected studies with all their link sets (enrollments too,
    unless ``include_patients`` is false) and the catalogue their names come from.

    Without filters, every study of every organization the caller belongs to;
    ``organizations`` (ids, names or paths) and ``study_ids`` select studies, and a
    study is selected when either selects it. An organization ``organizations``
    selects also has its practitioners' roles read (``live.roles``), and its patients
    unless ``include_patients`` is false. Raises ``ConfigError`` for an organization
    reference that names none, or a study id the caller cannot see.
    """
    live = read_parts(
        exchange, ("organizations", "scopes", "data_sources", "clients", "studies"), parallelism
    )
    chosen = _organizations(live, organizations)
    selected = _selected(live, chosen, study_ids, bool(organizations))
    live = replace(
        live,
        studies={study.id: study for study in selected},
        read_organization_ids=frozenset(study.organization_id for study in selected),
    )
    links = (*_CATALOGUE_LINKS, PATIENTS) if include_patients else _CATALOGUE_LINKS
    live = read_link_sets(exchange, {study.id: links for study in selected}, parallelism).added_to(
        live
    )
    return _with_members(exchange, live, chosen, include_patients, parallelism)


def _organizations(live: Live, organizations: Sequence[str | int]) -> list[int]:
    finder = OrganizationFinder(live)
    wanted: list[int] = []
    for ref in organizations:
        try:
            found = finder.find(ref)
        except Unresolved as error:
            raise ConfigError(f"--organization {ref!r}: {error.message}") from None
        if found not in wanted:
            wanted.append(found)
    return wanted


def _with_members(
    exchange: Exchange,
    live: Live,
    organizations: Sequence[int],
    include_patients: bool,
    parallelism: int,
) -> Live:
    """``live`` with the roles (and patients) of the chosen organizations, and the caller
    (whose own role the organization list gives, also when the user list cannot show
    the caller)."""
    if not organizations:
        return live
    caller = read_caller(exchange)
    roles = gather(
        parallelism, {o: partial(read_organization_roles, exchange, o) for o in organizations}
    )
    listed = gather(
        parallelism,
        {o: partial(read_organization_patients, exchange, o) for o in organizations}
        if include_patients
        else {},
    )
    patients = dict(live.patients)
    for members in listed.values():
        for patient in members:
            patients.setdefault(patient.id, patient)
    return replace(
        live,
        caller=caller,
        roles=roles,
        patients=patients,
        organization_patient_ids={
            **live.organization_patient_ids,
            **{o: frozenset(p.id for p in members) for o, members in listed.items()},
        },
    )


def _selected(
    live: Live, wanted_organizations: Sequence[int], study_ids: Sequence[int], filtered: bool
) -> list[Study]:
    visible = sorted(live.studies.values(), key=lambda s: s.id)
    if not filtered and not study_ids:
        return visible
    missing = sorted(set(study_ids) - live.studies.keys())
    if missing:
        shown = ", ".join(str(i) for i in missing)
        raise ConfigError(
            f"--study {shown}: no such study among those the caller can see (the studies of "
            "the organizations where the caller has a role)"
        )
    wanted_ids = set(study_ids)
    return [s for s in visible if s.id in wanted_ids or s.organization_id in wanted_organizations]
