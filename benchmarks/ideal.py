"""The fewest calls each scenario needs, worked out from the estate, and the ideal time.

Counted from what the API as recorded offers, not from what jhe-sync does:

- fixed: the caller's profile, the organizations, the scope catalogue, the data
  sources, the clients (one page each: the catalogues are small);
- per organization the spec touches: its study list (``/organizations/{id}/studies``,
  one bare list) and its patient list, in pages of 1,000 (the server's largest page);
- per live study the spec names: its scope requests, data sources and clients. Its
  enrollments need no read of their own: every answer of those three sub-resources
  nests the study with its enrolled patient ids (``study.patients``, recordings 086,
  110, 125), and the study's patients are in its organization's patient list. Only a
  study with none of those links needs ``/studies/{id}/patients``;
- the impact of a destructive change: one consent read per patient it touches (no
  endpoint gives consents by study); ``estate.drift`` counts them;
- apply: the planned calls, enrollments in chunks of 100, and no read beyond the plan's
  (a study create answers with the new id).

The token request is left out of both sides. The ideal time is the issue's:
``(reads + writes) / parallelism x latency``; it ignores that phases wait for each
other (organizations before studies before links: three round trips), which matters
only for tiny estates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from estate import ORGANIZATIONS, Drift, Estate

PAGE = 1000
FIXED_READS = 5


@dataclass(frozen=True)
class Minimal:
    reads: int
    writes: int

    @property
    def calls(self) -> int:
        return self.reads + self.writes

    def seconds(self, parallelism: int, latency_ms: float) -> float:
        return self.calls / parallelism * latency_ms / 1000


def plan_reads(spec: Estate, live: Estate, consent_reads: int = 0) -> int:
    """Reads a plan of ``spec`` against ``live`` needs at the least."""
    reads = FIXED_READS
    for org in ORGANIZATIONS:
        reads += 1 + max(1, math.ceil(len(spec.organization_patients(org)) / PAGE))
    named = {s.key for s in spec.studies}
    for study in live.studies:
        if study.key not in named:
            continue
        reads += 3
        if not (study.scope_ids or study.data_source_ids or study.client_ids):
            reads += max(1, math.ceil(len(study.patient_ids) / PAGE))
    return reads + consent_reads


def matching_plan(spec: Estate) -> Minimal:
    return Minimal(plan_reads(spec, spec), 0)


def drifted_plan(spec: Estate, drift: Drift) -> Minimal:
    return Minimal(plan_reads(spec, drift.live, drift.consent_reads), 0)


def drift_apply(spec: Estate, drift: Drift) -> Minimal:
    return Minimal(
        plan_reads(spec, drift.live, drift.consent_reads), sum(drift.expected_writes.values())
    )
