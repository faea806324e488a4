"""From the spec and a snapshot to a Plan, in one pass: resolve, diff, pre-flight, impact.

``build_plan`` does no I/O itself. The snapshot it is given holds what the spec needs
(``snapshot.read_live``); what the impact of the plan's destructive changes needs
besides (the enrollments of studies to delete, the consents of the patients touched)
is known only once the changes are, so the caller may pass the two snapshot reads
that add it (``snapshot.read_enrollment_sets``, ``snapshot.read_consents``, bound to
an exchange). Each returns a new snapshot; the impact is computed once, from the last.
The same enrollment read serves the rename check (``plan.renames``): a study to create
that looks like a live study the spec no longer matches is warned about.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Set
from dataclasses import replace

from jhe_sync.live import Live
from jhe_sync.plan.diff import diff, patient_labels
from jhe_sync.plan.impact import consent_reads_needed, enrollment_reads_needed, with_impact
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.preflight import preflight
from jhe_sync.plan.renames import rename_reads_needed, rename_warnings
from jhe_sync.plan.resolve import resolve
from jhe_sync.spec.models import Desired

ReadMore = Callable[[Live, Set[int]], Live]
"""A snapshot read that returns ``live`` with more in it: the enrollments of these
studies, or the consents of these patients."""


def build_plan(
    desired: Desired,
    live: Live,
    *,
    read_enrollments: ReadMore | None = None,
    read_consents: ReadMore | None = None,
) -> Plan:
    """The plan that brings ``live`` to ``desired``.

    Raises ``ResolveError`` (unknown or ambiguous names, identity conflicts) and
    ``PreflightError`` (changes the server would refuse), each with every problem.
    The impact is computed from what ``live`` holds, and from what the reads given
    add to it for the plan's destructive changes (each called only when the snapshot
    lacks something).
    """
    with _cycle_collector_paused():
        resolved = resolve(desired, live)
        plan = diff(resolved, live)
        plan = replace(plan, warnings=plan.warnings + preflight(plan, resolved, live))
    studies = enrollment_reads_needed(plan, live) | rename_reads_needed(plan, live)
    if read_enrollments is not None and studies:
        live = read_enrollments(live, studies)
    if read_consents is not None and (patients := consent_reads_needed(plan, live)):
        live = read_consents(live, patients)
    with _cycle_collector_paused():
        plan = replace(plan, warnings=(*plan.warnings, *rename_warnings(plan, live)))
        return with_impact(plan, live, patient_labels(resolved))


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Planning (no I/O) makes no reference cycles, but a large spec makes it allocate
    hundreds of thousands of small values, and every few thousand allocations Python's
    cycle collector walks the long-lived objects: the spec and the snapshot, a million
    at 5,000 studies x 50 patients, a third of the plan's CPU (benchmarks/README.md).
    Reference counting frees what planning drops either way; the collector resumes
    afterwards (the reads in between run with it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
