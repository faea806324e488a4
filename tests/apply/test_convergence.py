"""Property: through every kind of fault, at most three applies converge to the spec,
never duplicating a study or a link, never making a call the plan did not hold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apply.helpers import ALLOW_ALL, plan_for, studies_named, study
from jhe_sync.apply import apply_plan
from jhe_sync.local import local_exchange
from jhe_sync.plan.change import ChangeKind
from jhe_sync.plan.plan import Plan
from jhe_sync.spec.models import Desired, PatientRef

NAMES = ["Lifespan Study on BP & HR", "Lifespan Study on BP", "Pilot A", "Pilot B", "Pilot C"]
SCOPES = [
    "omh:blood-pressure:4.0",
    "omh:heart-rate:2.0",
    "omh:blood-glucose:4.0",
    "FHIR QuestionnaireResponse",
]
SOURCES = ["CareX", "Dexcom", "iHealth", "Questionnaire"]
CLIENTS = ["CareX", "CommonHealth", "Patient Access"]
PATIENTS = ["ll_patient_peter@example.com", "ll_patient_pamela@example.com"]

FAULT_SHARE = 0.04
"""Each of the five kinds: a fifth of all writes and a twelfth of reads are faulted."""


def _subset(items: list[str]) -> st.SearchStrategy[list[str] | None]:
    return st.none() | st.lists(st.sampled_from(items), unique=True)


@st.composite
def estates(draw: st.DrawFn) -> Desired:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    studies = []
    for n, name in enumerate(names):
        patients = draw(_subset(PATIENTS))
        studies.append(
            study(
                f"s{n}",
                name,
                scope_requests=draw(_subset(SCOPES)),
                data_sources=draw(_subset(SOURCES)),
                clients=draw(_subset(CLIENTS)),
                patients=None if patients is None else [PatientRef(email=p) for p in patients],
            ).model_copy(
                update={
                    "description": draw(st.sampled_from(["One.", "Two."])),
                    "state": draw(st.sampled_from(["present", "present", "present", "absent"])),
                }
            )
        )
    return Desired(studies=studies)


def _allowed(plan: Plan, created: dict[str, int]) -> list[tuple[str, re.Pattern[str], Any]]:
    """(method, path pattern, body or allowed patient ids) of every call the plan may make."""
    allowed = []
    for change in plan.changes:
        call = change.call()
        study_id = created.get(change.key, change.study_id)
        path = call.path.replace("{study_id}", str(study_id))
        body: Any = call.body
        if change.kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
            body = {p.id for p in change.patients}
        allowed.append((call.method, re.compile(re.escape(path) + "$"), body))
    return allowed


def _is_planned(write: Any, allowed: list[tuple[str, re.Pattern[str], Any]]) -> bool:
    for method, pattern, body in allowed:
        if write.method != method or not pattern.match(write.path):
            continue
        if isinstance(body, set):
            if set(write.body["patient_ids"]) <= body:
                return True
        elif write.body == body:
            return True
    return False


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=estates(), seed=st.integers(0, 2**32 - 1))
def test_at_most_three_applies_converge_through_faults(
    spec: Desired, seed: int, scripted: Any
) -> None:
    from jhe_sync.emulator import FaultConfig, create_app

    faults = FaultConfig(
        error_before_commit=FAULT_SHARE,
        error_after_commit=FAULT_SHARE,
        rate_limit=FAULT_SHARE,
        drop=FAULT_SHARE,
        drop_after_commit=FAULT_SHARE,
        retry_after=1,
        seed=seed,
    )
    emulator = create_app(db=":memory:", faults=faults)
    app = scripted(emulator)
    with local_exchange(app, sleep=lambda _: None) as exchange:
        converged = False
        for _run in range(3):
            # One thread: the faults are drawn in request order, so an example replays.
            plan = plan_for(exchange, spec)
            if plan.empty:
                converged = True
                break
            app.seen.clear()
            result = apply_plan(exchange, plan, ALLOW_ALL, parallelism=1)
            created = {
                r.change.key: r.study_id
                for r in result.results
                if r.change.kind is ChangeKind.CREATE_STUDY and r.study_id is not None
            }
            allowed = _allowed(plan, created)
            sent = [s for s in app.seen if s.method != "GET" and s.path != "/o/token/"]
            unplanned = [
                f"{s.method} {s.path} {s.body}" for s in sent if not _is_planned(s, allowed)
            ]
            assert not unplanned, f"calls the plan did not hold: {unplanned}"
            # A 500 that no fault injected is the server refusing a call: a link or an
            # enrollment sent twice (IntegrityError), or an id it does not know.
            refused = [
                f"{s.method} {s.path}: {s.title}"
                for s in sent
                if s.status >= 500 and "(500)" not in s.title
            ]
            assert not refused, f"the server refused: {refused}"
            for entry in spec.studies:
                assert len(studies_named(exchange, 20003, entry.name)) <= 1, (
                    f"duplicate {entry.name!r}"
                )
        converged = converged or plan_for(exchange, spec).empty
        assert converged, "three applies did not converge"
    close = getattr(emulator, "close", None)
    if close is not None:
        close()
