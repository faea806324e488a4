"""What ``GET /observations`` says about a study: how many, the latest upload, and which
enrolled patients have uploaded nothing yet.

The list is filtered by ``organization_id`` and ``study_id`` (the patient must be
enrolled and the observation's code requested by the study) and comes newest first,
by ``lastUpdated``, the time the exchange stored it (recordings 301, 302). ``count``
gives the total without reading every page.

Patients with no data: the first page (``page_size`` observations, newest first)
already names the patients who uploaded recently; usually that is everyone. For the
rest there are two ways, and the cheaper is taken: read further pages until every
enrolled patient has been seen, or ask once per unseen patient with ``patient_id``
and ``page_size=1``. The cost is 1 + min(pages left, patients unseen) requests; a
study with no enrolled patient or no observation costs one request of one item.
The ``patient_id`` filter is in the upstream code and in the study-management guide,
and the emulator serves it, but no recording shows the real server answering it.

Only ``subjectPatientId`` and ``lastUpdated`` are read from each observation: the
patient's name that every observation carries, and its health data, are not kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from jhe_sync.errors import ProtocolError
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.resources import API

PATH = f"{API}/observations"


@dataclass(frozen=True)
class Page:
    """One page of a study's observations, reduced to what status reports."""

    count: int
    latest: str | None
    patient_ids: frozenset[int]
    has_next: bool


@dataclass(frozen=True)
class ObservationSummary:
    """A study's uploads: the total, the newest upload time, the enrolled patients
    without any observation in the study."""

    count: int
    latest: str | None
    without_data: frozenset[int]


def read_page(
    exchange: Exchange,
    organization_id: int,
    study_id: int,
    *,
    page: int = 1,
    page_size: int,
    patient_id: int | None = None,
) -> Page:
    """One page of ``GET /observations`` for a study (and one patient, if given)."""
    params: dict[str, str | int] = {
        "organization_id": organization_id,
        "study_id": study_id,
        "page_size": page_size,
    }
    if patient_id is not None:
        params["patient_id"] = patient_id
    if page > 1:
        params["page"] = page
    return parse_page(exchange.get(PATH, params), f"GET {PATH}")


def parse_page(data: Any, endpoint: str) -> Page:
    """``count``, the newest ``lastUpdated`` and the patient ids of a page; nothing else."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ProtocolError(f"{endpoint}: expected a page of results")
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int):
        raise ProtocolError(f"{endpoint}: 'count' is not an integer")
    patients: set[int] = set()
    stamps: list[str] = []
    for item in data["results"]:
        patient = item.get("subjectPatientId") if isinstance(item, dict) else None
        if isinstance(patient, bool) or not isinstance(patient, int):
            raise ProtocolError(f"{endpoint}: an observation without an integer 'subjectPatientId'")
        patients.add(patient)
        stamp = item.get("lastUpdated")
        if isinstance(stamp, str) and stamp:
            stamps.append(stamp)
    return Page(count, max(stamps, default=None), frozenset(patients), bool(data.get("next")))


def first_page(
    exchange: Exchange, organization_id: int, study_id: int, enrolled: frozenset[int]
) -> Page:
    """The first page: a full one when there are patients to look for, else one item."""
    size = exchange.page_size if enrolled else 1
    return read_page(exchange, organization_id, study_id, page_size=size)


def follow_up(
    exchange: Exchange,
    organization_id: int,
    study_id: int,
    enrolled: frozenset[int],
    first: Page,
) -> dict[str, Callable[[], frozenset[int]]]:
    """The further reads that tell which enrolled patients have data, the cheaper way:
    one read that pages on until all are seen, or one small read per unseen patient.
    Each read answers the patient ids it found with data. Empty when nothing is left."""
    unseen = sorted(enrolled - first.patient_ids)
    size = exchange.page_size
    pages_left = max(0, math.ceil(first.count / size) - 1) if first.has_next else 0
    if not unseen or not pages_left:
        return {}
    if pages_left <= len(unseen):
        return {
            "pages": partial(
                _scan, exchange, organization_id, study_id, frozenset(unseen), 1 + pages_left
            )
        }
    return {
        f"patient:{patient_id}": partial(_has_data, exchange, organization_id, study_id, patient_id)
        for patient_id in unseen
    }


def summarize(
    enrolled: frozenset[int], first: Page, found: Iterable[frozenset[int]]
) -> ObservationSummary:
    """The summary from the first page and what the follow-up reads found."""
    with_data = set(first.patient_ids)
    for ids in found:
        with_data |= ids
    return ObservationSummary(first.count, first.latest, frozenset(enrolled - with_data))


def _scan(
    exchange: Exchange,
    organization_id: int,
    study_id: int,
    looking_for: frozenset[int],
    last_page: int,
) -> frozenset[int]:
    """Pages 2, 3, ... until every patient looked for has been seen, or the list ends:
    at the last page the first page's count makes, whatever the pages say of a next."""
    seen: set[int] = set()
    for page in range(2, last_page + 1):
        answer = read_page(
            exchange, organization_id, study_id, page=page, page_size=exchange.page_size
        )
        seen |= answer.patient_ids & looking_for
        if seen == looking_for or not answer.has_next or not answer.patient_ids:
            break
    return frozenset(seen)


def _has_data(
    exchange: Exchange, organization_id: int, study_id: int, patient_id: int
) -> frozenset[int]:
    answer = read_page(exchange, organization_id, study_id, page_size=1, patient_id=patient_id)
    return frozenset({patient_id}) if answer.count > 0 else frozenset()


def summarize_studies(
    exchange: Exchange,
    studies: Iterable[tuple[int, int, frozenset[int]]],
    parallelism: int = 8,
) -> dict[int, ObservationSummary]:
    """The summary of each (organization id, study id, enrolled patient ids), by study id:
    every first page at once, then every follow-up read at once."""
    studies = list(studies)
    firsts = gather(
        parallelism,
        {sid: partial(first_page, exchange, org, sid, enrolled) for org, sid, enrolled in studies},
    )
    follow_ups: dict[tuple[int, str], Callable[[], frozenset[int]]] = {}
    for org, sid, enrolled in studies:
        reads = follow_up(exchange, org, sid, enrolled, firsts[sid])
        follow_ups.update(((sid, name), read) for name, read in reads.items())
    found = gather(parallelism, follow_ups)
    return {
        sid: summarize(enrolled, firsts[sid], [ids for (of, _), ids in found.items() if of == sid])
        for _, sid, enrolled in studies
    }
