"""From the spec and a snapshot to a Plan: resolve, diff, pre-flight, impact.

``build_plan`` does no I/O. The CLI reads the snapshot before it and, when the plan
destroys something, the enrollments and consents the impact needs after it (see
``jhe_sync.plan.impact``).
"""

from __future__ import annotations

from dataclasses import replace

from jhe_sync.live import Live
from jhe_sync.plan.diff import diff
from jhe_sync.plan.impact import with_impact
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.preflight import preflight
from jhe_sync.plan.resolve import resolve
from jhe_sync.spec.models import Desired


def build_plan(desired: Desired, live: Live) -> Plan:
    """The plan that brings ``live`` to ``desired``.

    Raises ``ResolveError`` (unknown or ambiguous names, identity conflicts) and
    ``PreflightError`` (changes the server would refuse), each with every problem.
    The impact is computed from what ``live`` already holds.
    """
    resolved = resolve(desired, live)
    plan = diff(resolved, live)
    warnings = preflight(plan, resolved, live)
    return with_impact(replace(plan, warnings=warnings), live)
