"""Helpers for the emulator's own tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jhe_sync.emulator import EmulatorApp

MakeApp = Callable[..., EmulatorApp]

SCOPES_30001 = "/api/v1/studies/30001/scope_requests"
PROFILE = "/api/v1/users/profile"


def client_for(app: EmulatorApp, client_id: str = "manager_mary") -> httpx.Client:
    """An httpx client to ``app`` in process, authenticated as a seeded user's API client."""
    token = app.issue_token(client_id)
    return httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {token}"},
    )


def scope_ids(client: httpx.Client, path: str = SCOPES_30001) -> list[int]:
    return [link["scopeCode"]["id"] for link in client.get(path).json()]


def create_organization(client: httpx.Client, name: str, part_of: int | None) -> int:
    """A new organization's id (type ``team``), created as ``client``'s user."""
    body: dict[str, object] = {"name": name, "type": "team"}
    if part_of is not None:
        body["part_of"] = part_of
    response = client.post("/api/v1/organizations", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def create_study(client: httpx.Client, organization: int, name: str = "study") -> int:
    response = client.post(
        "/api/v1/studies", json={"name": name, "description": "d", "organization": organization}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
