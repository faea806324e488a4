"""status: the spec's studies as the exchange has them, one column at a time.

The seeded exchange (recordings 151, 301): study 30001 asks for blood pressure, heart
rate and questionnaires; Peter and Pamela are enrolled and consented to all three, and
uploaded five observations, the newest at 2026-11-24T18:39:34.026437Z. Study 30002
asks for blood pressure and questionnaires; Pamela consented to both, Peter has not
answered; three of the observations are blood pressure.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle.render_status import render
from jhe_sync.lifecycle.status import ScopeTally, StatusReport, StudyStatus, study_status
from jhe_sync.spec.models import Desired

from .conftest import SEEDED_PERSONAL_DATA, requests, spec_text

Connect = Callable[..., Exchange]

SPEC = """
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood Pressure & Heart Rate
    organization: Lifespan Lab
    patients:
      - ll_patient_peter@example.com
      - key: pamela
        email: ll_patient_pamela@example.com
  - key: bp
    id: 30002
    name: Lifespan Study on BP
    description: Blood Pressure
    organization: Lifespan Lab
  - key: glucose
    name: Glucose Pilot
    description: Not applied yet.
    organization: Lifespan Lab
  - key: elsewhere
    name: Glucose Pilot
    description: An organization that does not exist.
    organization: Nowhere Lab
"""

NEW_PATIENT = "new_patient@example.com"


@pytest.fixture
def desired() -> Desired:
    return spec_text(SPEC)


def status_of(report: StatusReport, key: str) -> StudyStatus:
    return next(study for study in report.studies if study.key == key)


def scope(study: StudyStatus, code: str) -> ScopeTally:
    return next(tally for tally in study.scopes if tally.code == code)


def enroll_new_patient(exchange: Exchange, study_id: int = 30001) -> int:
    """A patient of Lifespan Lab enrolled in the study, with no consent and no data."""
    created = exchange.write(
        "POST",
        "/api/v1/patients",
        {
            "telecomEmail": NEW_PATIENT,
            "organizationId": 20003,
            "nameFamily": "Newcomer",
            "nameGiven": "Nora",
            "birthDate": "1990-01-02",
        },
    )
    patient_id = int(created.data["id"])
    exchange.write("POST", f"/api/v1/studies/{study_id}/patients", {"patient_ids": [patient_id]})
    return patient_id


# -- one test per column -------------------------------------------------------------------


def test_enrolled_counts_the_patients_of_each_study(exchange: Exchange, desired: Desired) -> None:
    enroll_new_patient(exchange)
    report = study_status(exchange, desired)
    assert (status_of(report, "bp-hr").enrolled, status_of(report, "bp").enrolled) == (3, 2)


def test_consented_counts_the_patients_who_said_yes_to_each_scope(
    exchange: Exchange, desired: Desired
) -> None:
    report = study_status(exchange, desired)
    assert [(t.code, t.consented) for t in status_of(report, "bp-hr").scopes] == [
        ("omh:blood-pressure:4.0", 2),
        ("omh:heart-rate:2.0", 2),
        ("QuestionnaireResponse", 2),
    ]
    assert scope(status_of(report, "bp"), "omh:blood-pressure:4.0").consented == 1


def test_declined_counts_the_patients_who_said_no(exchange: Exchange, desired: Desired) -> None:
    exchange.write(
        "POST",
        "/api/v1/patients/40001/consents",
        {
            "studyScopeConsents": [
                {
                    "studyId": 30002,
                    "scopeConsents": [
                        {
                            "codingSystem": "https://w3id.org/openmhealth",
                            "codingCode": "omh:blood-pressure:4.0",
                            "consented": False,
                        }
                    ],
                }
            ]
        },
    )
    bp = scope(status_of(study_status(exchange, desired), "bp"), "omh:blood-pressure:4.0")
    assert (bp.consented, bp.declined, bp.pending) == (1, 1, 0)


def test_pending_counts_the_patients_who_have_not_answered(
    exchange: Exchange, desired: Desired
) -> None:
    enroll_new_patient(exchange)
    report = study_status(exchange, desired)
    assert [t.pending for t in status_of(report, "bp").scopes] == [1, 1]
    assert [t.pending for t in status_of(report, "bp-hr").scopes] == [1, 1, 1]


def test_observations_counts_the_uploads_of_the_studys_scopes(
    exchange: Exchange, desired: Desired
) -> None:
    report = study_status(exchange, desired)
    assert (status_of(report, "bp-hr").observations, status_of(report, "bp").observations) == (5, 3)


def test_latest_upload_is_the_newest_observations_time(
    exchange: Exchange, desired: Desired
) -> None:
    report = study_status(exchange, desired)
    assert status_of(report, "bp-hr").latest_upload == "2026-11-24T18:39:34.026437Z"
    assert status_of(report, "bp").latest_upload == "2026-11-24T18:39:34.014902Z"


def test_no_data_lists_enrolled_patients_without_observations(
    exchange: Exchange, desired: Desired
) -> None:
    patient_id = enroll_new_patient(exchange)
    report = study_status(exchange, desired)
    assert status_of(report, "bp-hr").no_data == (f"#{patient_id}",)
    assert status_of(report, "bp").no_data == ()


# -- naming patients -------------------------------------------------------------------------


def test_a_patient_the_spec_lists_is_named_by_the_spec_label(exchange: Exchange) -> None:
    enroll_new_patient(exchange)
    desired = spec_text(
        SPEC.replace("      - ll_patient_peter", f"      - {NEW_PATIENT}\n      - ll_patient_peter")
    )
    assert status_of(study_status(exchange, desired), "bp-hr").no_data == (NEW_PATIENT,)


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_status_output_holds_no_name_birth_date_or_phone(
    exchange: Exchange, desired: Desired, output_format: str
) -> None:
    enroll_new_patient(exchange)
    stream = io.StringIO()
    render(study_status(exchange, desired), stream, output_format)
    shown = stream.getvalue()
    for detail in (*SEEDED_PERSONAL_DATA, "Newcomer", "Nora", "1990-01-02"):
        assert detail not in shown


# -- studies that are not live ------------------------------------------------------------


def test_a_study_the_exchange_does_not_have_is_listed_as_not_created(
    exchange: Exchange, desired: Desired
) -> None:
    assert status_of(study_status(exchange, desired), "glucose").state == "not created"


def test_a_study_whose_organization_is_unknown_is_listed_with_the_reason(
    exchange: Exchange, desired: Desired
) -> None:
    elsewhere = status_of(study_status(exchange, desired), "elsewhere")
    assert elsewhere.state == "unresolved"
    assert "Nowhere Lab" in elsewhere.note


def test_studies_come_in_spec_order(exchange: Exchange, desired: Desired) -> None:
    keys = [s.key for s in study_status(exchange, desired).studies]
    assert keys == ["bp-hr", "bp", "glucose", "elsewhere"]


# -- requests ----------------------------------------------------------------------------


def test_each_patients_consents_are_read_once_across_studies(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    study_status(connect(emulator), desired)
    assert requests(emulator, "GET", "/api/v1/patients/40001/consents") == 1
    assert requests(emulator, "GET", "/api/v1/patients/40002/consents") == 1


def test_status_takes_two_plus_organizations_plus_three_per_study_plus_patients(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    report = study_status(connect(emulator), desired)
    # 2 (organizations, scopes) + 1 organization + 3 x 2 studies + 2 patients, and a token
    assert report.requests == 2 + 1 + 3 * 2 + 2 + 1


def test_patients_missing_from_the_first_page_are_looked_up_one_by_one_when_cheaper(
    emulator: Any, connect: Connect, desired: Desired, scripted: Any
) -> None:
    app = scripted(emulator)
    exchange = connect(app, page_size=2)
    patient_id = enroll_new_patient(exchange)
    report = study_status(exchange, desired)
    assert status_of(report, "bp-hr").no_data == (f"#{patient_id}",)
    by_patient = [s for s in app.requests("GET", "/api/v1/observations") if "patient_id" in s.query]
    assert [s.query.count(f"patient_id={patient_id}") for s in by_patient] == [1]


def test_further_pages_are_read_when_fewer_than_the_patients_to_find(
    emulator: Any, connect: Connect, desired: Desired, scripted: Any
) -> None:
    app = scripted(emulator)
    exchange = connect(app, page_size=4)
    patient_id = enroll_new_patient(exchange)
    report = study_status(exchange, desired)
    assert status_of(report, "bp-hr").no_data == (f"#{patient_id}",)
    reads = [
        s.query for s in app.requests("GET", "/api/v1/observations") if "study_id=30001" in s.query
    ]
    assert len(reads) == 2 and "page=2" in reads[1] and "patient_id" not in reads[1]


def test_the_text_form_has_a_row_per_study_and_a_scope_table_per_live_study(
    exchange: Exchange, desired: Desired
) -> None:
    stream = io.StringIO()
    render(study_status(exchange, desired), stream, "text")
    lines = stream.getvalue().splitlines()
    assert lines[2].split() == [
        "STUDY",
        "ID",
        "ORGANIZATION",
        "ENROLLED",
        "OBSERVATIONS*",
        "LATEST",
        "UPLOAD*",
        "NO",
        "DATA",
        "YET*",
    ]
    assert lines[3].split()[:6] == ["bp-hr", "30001", "Lifespan", "Lab", "2", "5"]
    assert sum(1 for line in lines if line.split()[:1] == ["SCOPE"]) == 2


def test_the_markdown_form_has_a_summary_table_and_a_section_per_live_study(
    exchange: Exchange, desired: Desired
) -> None:
    stream = io.StringIO()
    render(study_status(exchange, desired), stream, "markdown")
    shown = stream.getvalue()
    assert "| `bp-hr` | 30001 | Lifespan Lab | 2 | 5 | 2026-11-24 18:39:34 UTC | 0 |" in shown
    assert "### `bp`: Lifespan Study on BP (id 30002)" in shown
    assert "- `glucose`: not created" in shown


def test_the_json_form_is_the_reports_dict(exchange: Exchange, desired: Desired) -> None:
    report = study_status(exchange, desired)
    stream = io.StringIO()
    render(report, stream, "json")
    assert json.loads(stream.getvalue()) == report.to_dict()
