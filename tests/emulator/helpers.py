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
