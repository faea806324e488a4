"""Building specs and plans for apply tests, and looking at what reached the server."""

from __future__ import annotations

from typing import Any

from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.snapshot import read_live
from jhe_sync.spec.models import Desired, PatientRef, StudySpec

ALLOW_ALL = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)
DEFAULT = SafetyPolicy()

PETER = "ll_patient_peter@example.com"
PAMELA = "ll_patient_pamela@example.com"


def study(
    key: str, name: str, organization: int | str = "Lifespan Lab", **fields: Any
) -> StudySpec:
    return StudySpec(
        key=key, name=name, description=f"{name}.", organization=organization, **fields
    )


def desired(*studies: StudySpec) -> Desired:
    return Desired(studies=list(studies))


HYPERTENSION = desired(
    study(
        "hypertension",
        "Hypertension Management Study",
        scope_requests=["omh:blood-pressure:4.0", "omh:heart-rate:2.0"],
        data_sources=["iHealth", "CareX"],
        patients=[PatientRef(email=PETER), PatientRef(email=PAMELA)],
    )
)
"""The study-management guide's example: six calls (create, 2 scopes, 2 sources, enroll)."""


def plan_for(exchange: Exchange, spec: Desired) -> Plan:
    return build_plan(spec, read_live(exchange, spec))


def writes(app: Any) -> list[Any]:
    """The write requests a ``ScriptedFaults`` app saw (the token request is not one)."""
    return [s for s in app.seen if s.method != "GET" and s.path != "/o/token/"]


def planned_calls(plan: Plan) -> int:
    return len(plan.changes)


def studies_named(exchange: Exchange, organization_id: int, name: str) -> list[int]:
    listed = exchange.get_all("/api/v1/studies", {"organization_id": organization_id})
    return sorted(s["id"] for s in listed if s["name"] == name)
