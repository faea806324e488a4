"""Every seeded user can log in with the client-credentials grant, as the CLI tells them."""

from __future__ import annotations

import httpx
import pytest

from jhe_sync.emulator import SEED_PASSWORD, EmulatorApp, seeded_credentials

CREDENTIALS = seeded_credentials()


def test_every_seeded_user_is_listed_once() -> None:
    client_ids = [client_id for client_id, _email, _role in CREDENTIALS]
    assert len(client_ids) == len(set(client_ids)) == 11
    assert {"manager_mary", "viewer_victor", "ll_patient_peter", "admin"} <= set(client_ids)


@pytest.mark.parametrize(
    ("client_id", "email", "role"), CREDENTIALS, ids=[c[0] for c in CREDENTIALS]
)
def test_a_seeded_api_client_gets_a_token_acting_as_its_user(
    app: EmulatorApp, client_id: str, email: str, role: str
) -> None:
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://localhost"
    ) as client:
        token = client.post(
            "/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, SEED_PASSWORD)
        )
        profile = client.get(
            "/api/v1/users/profile",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert profile.json()["email"] == email


def test_form_fields_authenticate_the_client_too(app: EmulatorApp) -> None:
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://localhost"
    ) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": "member_megan",
            "client_secret": SEED_PASSWORD,
        }
        assert client.post("/o/token/", data=form).status_code == 200


def test_tokens_are_opaque_and_distinct(app: EmulatorApp) -> None:
    first, second = app.issue_token("manager_mary"), app.issue_token("manager_mary")
    assert first != second
    assert "manager_mary" not in first and len(first) >= 30
