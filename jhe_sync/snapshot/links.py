"""Reading the link sets of many studies at once: one request per set, concurrently.

The real server needs one read per link set per study (``GET /studies`` returns no
links), so on an estate of hundreds of studies almost all of a snapshot's time is
these reads. Every part of jhe-sync that needs link sets reads them here: the plan's
snapshot, the impact of deleting a study, ``export``, ``status`` and the freshness
check of a saved plan. Where ids suffice, enrollments cost no read of their own: the
other answers nest them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather, gather_in
from jhe_sync.exchange.read import read_enrollments, read_link_answer
from jhe_sync.live import Live, Patient, StudyLinks
from jhe_sync.resources import LINKS, PATIENTS, Link, LinkKind


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
    enrolled_ids_only: Collection[int] = (),
) -> LinkSets:
    """The link sets asked for of each study: one request per set (pages of enrollments
    aside), ``parallelism`` at a time, or on ``pool`` when the caller shares one between
    all its reads (the snapshot does, to keep one bound).

    The enrollments of a study in ``enrolled_ids_only`` (whose patients the caller holds
    already, or does not need) cost no request of their own when another set is asked
    for: every answer of scope requests, data sources and clients nests the study with
    its enrolled patient ids (086, 110, 125). Only a study whose other answers all came
    back empty has its enrollments read, in a second round. Those studies get no entry
    in ``enrolled``.
    """
    kinds = {study_id: tuple(dict.fromkeys(links)) for study_id, links in wanted.items()}
    nested = {
        study_id
        for study_id, links in kinds.items()
        if study_id in enrolled_ids_only
        and PATIENTS in links
        and any(not each.enrollment for each in links)
    }
    first = {
        (study_id, each.kind): partial(_read_link_set, exchange, study_id, each)
        for study_id, links in sorted(kinds.items())
        for each in links
        if not (each.enrollment and study_id in nested)
    }
    answers = _gather(first, parallelism, pool)
    nested_ids = {
        study_id: ids
        for study_id in nested
        if (ids := _nested_enrollment(answers, study_id, kinds[study_id])) is not None
    }
    second = {
        (study_id, PATIENTS.kind): partial(_read_link_set, exchange, study_id, PATIENTS)
        for study_id in sorted(nested - nested_ids.keys())
    }
    answers |= _gather(second, parallelism, pool)

    found = LinkSets()
    for study_id, links in kinds.items():
        values: dict[str, frozenset[int]] = {}
        for each in links:
            if each.enrollment and study_id in nested_ids:
                values[each.live_field] = nested_ids[study_id]
                continue
            answer = answers[(study_id, each.kind)]
            values[each.live_field] = answer.ids
            if each.enrollment:
                found.enrolled[study_id] = answer.patients
        found.links[study_id] = StudyLinks(**values)
    return found


_Key = tuple[int, LinkKind]
"""A study id and one of its link kinds."""


@dataclass(frozen=True)
class _Answer:
    ids: frozenset[int]
    enrolled_ids: frozenset[int] | None = None
    """For a link set other than enrollments: the enrolled patient ids its answer nests."""
    patients: tuple[Patient, ...] = ()
    """For enrollments: the patients whole."""


def _read_link_set(exchange: Exchange, study_id: int, wanted: Link) -> _Answer:
    if wanted.enrollment:
        enrolled = tuple(read_enrollments(exchange, study_id))
        return _Answer(frozenset(p.id for p in enrolled), patients=enrolled)
    answer = read_link_answer(exchange, study_id, wanted.kind)
    return _Answer(answer.ids, enrolled_ids=answer.enrolled)


def _nested_enrollment(
    answers: Mapping[_Key, _Answer], study_id: int, links: tuple[Link, ...]
) -> frozenset[int] | None:
    """The enrolled ids the first non-empty answer of the study's other sets nests."""
    for each in links:
        answer = answers.get((study_id, each.kind))
        if answer is not None and answer.enrolled_ids is not None:
            return answer.enrolled_ids
    return None


def _gather(
    tasks: Mapping[_Key, Callable[[], _Answer]],
    parallelism: int,
    pool: ThreadPoolExecutor | None,
) -> dict[_Key, _Answer]:
    return gather_in(pool, tasks) if pool is not None else gather(parallelism, tasks)


def read_enrollment_sets(
    exchange: Exchange, live: Live, study_ids: Iterable[int], parallelism: int = 8
) -> Live:
    """A new snapshot: ``live`` with the enrolled patients of these studies
    (``links[id].patient_ids`` and ``patients``), what the impact of deleting a study
    needs when the snapshot did not read them."""
    wanted = {study_id: (PATIENTS,) for study_id in sorted(set(study_ids))}
    return read_link_sets(exchange, wanted, parallelism).added_to(live)
