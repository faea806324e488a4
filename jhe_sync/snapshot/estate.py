"""``read_estate``: every study the caller can see (or a selection of them), with all
their link sets and the catalogue their names come from, for ``export``.

Reads, for N studies (pages of long lists aside): the organizations, the scope
catalogue, the data sources, the clients and ``GET /studies`` (every study of every
organization the caller belongs to) at once; then per study its scope requests, data
sources and clients, and its enrolled patients unless ``include_patients`` is false:
5 + 4N requests (5 + 3N without patients), ``parallelism`` at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from jhe_sync.errors import ConfigError, Unresolved
from jhe_sync.exchange.client import Exchange
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
    study is selected when either selects it. Raises ``ConfigError`` for an
    organization reference that names none, or a study id the caller cannot see.
    """
    live = read_parts(
        exchange, ("organizations", "scopes", "data_sources", "clients", "studies"), parallelism
    )
    selected = _selected(live, organizations, study_ids)
    live = replace(
        live,
        studies={study.id: study for study in selected},
        read_organization_ids=frozenset(study.organization_id for study in selected),
    )
    links = (*_CATALOGUE_LINKS, PATIENTS) if include_patients else _CATALOGUE_LINKS
    return read_link_sets(exchange, {study.id: links for study in selected}, parallelism).added_to(
        live
    )


def _selected(
    live: Live, organizations: Sequence[str | int], study_ids: Sequence[int]
) -> list[Study]:
    visible = sorted(live.studies.values(), key=lambda s: s.id)
    if not organizations and not study_ids:
        return visible
    finder = OrganizationFinder(live)
    wanted_organizations: set[int] = set()
    for ref in organizations:
        try:
            wanted_organizations.add(finder.find(ref))
        except Unresolved as error:
            raise ConfigError(f"--organization {ref!r}: {error.message}") from None
    missing = sorted(set(study_ids) - live.studies.keys())
    if missing:
        shown = ", ".join(str(i) for i in missing)
        raise ConfigError(
            f"--study {shown}: no such study among those the caller can see (the studies of "
            "the organizations where the caller has a role)"
        )
    wanted_ids = set(study_ids)
    return [s for s in visible if s.id in wanted_ids or s.organization_id in wanted_organizations]
