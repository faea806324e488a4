"""No token, client secret or patient detail reaches a log line, at any verbosity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from jhe_sync.exchange.client import Exchange
from jhe_sync.local import LOCAL_BASE_URL, LocalTransport
from jhe_sync.snapshot import read_live
from jhe_sync.spec.models import Desired, PatientRef, StudySpec

Connect = Callable[..., Exchange]
SEED_SECRET = "Jhe1234!"
MARYS_APPLICATION = 6
"""The Application pk of manager_mary's practitioner API client (jhe-contract 137)."""


def _raw(app: Any, client_id: str, secret: str) -> httpx.Client:
    """A bare client that sees what the server really sends, secrets included."""
    client = httpx.Client(base_url=LOCAL_BASE_URL, transport=LocalTransport(app))
    token = client.post(
        "/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def leaked_secrets(emulator: Any) -> list[str]:
    """Link mary's own API client to a study, as a viewer did in the recordings, and
    collect every ``clientSecret`` the study-clients endpoint then leaks."""
    raw = _raw(emulator, "manager_mary", SEED_SECRET)
    try:
        raw.post("/api/v1/studies/30001/clients", json={"client_id": MARYS_APPLICATION})
        answer = raw.get("/api/v1/studies/30001/clients").json()
    finally:
        raw.close()
    secrets = [entry["client"]["clientSecret"] for entry in answer]
    assert SEED_SECRET in secrets, (
        "the emulator no longer leaks the plaintext secret as the server does"
    )
    return secrets


SPEC = Desired(
    studies=[
        StudySpec(
            key="bp-hr",
            name="Lifespan Study on BP & HR",
            description="Blood Pressure & Heart Rate",
            organization="Lifespan Lab",
            scope_requests=[],
            data_sources=[],
            clients=[],
            patients=[PatientRef(email="ll_patient_peter@example.com")],
        )
    ]
)

PATIENT_DETAILS = ("Taylor", "LlPatientPeter", "1992-12-22", "+1-581-073-5472")


def test_no_secret_reaches_the_log_at_the_highest_verbosity(
    emulator: Any,
    scripted: Any,
    connect: Connect,
    leaked_secrets: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = scripted(emulator).fail("GET", "/api/v1/organizations", "unauthorized")
    app.fail("GET", "/api/v1/studies/30001/clients", "before_commit", status=503)
    exchange = connect(app, token="an-old-token-value")
    live = read_live(exchange, SPEC)
    current = exchange._token  # the token it holds now: never logged either
    assert current and caplog.records
    for secret in [*leaked_secrets, current, "an-old-token-value", SEED_SECRET]:
        assert secret not in caplog.text
        assert secret not in repr(live)


def test_each_request_is_logged_with_method_path_status_and_time(
    exchange: Exchange, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jhe_sync")
    exchange.get("/api/v1/users/profile")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("jhe_sync")]
    assert any(m.startswith("POST /o/token/ -> 200 (") for m in messages)
    assert any(
        m.startswith("GET /api/v1/users/profile -> 200 (") and m.endswith(" ms)") for m in messages
    )


def test_a_patients_email_in_a_lookup_is_not_logged(
    exchange: Exchange, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jhe_sync")
    exchange.get("/api/v1/patients/global_lookup", {"email": "npl_patient_percy@example.com"})
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("jhe_sync")]
    assert "GET /api/v1/patients/global_lookup?email=<redacted> -> 200" in " ".join(ours)
    assert not any("npl_patient_percy" in message for message in ours)


def test_patient_details_are_never_kept_in_the_snapshot(exchange: Exchange) -> None:
    live = read_live(exchange, SPEC)
    for detail in PATIENT_DETAILS:
        assert detail not in repr(live)


def test_an_error_message_never_holds_the_token(
    emulator: Any, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exchange = connect(emulator)
    with pytest.raises(Exception) as raised:
        exchange.get("/api/v1/studies/abc")
    assert exchange._token and exchange._token not in str(raised.value)
