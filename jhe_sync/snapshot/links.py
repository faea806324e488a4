"""Reading the link sets of many studies at once: one request per set, concurrently.

The real server needs one read per link set per study (``GET /studies`` returns no
links), so on an estate of hundreds of studies almost all of a snapshot's time is
these reads. Every part of jhe-sync that needs link sets reads them here: the plan's
snapshot, the impact of deleting a study, ``export``, ``status`` and the freshness
check of a saved plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather, gather_in
from jhe_sync.exchange.read import read_enrollments, read_link_ids
from jhe_sync.live import Live, Patient, StudyLinks
from jhe_sync.resources import LINKS, PATIENTS, Link


@dataclass(frozen=True)
class LinkSets:
    """What ``read_link_sets`` read: each study's link sets (None where not asked for),
    and the patients enrolled in each study whose enrollments were read (their ``GET``
    answers the patients whole)."""

    links: dict[int, StudyLinks] = field(default_factory=dict)
    enrolled: dict[int, tuple[Patient, ...]] = field(default_factory=dict)

    def added_to(self, live: Live) -> Live:
        """A new snapshot: ``live`` with the sets read in its ``links`` (a set not read
        keeps what ``live`` had) and the enrolled patients in its ``patients`` (a patient
        held stays as held)."""
        links = dict(live.links)
        for study_id, read in self.links.items():
            known = links.get(study_id) or StudyLinks()
            values = {each.live_field: getattr(read, each.live_field) for each in LINKS}
            links[study_id] = replace(
                known, **{name: ids for name, ids in values.items() if ids is not None}
            )
        patients = dict(live.patients)
        for enrolled in self.enrolled.values():
            for patient in enrolled:
                patients.setdefault(patient.id, patient)
        return replace(live, links=links, patients=patients)


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
    answers = gather_in(pool, tasks) if pool is not None else gather(parallelism, tasks)
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


def read_enrollment_sets(
    exchange: Exchange, live: Live, study_ids: Iterable[int], parallelism: int = 8
) -> Live:
    """A new snapshot: ``live`` with the enrolled patients of these studies
    (``links[id].patient_ids`` and ``patients``), what the impact of deleting a study
    needs when the snapshot did not read them."""
    wanted = {study_id: (PATIENTS,) for study_id in sorted(set(study_ids))}
    return read_link_sets(exchange, wanted, parallelism).added_to(live)
