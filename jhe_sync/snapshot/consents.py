"""Reading patients' consents: one request per patient, for the impact of destructive
changes and for ``status``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from jhe_sync.errors import NotFound, PermissionDenied
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.live import Live, Patient, ScopeConsent
from jhe_sync.resources import API

log = logging.getLogger("jhe_sync.exchange")


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
