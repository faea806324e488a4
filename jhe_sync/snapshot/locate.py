"""Which live study each spec entry stands for, for the commands that act on live studies
without planning (status, invite).

The identity rule is the plan's own (``jhe_sync.identity.identify``: pinned id, else
organization and name, else a previous name), applied to the same reads ``read_live``
makes for it: the organizations, the studies of each organization the spec names, and
the pinned studies not found there. A study that cannot be located is not an error
here: status lists it with the reason, invite refuses it by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

from jhe_sync.errors import Unresolved
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import read_organization_studies, read_study_fields
from jhe_sync.identity import OrganizationFinder, StudyIndex, identify
from jhe_sync.live import Live, Study
from jhe_sync.snapshot.parts import Part, read_parts
from jhe_sync.spec.models import StudySpec


@dataclass(frozen=True)
class LocatedStudy:
    """A spec entry and the live study it stands for (None: not on the exchange)."""

    spec: StudySpec
    organization_id: int | None
    study: Study | None
    problem: str = ""
    """Why no live study could be told: an unknown organization, two matching studies,
    a pinned id that does not exist. Empty when the study is simply not created yet."""


def locate_studies(
    exchange: Exchange,
    specs: Sequence[StudySpec],
    parallelism: int = 8,
    parts: Sequence[Part] = (),
) -> tuple[Live, list[LocatedStudy]]:
    """The live study of each entry, and a ``Live`` with the organizations, the studies
    read and any further ``parts`` (read concurrently with the organizations)."""
    live = read_parts(exchange, ("organizations", *parts), parallelism)
    finder = OrganizationFinder(live)
    organization_ids: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for spec in specs:
        try:
            organization_ids[spec.key] = finder.find(spec.organization)
        except Unresolved as error:
            organization_ids[spec.key] = None
            problems[spec.key] = error.message

    listed = sorted({org for org in organization_ids.values() if org is not None})
    lists = gather(
        parallelism, {org: partial(read_organization_studies, exchange, org) for org in listed}
    )
    studies = dict(live.studies)
    for listing in lists.values():
        studies.update((study.id, study) for study in listing)
    pinned = sorted({s.id for s in specs if s.id is not None} - set(studies))
    for found in gather(
        parallelism, {sid: partial(read_study_fields, exchange, sid) for sid in pinned}
    ).values():
        if found is not None:
            studies[found.id] = found
    live = replace(live, studies=studies, read_organization_ids=frozenset(listed))

    index = StudyIndex(live)
    located = []
    for spec in specs:
        organization_id = organization_ids[spec.key]
        if organization_id is None:
            located.append(LocatedStudy(spec, None, None, problems[spec.key]))
            continue
        try:
            match = identify(spec, organization_id, index)
        except Unresolved as error:
            located.append(LocatedStudy(spec, organization_id, None, error.message))
            continue
        located.append(LocatedStudy(spec, organization_id, match.study))
    return live, located
