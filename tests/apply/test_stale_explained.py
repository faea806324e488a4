"""A stale saved plan says what changed: which object, which field, before and after,
which ids came or went; from the record the plan kept of what it read."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from apply.helpers import HYPERTENSION, desired, plan_for, study
from jhe_sync.apply import check_fresh
from jhe_sync.apply.stale import explain_organization, explain_study
from jhe_sync.errors import PlanFileError, StalePlanError
from jhe_sync.exchange.client import Exchange
from jhe_sync.live import record_digest
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.serialize import content_digest, load_plan, save_plan
from jhe_sync.spec.models import PatientRef

MANAGED = desired(
    study(
        "bp-hr",
        "Lifespan Study on BP & HR",
        scope_requests=["omh:blood-pressure:4.0"],
        patients=[PatientRef(email="ll_patient_peter@example.com")],
    ),
    study("bp", "Lifespan Study on BP"),
)


def _saved(plan: Plan) -> Plan:
    stream = io.StringIO()
    save_plan(plan, stream)
    stream.seek(0)
    return load_plan(stream)


def _stale(exchange: Exchange, plan: Plan) -> list[str]:
    with pytest.raises(StalePlanError) as raised:
        check_fresh(exchange, plan)
    return str(raised.value).splitlines()[1:]


# -- through the exchange ----------------------------------------------------------------


def test_a_changed_field_is_shown_before_and_after(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("PATCH", "/api/v1/studies/30001", {"description": "Edited in the console"})
    assert _stale(exchange, plan) == [
        '  study 30001: description "Blood Pressure & Heart Rate" -> "Edited in the console"'
    ]


def test_links_added_and_removed_are_named_by_id(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("POST", "/api/v1/studies/30001/scope_requests", {"scope_code_id": 50001})
    exchange.write("DELETE", "/api/v1/studies/30001/patients", {"patient_ids": [40002]})
    assert _stale(exchange, plan) == [
        "  study 30001: scope requests: 50001 added",
        "  study 30001: patients: 40002 removed",
    ]


def test_a_deleted_study_is_said_to_be_deleted(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("DELETE", "/api/v1/studies/30002")
    assert _stale(exchange, plan) == [
        "  study 30002 was deleted",
        '  organization 20003: study 30002 "Lifespan Study on BP" is gone',
    ]


def test_a_study_created_since_the_plan_is_named_in_its_organization(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, HYPERTENSION))
    created = exchange.write(
        "POST",
        "/api/v1/studies",
        {"name": "Hypertension Management Study", "description": "d", "organization": 20003},
    ).data["id"]
    assert _stale(exchange, plan) == [
        f'  organization 20003: study {created} "Hypertension Management Study" appeared'
    ]


def test_the_record_is_checked_against_its_fingerprint_when_loaded(exchange: Exchange) -> None:
    stream = io.StringIO()
    save_plan(plan_for(exchange, MANAGED), stream)
    data = json.loads(stream.getvalue())
    data["read"]["study:30002"]["study"]["description"] = "not what was read"
    data["digest"] = content_digest(data)
    with pytest.raises(PlanFileError, match=r"record of study:30002 .* does not match"):
        load_plan(io.StringIO(json.dumps(data)))


def test_a_saved_plan_records_patients_by_id_only(exchange: Exchange) -> None:
    plan = plan_for(exchange, MANAGED)
    stream = io.StringIO()
    save_plan(plan, stream)
    assert plan.read["study:30001"]["links"]["patient_ids"] == [40001, 40002]
    assert "ll_patient" not in stream.getvalue().split('"read"')[1]


# -- the explanations alone ---------------------------------------------------------------


def _record(**fields: Any) -> dict[str, Any]:
    study = {"id": 1, "name": "S", "description": "D", "organization_id": 20003, "icon_url": None}
    links = {"scope_ids": [1, 2], "data_source_ids": None, "client_ids": [], "patient_ids": [7]}
    links |= {k: v for k, v in fields.items() if k.endswith("_ids")}
    study |= {k: v for k, v in fields.items() if not k.endswith("_ids")}
    return {"study": study, "links": links}


@pytest.mark.parametrize(
    ("after", "line"),
    [
        (_record(name="T"), 'study 1: name "S" -> "T"'),
        (
            _record(icon_url="https://x.example/i.png"),
            'study 1: icon URL (none) -> "https://x.example/i.png"',
        ),
        (_record(organization_id=20006), "study 1 moved from organization 20003 to 20006"),
        (_record(scope_ids=[2, 3]), "study 1: scope requests: 3 added, 1 removed"),
        (_record(client_ids=[5]), "study 1: clients: 5 added"),
        (
            _record(patient_ids=list(range(7, 20))),
            "study 1: patients: 8, 9, 10, 11, 12 and 7 more added",
        ),
        (_record(description="x" * 100), f'study 1: description "D" -> "{"x" * 59}…"'),
    ],
    ids=["name", "icon", "moved", "scopes", "clients", "many-patients", "long-text"],
)
def test_each_kind_of_difference_is_one_line(after: dict[str, Any], line: str) -> None:
    assert explain_study(1, _record(), after) == [line]


def test_a_set_the_plan_did_not_read_is_not_compared() -> None:
    assert explain_study(1, _record(), _record(data_source_ids=[9])) == []


def test_an_organization_lists_studies_that_appeared_left_or_were_renamed() -> None:
    before = [[1, "A"], [2, "B"]]
    after = [[2, "B2"], [3, "C"]]
    assert explain_organization(20003, before, after) == [
        'organization 20003: study 3 "C" appeared',
        'organization 20003: study 1 "A" is gone',
        'organization 20003: study 2 renamed "B" -> "B2"',
    ]


def test_records_and_fingerprints_agree() -> None:
    record = _record()
    assert record_digest(record) == record_digest(dict(reversed(list(record.items()))))
