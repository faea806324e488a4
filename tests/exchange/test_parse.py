"""Parsing drops what must never be kept and rejects answers of the wrong shape.

The inputs are the shapes of the recorded exchanges (jhe-contract 040, 052, 056, 125,
138, 142, 151).
"""

from __future__ import annotations

from typing import Any

import pytest

from jhe_sync.errors import ProtocolError
from jhe_sync.exchange import parse
from jhe_sync.live import ScopeConsent

LEAKED = "plaintext-client-secret-of-mary"

PATIENT: dict[str, Any] = {
    "id": 40001,
    "jheUserId": 10006,
    "identifiers": [{"id": 2, "system": "urn:oid:1.2.3.4", "value": "E1234"}],
    "nameFamily": "Taylor",
    "nameGiven": "LlPatientPeter",
    "birthDate": "1992-12-22",
    "telecomPhone": "+1-581-073-5472",
    "telecomEmail": "ll_patient_peter@example.com",
    "organizations": [{"id": 20003, "name": "Lifespan Lab", "type": "laboratory", "partOf": 20002}],
}


def _study_client(application_id: int) -> dict[str, Any]:
    return {
        "id": 11,
        "study": {"id": 30006, "name": "probe", "organization": 20003, "patients": []},
        "client": {
            "id": application_id,
            "client_id": "urw6UNOgVgpWOeRu",
            "clientSecret": LEAKED,
            "hashClientSecret": False,
            "name": "_practitioner_client_80002",
            "user": 10002,
        },
    }


def test_study_clients_keep_only_the_application_ids() -> None:
    ids = parse.link_ids([_study_client(1), _study_client(6)], "clients", "GET /x")
    assert ids == frozenset({1, 6})
    assert LEAKED not in repr(ids)


def _scope_request(patients: Any) -> dict[str, Any]:
    study = {"id": 30001, "name": "BP", "organization": 20003, "patients": patients}
    return {"id": 1, "study": study, "scopeCode": {"id": 50002, "codingCode": "omh:x:1"}}


def test_a_link_answer_nests_the_ids_of_the_studys_enrolled_patients() -> None:
    answer = [_scope_request([40001, 40002]), _scope_request([40001, 40002])]
    assert parse.nested_enrollment(answer, "GET /x") == frozenset({40001, 40002})


def test_an_empty_link_answer_nests_no_enrollments_rather_than_none() -> None:
    assert parse.nested_enrollment([], "GET /x") is None


def test_a_nested_study_without_patients_tells_nothing_of_its_enrollments() -> None:
    entry = _scope_request([])
    del entry["study"]["patients"]
    assert parse.nested_enrollment([entry], "GET /x") is None


@pytest.mark.parametrize("bad", ["40001", [40001, "40002"], [True], {"id": 40001}])
def test_nested_patient_ids_of_the_wrong_type_are_a_protocol_error(bad: Any) -> None:
    with pytest.raises(ProtocolError, match="GET /x"):
        parse.nested_enrollment([_scope_request(bad)], "GET /x")


def test_a_patient_keeps_no_name_birth_date_or_phone() -> None:
    patient = parse.patient(PATIENT, "GET /api/v1/patients")
    shown = repr(patient)
    for detail in ("Taylor", "LlPatientPeter", "1992-12-22", "+1-581-073-5472"):
        assert detail not in shown
    assert patient.email == "ll_patient_peter@example.com"
    assert patient.organization_ids == frozenset({20003})
    assert patient.identifiers[0].value == "E1234"


def test_a_study_from_a_list_has_its_organization_nested() -> None:
    study = parse.study(
        {
            "id": 30001,
            "name": "Lifespan Study on BP & HR",
            "description": "Blood Pressure & Heart Rate",
            "organization": {"id": 20003, "name": "Lifespan Lab", "type": "laboratory"},
            "iconUrl": None,
        },
        "GET /api/v1/studies",
    )
    assert (study.id, study.organization_id, study.icon_url) == (30001, 20003, None)


def test_a_study_from_a_write_answer_has_its_organization_as_an_id() -> None:
    study = parse.study(
        {
            "id": 30006,
            "name": "A",
            "description": "d",
            "organization": 20003,
            "iconUrl": "https://x/a.png",
        },
        "POST /api/v1/studies",
    )
    assert (study.organization_id, study.icon_url) == (20003, "https://x/a.png")


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "30001", "name": "x", "organization": 20003},
        {"id": 30001, "name": None, "organization": 20003},
        {"id": 30001, "name": "x", "organization": "Lifespan Lab"},
        ["not", "an", "object"],
    ],
)
def test_a_study_of_the_wrong_shape_is_a_protocol_error_naming_the_endpoint(bad: Any) -> None:
    with pytest.raises(ProtocolError, match=r"GET /api/v1/studies\?organization_id=20003"):
        parse.study(bad, "GET /api/v1/studies?organization_id=20003")


def test_a_list_endpoint_that_answers_an_object_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="expected a list"):
        parse.organizations({"detail": "oops"}, "GET /api/v1/organizations")


def test_data_sources_keep_their_supported_scope_ids() -> None:
    sources = parse.data_sources(
        [
            {
                "id": 70001,
                "name": "CareX",
                "type": "personal_device",
                "supportedScopes": [
                    {
                        "id": 50002,
                        "codingSystem": "s",
                        "codingCode": "omh:blood-pressure:4.0",
                        "text": "BP",
                    },
                    {
                        "id": 50004,
                        "codingSystem": "s",
                        "codingCode": "omh:heart-rate:2.0",
                        "text": "HR",
                    },
                ],
            }
        ],
        "GET /api/v1/data_sources",
    )
    assert sources[70001].supported_scope_ids == frozenset({50002, 50004})


def test_organizations_keep_the_callers_role() -> None:
    orgs = parse.organizations(
        [
            {
                "id": 20003,
                "name": "Lifespan Lab",
                "type": "laboratory",
                "partOf": 20002,
                "currentUserRole": "manager",
            },
            {"id": 0, "name": "ROOT", "type": "root", "partOf": None, "currentUserRole": None},
        ],
        "GET /api/v1/organizations",
    )
    assert orgs[20003].role == "manager"
    assert orgs[0].part_of is None


def test_consents_hold_answers_and_pending_requests_per_study_and_scope() -> None:
    code = {"codingSystem": "s", "codingCode": "c", "text": "t"}
    data = {
        "patient": PATIENT,
        "studies": [
            {"id": 30001, "scopeConsents": [{"code": {"id": 50002, **code}, "consented": True}]}
        ],
        "studiesPendingConsent": [
            {
                "id": 30002,
                "pendingScopeConsents": [{"code": {"id": 50011, **code}, "consented": None}],
            }
        ],
    }
    assert parse.consents(data, "GET /api/v1/patients/40001/consents") == (
        ScopeConsent(study_id=30001, scope_id=50002, consented=True),
        ScopeConsent(study_id=30002, scope_id=50011, consented=None),
    )
