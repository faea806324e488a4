"""The json form of an apply's result: versioned, documented, one entry per change with its
outcome and the ids the exchange gave, for every way an apply ends."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from plan.schema_check import errors

from apply.helpers import ALLOW_ALL, DEFAULT, HYPERTENSION, desired, plan_for, studies_named, study
from jhe_sync.apply import ApplyResult, apply_plan
from jhe_sync.apply.results import APPLY_FORMAT_VERSION, Status
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.plan import PLAN_FORMAT_VERSION

SCHEMA = json.loads((Path(__file__).parents[2] / "specs" / "apply.schema.json").read_text())
NAME = "Hypertension Management Study"


def _fits(document: dict[str, Any]) -> dict[str, Any]:
    assert errors(json.loads(json.dumps(document)), SCHEMA) == []
    return document


def test_a_complete_apply_reports_every_change_done_with_the_created_studys_id(
    exchange: Exchange,
) -> None:
    plan = plan_for(exchange, HYPERTENSION)
    document = _fits(apply_plan(exchange, plan, DEFAULT).to_dict())
    [created] = studies_named(exchange, 20003, NAME)
    assert document["status"] == "complete"
    assert [r["outcome"] for r in document["results"]] == ["done"] * 6
    assert {r["ids"]["study_id"] for r in document["results"]} == {created}
    assert [r["change"] for r in document["results"]] == [c.to_dict() for c in plan.changes]
    summary = document["summary"]
    assert (summary["changes"], summary["done"], summary["failed"], summary["writes"]) == (
        6,
        6,
        0,
        6,
    )


def test_a_failed_change_says_why_and_the_changes_after_it_say_they_were_skipped(
    emulator: Any, scripted: Any, connect: Any
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies", "before_commit", status=400)
    exchange = connect(app)
    document = _fits(apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT).to_dict())
    assert document["status"] == "incomplete"
    first, *rest = document["results"]
    assert (first["outcome"], first["ids"]) == ("failed", {})
    assert "answered 400" in first["reason"]
    assert {(r["outcome"], r["reason"]) for r in rest} == {
        ("skipped", "not attempted: the study create did not succeed")
    }


def test_a_plan_the_safeguards_refuse_is_reported_with_nothing_attempted(
    exchange: Exchange,
) -> None:
    plan = plan_for(exchange, desired(study("bp", "Lifespan Study on BP", state="absent")))
    refusals = tuple(plan.refusals(DEFAULT))
    document = _fits(ApplyResult.not_attempted(plan, refusals=refusals).to_dict())
    assert document["status"] == "refused"
    assert document["refusals"] == [str(refusal) for refusal in refusals] and refusals
    [deleted] = document["results"]
    assert (deleted["outcome"], deleted["ids"]) == ("skipped", {"study_id": 30002})
    assert document["summary"]["writes"] == 0


def test_changes_declined_at_the_prompt_are_reported_as_not_approved(exchange: Exchange) -> None:
    plan = plan_for(exchange, HYPERTENSION)
    document = _fits(ApplyResult.not_attempted(plan, declined=True).to_dict())
    assert document["status"] == "declined"
    assert {r["reason"] for r in document["results"]} == {
        "not attempted: the changes were not approved"
    }


def test_an_interrupted_apply_says_so(exchange: Exchange) -> None:
    stop = threading.Event()
    stop.set()
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), ALLOW_ALL, stop=stop)
    document = _fits(result.to_dict())
    assert result.status is Status.INTERRUPTED
    assert document["status"] == "interrupted" and document["summary"]["skipped"] == 6


def test_an_empty_plan_is_a_complete_apply_of_nothing(exchange: Exchange) -> None:
    apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    document = _fits(apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT).to_dict())
    assert (document["status"], document["results"]) == ("complete", [])


def test_the_result_names_its_format_and_the_plans() -> None:
    document = ApplyResult(()).to_dict()
    assert (document["format_version"], document["plan_format_version"]) == (
        APPLY_FORMAT_VERSION,
        PLAN_FORMAT_VERSION,
    )
    assert SCHEMA["properties"]["format_version"]["const"] == APPLY_FORMAT_VERSION


@pytest.mark.parametrize("status", list(Status))
def test_the_schema_lists_every_status(status: Status) -> None:
    assert status.value in SCHEMA["properties"]["status"]["enum"]


def test_the_schema_check_follows_a_change_into_the_plan_schema(exchange: Exchange) -> None:
    document = ApplyResult.not_attempted(plan_for(exchange, HYPERTENSION), declined=True).to_dict()
    document["results"][0]["change"]["surprise"] = 1
    assert errors(document, SCHEMA) == ["$.results[0].change: unexpected key 'surprise'"]
