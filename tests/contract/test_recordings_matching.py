"""The comparison of an emulator answer with a recording is strict where it should be."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contract.recordings import compare_json, compare_response

STUDY = {
    "id": 30001,
    "name": "Lifespan Study on BP & HR",
    "iconUrl": None,
    "lastUpdated": "2026-11-24T18:35:54.173571Z",
}


@pytest.mark.parametrize(
    ("answered", "why"),
    [
        ({**STUDY, "id": 30002}, "an id differs"),
        ({**STUDY, "name": "Lifespan"}, "a name differs"),
        ({**STUDY, "iconUrl": ""}, "null is not an empty string"),
        ({**STUDY, "extra": 1}, "a key too many"),
        ({k: v for k, v in STUDY.items() if k != "iconUrl"}, "a key missing"),
        ({**STUDY, "lastUpdated": "yesterday"}, "a timestamp that is not one"),
        ({**STUDY, "id": "30001"}, "a number sent as a string"),
    ],
)
def test_a_difference_is_reported(answered: dict[str, Any], why: str) -> None:
    assert compare_json(STUDY, answered), why


@pytest.mark.parametrize(
    ("recorded", "answered"),
    [
        ({"key": "<redacted>"}, {"key": "bWFyeTpKaGUxMjM0IQ=="}),
        ({"created": "2026-11-24T18:36:05.337155Z"}, {"created": "2027-01-01T00:00:00.000001Z"}),
        ({"nameFamily": "Taylor"}, {"nameFamily": "Perkins"}),
        (
            {"name": "_practitioner_client_80002_20261124183611"},
            {"name": "_practitioner_client_80002_20270101120000"},
        ),
        (
            {"client_id": "urw6UNOgVgpWOeRu", "hashClientSecret": False},
            {"client_id": "manager_mary", "hashClientSecret": False},
        ),
    ],
)
def test_values_random_on_the_real_server_match_any_value_of_their_type(
    recorded: dict[str, Any], answered: dict[str, Any]
) -> None:
    assert compare_json(recorded, answered) == []


@pytest.mark.parametrize(
    ("recorded", "answered"),
    [
        ({"key": "<redacted>"}, {"key": 1}),
        ({"nameFamily": "Taylor"}, {"nameFamily": None}),
        (
            {"name": "_practitioner_client_80002_20261124183611"},
            {"name": "_practitioner_client_80003_20261124183611"},
        ),
        (
            {"client_id": "LamKIXB4kFPgr1Uaa19jck5nHMOX7gr5Bmt0r01S", "hashClientSecret": True},
            {"client_id": "x", "hashClientSecret": True},
        ),
    ],
)
def test_the_exceptions_stay_narrow(recorded: dict[str, Any], answered: dict[str, Any]) -> None:
    assert compare_json(recorded, answered)


def test_a_500_page_is_compared_by_exception_name_path_and_value() -> None:
    recording = {
        "response": {
            "status": 500,
            "headers": {"content-type": "text/html; charset=utf-8"},
            "body": "<!DOCTYPE html>...",
            "body_summary": {
                "html_title": "KeyError at /api/v1/studies/30006/patients",
                "exception_value": "'patient_ids'",
            },
        }
    }
    page = '<title>KeyError\n  at /api/v1/studies/30006/patients</title><pre class="exception_value">&#x27;patientIds&#x27;</pre>'
    answered = httpx.Response(500, headers={"content-type": "text/html; charset=utf-8"}, text=page)
    assert [m.where for m in compare_response(recording, answered)] == ["exception value"]
