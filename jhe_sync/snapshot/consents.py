"""Reading patients' consents: one request per patient, for the impact of destructive
changes and for ``status``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import read_patient_consents
from jhe_sync.live import Live


def read_consents(
    exchange: Exchange,
    live: Live,
    patient_ids: Iterable[int],
    parallelism: int = 8,
) -> Live:
    """A new snapshot: ``live`` with the consents of these patients (for the impact of
    destructive changes, and status); consents ``live`` holds are not read again.

    A patient whose consents the caller may not read (403: not in the caller's
    organizations) is left out rather than shown as having none.
    """
    wanted = sorted(set(patient_ids) - set(live.consents))
    answers = gather(
        parallelism, {pid: partial(read_patient_consents, exchange, pid) for pid in wanted}
    )
    consents = dict(live.consents)
    patients = dict(live.patients)
    for patient_id, answer in answers.items():
        if answer is None:
            continue
        holder, answers_of_patient = answer
        consents[patient_id] = answers_of_patient
        if holder is not None and holder.id not in patients:
            patients[holder.id] = holder
    return replace(live, consents=consents, patients=patients)
