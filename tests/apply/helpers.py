"""Building specs and plans for apply tests, and looking at what reached the server."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.snapshot import read_live
from jhe_sync.spec.models import Desired, PatientRef, StudySpec

ALLOW_ALL = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)
DEFAULT = SafetyPolicy()

NAME = "Hypertension Management Study"
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
        NAME,
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


class Interloper:
    """WSGI middleware that runs ``act`` (another apply's write) just before the first
    request matching ``method`` and ``path`` (or just after, with ``after=True``)."""

    def __init__(
        self, app: Any, method: str, path: str, act: Callable[[], None], after: bool = False
    ) -> None:
        self.app, self.method, self.path, self.act, self.after = app, method, path, act, after
        self.done = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        hit = (environ["REQUEST_METHOD"], environ.get("PATH_INFO")) == (self.method, self.path)
        if hit and not self.done and not self.after:
            self.done = True
            self.act()
        answer = list(self.app(environ, start_response))
        if hit and not self.done and self.after:
            self.done = True
            self.act()
        return answer
