"""apply makes exactly the planned calls, and converges through faults without duplicates."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from apply.helpers import (
    ALLOW_ALL,
    DEFAULT,
    HYPERTENSION,
    NAME,
    PETER,
    Interloper,
    desired,
    plan_for,
    studies_named,
    study,
    writes,
)
from jhe_sync.apply import ChangeResult, Outcome, apply_plan
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.change import Change, ChangeKind, FieldChange, PatientTarget
from jhe_sync.plan.plan import Plan
from jhe_sync.spec.models import PatientRef

Connect = Callable[..., Exchange]


def test_writes_equal_the_planned_calls(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = plan_for(exchange, HYPERTENSION)
    app.seen.clear()
    result = apply_plan(exchange, plan, DEFAULT)
    assert result.ok
    assert len(plan.changes) == len(writes(app)) == 6


def test_a_second_apply_makes_zero_writes(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    app.seen.clear()
    second = plan_for(exchange, HYPERTENSION)
    result = apply_plan(exchange, second, DEFAULT)
    assert second.empty and result.ok
    assert writes(app) == []


def test_the_new_study_id_fills_the_later_changes_of_that_study(exchange: Exchange) -> None:
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    [created] = studies_named(exchange, 20003, NAME)
    assert {r.study_id for r in result.results} == {created}
    enrolled = exchange.get_all(f"/api/v1/studies/{created}/patients")
    assert sorted(p["id"] for p in enrolled) == [40001, 40002]


def test_each_change_is_reported_as_it_completes(exchange: Exchange) -> None:
    seen: list[ChangeResult] = []
    result = apply_plan(
        exchange, plan_for(exchange, HYPERTENSION), DEFAULT, on_progress=seen.append
    )
    assert sorted(map(str, seen)) == sorted(map(str, result.results))
    assert str(seen[0]).startswith('done    "hypertension" (id ')


def test_results_come_in_plan_order(exchange: Exchange) -> None:
    plan = plan_for(exchange, HYPERTENSION)
    result = apply_plan(exchange, plan, DEFAULT)
    assert [r.change for r in result.results] == list(plan.changes)


# -- faults on study writes ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["after_commit", "drop_after_commit"])
def test_a_create_that_committed_before_the_error_is_not_repeated(
    emulator: Any, scripted: Any, connect: Connect, kind: str
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", kind)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert result.ok
    assert len(studies_named(exchange, 20003, NAME)) == 1
    assert len(app.requests("POST", "/api/v1/studies")) == 1
    assert "adopted" in result.results[0].reason


@pytest.mark.parametrize("kind", ["before_commit", "drop"])
def test_a_create_that_did_not_happen_is_sent_again(
    emulator: Any, scripted: Any, connect: Connect, kind: str
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", kind)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert result.ok
    assert len(studies_named(exchange, 20003, NAME)) == 1
    assert len(app.requests("POST", "/api/v1/studies")) == 2


def test_a_write_whose_outcome_cannot_be_read_back_fails_as_unknown(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    siblings = "/api/v1/organizations/20003/studies"
    exchange = connect(
        Interloper(
            app,
            "POST",
            "/api/v1/studies",
            lambda: app.fail("GET", siblings, "before_commit", status=503, times=99),
        )
    )
    plan = plan_for(exchange, HYPERTENSION)
    app.fail("POST", "/api/v1/studies", "after_commit")
    result = apply_plan(exchange, plan, DEFAULT)
    assert result.results[0].outcome is Outcome.FAILED
    assert "whether it happened is unknown" in result.results[0].reason
    assert len(app.requests("POST", "/api/v1/studies")) == 1


def test_an_update_that_committed_before_a_500_is_confirmed_by_reading_back(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("PATCH", "/api/v1/studies/30002", "after_commit")
    exchange = connect(app)
    spec = desired(study("bp", "Lifespan Study on BP", organization=20003))
    result = apply_plan(exchange, plan_for(exchange, spec), DEFAULT)
    assert result.ok
    assert len(app.requests("PATCH", "/api/v1/studies/30002")) == 1
    assert exchange.get("/api/v1/studies/30002")["description"] == "Lifespan Study on BP."


def test_a_write_answered_429_waits_retry_after_then_is_sent_again(
    emulator: Any, scripted: Any, connect: Connect, sleeps: list[float]
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", "rate_limit", retry_after=3)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert result.ok
    assert 3.0 in sleeps
    assert len(studies_named(exchange, 20003, NAME)) == 1


def test_a_refused_create_fails_and_skips_the_rest_of_its_study(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    exchange = connect(emulator)
    create = Change(
        ChangeKind.CREATE_STUDY,
        "cardio",
        20006,
        name="Not mine",
        fields=(FieldChange("name", None, "Not mine"), FieldChange("description", None, "d")),
    )
    scope = Change(
        ChangeKind.ADD_SCOPE, "cardio", 20006, link_id=50001, link_label="omh:blood-glucose:4.0"
    )
    result = apply_plan(exchange, Plan(changes=(create, scope)), DEFAULT)
    assert [r.outcome for r in result.results] == [Outcome.FAILED, Outcome.SKIPPED]
    assert "403" in result.results[0].reason
    assert "You do not have permission" in result.results[0].reason
    assert "create did not succeed" in result.results[1].reason
    assert not result.ok and result.error() is not None


def test_one_studys_failure_does_not_stop_the_others(emulator: Any, connect: Connect) -> None:
    exchange = connect(emulator)
    refused = Change(
        ChangeKind.CREATE_STUDY,
        "a-cardio",
        20006,
        name="Not mine",
        fields=(FieldChange("name", None, "Not mine"), FieldChange("description", None, "d")),
    )
    fine = Change(
        ChangeKind.ADD_SCOPE, "b-bp", 20003, study_id=30002, link_id=50004, link_label="hr"
    )
    result = apply_plan(exchange, Plan(changes=(refused, fine)), DEFAULT)
    assert [r.outcome for r in result.results] == [Outcome.FAILED, Outcome.DONE]


# -- faults on links -------------------------------------------------------------------


def _link_spec() -> Any:
    """Study 30002 as it is, plus one scope request (heart rate, 50004)."""
    return desired(
        study(
            "bp",
            "Lifespan Study on BP",
            scope_requests=[
                "omh:blood-pressure:4.0",
                "FHIR QuestionnaireResponse",
                "omh:heart-rate:2.0",
            ],
        ).model_copy(update={"description": "Blood Pressure"})
    )


@pytest.mark.parametrize("kind", ["after_commit", "drop_after_commit"])
def test_a_link_added_despite_the_error_is_not_posted_again(
    emulator: Any, scripted: Any, connect: Connect, kind: str
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies/30002/scope_requests", kind)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, _link_spec()), DEFAULT)
    assert result.ok
    assert len(app.requests("POST", "/api/v1/studies/30002/scope_requests")) == 1
    [added] = result.results
    assert "reading back" in added.reason


def test_a_link_whose_add_did_not_happen_is_posted_again(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies/30002/scope_requests", "before_commit")
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, _link_spec()), DEFAULT)
    assert result.ok
    assert len(app.requests("POST", "/api/v1/studies/30002/scope_requests")) == 2


def test_a_removal_that_happened_before_the_connection_dropped_is_not_repeated(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail(
        "DELETE", "/api/v1/studies/30002/data_sources", "drop_after_commit"
    )
    exchange = connect(app)
    spec = desired(study("bp", "Lifespan Study on BP", data_sources=["CareX"]))
    result = apply_plan(exchange, plan_for(exchange, spec), ALLOW_ALL)
    assert result.ok
    assert len(app.requests("DELETE", "/api/v1/studies/30002/data_sources")) == 1
    links = exchange.get("/api/v1/studies/30002/data_sources")
    assert [entry["dataSource"]["id"] for entry in links] == [70001]


def test_a_write_that_keeps_failing_fails_after_bounded_attempts(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    path = "/api/v1/studies/30002/scope_requests"
    app = scripted(emulator).fail("POST", path, "before_commit", times=99)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, _link_spec()), DEFAULT)
    [failed] = [r for r in result.results if r.outcome is Outcome.FAILED]
    assert "500" in failed.reason
    assert len(app.requests("POST", path)) == 4
    assert not result.ok


# -- enrollments -----------------------------------------------------------------------


def _new_patients(exchange: Exchange, count: int) -> list[int]:
    ids = []
    for n in range(count):
        created = exchange.write(
            "POST",
            "/api/v1/patients",
            {
                "organizationId": 20003,
                "telecomEmail": f"pilot{n}@example.com",
                "nameFamily": "Pilot",
                "nameGiven": f"P{n}",
                "birthDate": "1990-01-01",
            },
        )
        ids.append(created.data["id"])
    return ids


def _enroll(study_id: int, ids: list[int]) -> Change:
    return Change(
        ChangeKind.ENROLL,
        "bp",
        20003,
        study_id=study_id,
        patients=tuple(PatientTarget(i, f"#{i}") for i in ids),
    )


def test_enrollments_go_in_one_request_per_chunk(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    exchange = connect(emulator)
    ids = _new_patients(exchange, 5)
    app = scripted(emulator)
    result = apply_plan(connect(app), Plan(changes=(_enroll(30002, ids),)), DEFAULT, chunk_size=2)
    assert result.ok
    assert [
        len(s.body["patient_ids"]) for s in app.requests("POST", "/api/v1/studies/30002/patients")
    ] == [2, 2, 1]


def test_an_enrollment_chunk_failing_midway_converges(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    exchange = connect(emulator)
    ids = _new_patients(exchange, 4)
    # Someone enrolled the third meanwhile: the server enrolls the first two, then 500s.
    exchange.write("POST", "/api/v1/studies/30002/patients", {"patient_ids": [ids[2]]})
    app = scripted(emulator)
    result = apply_plan(connect(app), Plan(changes=(_enroll(30002, ids),)), DEFAULT, chunk_size=4)
    assert result.ok
    bodies = [s.body["patient_ids"] for s in app.requests("POST", "/api/v1/studies/30002/patients")]
    assert bodies == [ids, [ids[3]]]
    enrolled = {p["id"] for p in exchange.get_all("/api/v1/studies/30002/patients")}
    assert set(ids) <= enrolled


def test_an_enrollment_that_committed_before_a_dropped_connection_is_not_sent_again(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    exchange = connect(emulator)
    ids = _new_patients(exchange, 3)
    app = scripted(emulator).fail("POST", "/api/v1/studies/30002/patients", "drop_after_commit")
    result = apply_plan(connect(app), Plan(changes=(_enroll(30002, ids),)), DEFAULT)
    assert result.ok
    assert len(app.requests("POST", "/api/v1/studies/30002/patients")) == 1


def test_a_patient_outside_the_studys_organization_is_never_sent(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    change = Change(
        ChangeKind.ENROLL,
        "bp",
        20003,
        study_id=30002,
        patients=(PatientTarget(40003, "percy@example.com"),),
    )
    result = apply_plan(connect(app), Plan(changes=(change,)), DEFAULT)
    [outcome] = result.results
    assert outcome.outcome is Outcome.FAILED
    assert "percy@example.com (#40003)" in outcome.reason
    assert writes(app) == []


def test_unenrollment_converges_after_an_ambiguous_failure(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("DELETE", "/api/v1/studies/30002/patients", "after_commit")
    exchange = connect(app)
    spec = desired(study("bp", "Lifespan Study on BP", patients=[PatientRef(email=PETER)]))
    result = apply_plan(exchange, plan_for(exchange, spec), ALLOW_ALL)
    assert result.ok
    assert len(app.requests("DELETE", "/api/v1/studies/30002/patients")) == 1
    assert [p["id"] for p in exchange.get_all("/api/v1/studies/30002/patients")] == [40001]


# -- journal and stop ------------------------------------------------------------------


def test_each_write_attempt_is_journaled_without_secrets_or_patient_details(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", "after_commit")
    exchange = connect(app)
    journal = io.StringIO()
    apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT, journal=journal)
    lines = [json.loads(line) for line in journal.getvalue().splitlines()]
    assert len(lines) == len(writes(app)) == 6
    assert lines[0]["outcome"] == "unknown" and lines[0]["status"] == 500
    assert {"time", "key", "change", "method", "path", "outcome", "status"} <= set(lines[0])
    enroll = next(line for line in lines if line["change"] == "enroll_patients")
    assert enroll["body"] == {"patient_ids": [40001, 40002]}
    text = journal.getvalue()
    for secret in ("Jhe1234!", exchange._token or "-", "Taylor", "1992-12-22", "+1-581"):
        assert secret not in text


def test_a_stop_request_finishes_the_call_in_flight_and_skips_the_rest(exchange: Exchange) -> None:
    stop = threading.Event()
    result = apply_plan(
        exchange,
        plan_for(exchange, HYPERTENSION),
        DEFAULT,
        stop=stop,
        on_progress=lambda _: stop.set(),
    )
    outcomes = [r.outcome for r in result.results]
    assert outcomes[0] is Outcome.DONE
    assert set(outcomes[1:]) == {Outcome.SKIPPED}
    assert result.interrupted and not result.ok
    assert "interrupted" in result.summary()


def test_a_partial_apply_converges_when_run_again(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", "before_commit", times=4)
    exchange = connect(app)
    first = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert not first.ok
    second = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert second.ok
    assert plan_for(exchange, HYPERTENSION).empty
    assert len(studies_named(exchange, 20003, NAME)) == 1


# -- order and concurrency -------------------------------------------------------------


def test_a_studys_calls_run_create_then_sources_scopes_and_enrollment(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    order = [s.path.rsplit("/", 1)[-1] for s in writes(app)]
    assert order == [
        "studies",
        "data_sources",
        "data_sources",
        "scope_requests",
        "scope_requests",
        "patients",
    ]


class _InFlight:
    """Middleware that holds each request a little and records the most at once."""

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.peak = app, 0, 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            threading.Event().wait(0.02)
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.now -= 1


def test_independent_studies_are_applied_concurrently(emulator: Any, connect: Connect) -> None:
    spec = desired(*(study(f"s{n}", f"Parallel {n}") for n in range(4)))
    planner = connect(emulator)
    plan = plan_for(planner, spec)
    watched = _InFlight(emulator)
    result = apply_plan(connect(watched), plan, DEFAULT, parallelism=4)
    assert result.ok
    assert watched.peak > 1


def test_parallelism_one_applies_one_study_at_a_time(emulator: Any, connect: Connect) -> None:
    spec = desired(*(study(f"s{n}", f"Serial {n}") for n in range(3)))
    plan = plan_for(connect(emulator), spec)
    watched = _InFlight(emulator)
    assert apply_plan(connect(watched), plan, DEFAULT, parallelism=1).ok
    assert watched.peak == 1


def test_a_study_create_that_timed_out_is_not_resent(emulator: Any, connect: Connect) -> None:
    # The server committed the create but the answer came too late; the read-back can
    # miss a create the server is still finishing, so a resend could make it twice.
    posts: list[str] = []

    def slow_creates(environ: dict[str, Any], start_response: Any) -> Any:
        answer = emulator(environ, start_response)
        if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == ("POST", "/api/v1/studies"):
            posts.append("create")
            list(answer)
            raise httpx.ReadTimeout("timed out")
        return answer

    exchange = connect(slow_creates)
    hidden = connect(emulator)
    plan = plan_for(exchange, HYPERTENSION)
    # Make the committed study invisible to the read-back, as a slow server would.
    original = exchange.get

    def listing_without_new_studies(path: str, params: Any = None) -> Any:
        found = original(path, params)
        if path == "/api/v1/organizations/20003/studies":
            return [s for s in found if s["id"] < 30006]
        return found

    exchange.get = listing_without_new_studies  # type: ignore[method-assign]
    result = apply_plan(exchange, plan, DEFAULT)
    first = result.results[0]
    assert first.outcome is Outcome.FAILED
    assert "not resent" in first.reason
    assert posts == ["create"]
    assert studies_named(hidden, 20003, "Hypertension Management Study") == [30006]
