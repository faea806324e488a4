"""Every organization, role, practitioner and patient-membership write meets the faults
the study writes meet: nothing written before the commit, everything written after it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulator.helpers import MakeApp, client_for
from jhe_sync.emulator import DroppedConnection, EmulatorApp, FaultConfig

Observe = Callable[[httpx.Client], Any]


@dataclass(frozen=True)
class Write:
    name: str
    client_id: str
    method: str
    path: str
    body: dict[str, Any] | None
    observe: Observe  # a read, as the superuser, whose answer the write changes


def _ids(client: httpx.Client, path: str, key: str = "id") -> list[Any]:
    answer = client.get(path).json()
    items = answer["results"] if isinstance(answer, dict) else answer
    return [item[key] for item in items]


def _patient_organizations(patient: int) -> Observe:
    def observe(client: httpx.Client) -> Any:
        answer = client.get(f"/api/v1/patients/{patient}")
        return answer.status_code, [o["id"] for o in answer.json().get("organizations", [])]

    return observe


WRITES = [
    Write(
        "create an organization",
        "manager_mary",
        "POST",
        "/api/v1/organizations",
        {"name": "Lab", "type": "team", "part_of": 20003},
        lambda c: _ids(c, "/api/v1/organizations?part_of=20003"),
    ),
    Write(
        "rename an organization",
        "manager_mary",
        "PATCH",
        "/api/v1/organizations/20003",
        {"name": "Renamed"},
        lambda c: c.get("/api/v1/organizations/20003").json()["name"],
    ),
    Write(
        "delete an organization",
        "manager_mary",
        "DELETE",
        "/api/v1/organizations/20003",
        None,
        lambda c: (c.get("/api/v1/organizations/20003").status_code, _ids(c, "/api/v1/studies")),
    ),
    Write(
        "give a practitioner a role",
        "manager_mary",
        "POST",
        "/api/v1/organizations/20003/user",
        {"jhe_user_id": 10008, "organization_partitioner_role": "viewer"},
        lambda c: _ids(c, "/api/v1/organizations/20003/users", "role"),
    ),
    Write(
        "remove a practitioner",
        "manager_mary",
        "DELETE",
        "/api/v1/organizations/20003/remove_user",
        {"jhe_user_id": 10004},
        lambda c: _ids(c, "/api/v1/organizations/20003/users"),
    ),
    Write(
        "create a practitioner",
        "admin",
        "POST",
        "/api/v1/practitioners",
        {"telecom_email": "new@example.com", "organization_id": 20003},
        lambda c: _ids(c, "/api/v1/practitioners"),
    ),
    Write(
        "rename a practitioner",
        "admin",
        "PATCH",
        "/api/v1/practitioners/80003",
        {"name_family": "Renamed"},
        lambda c: c.get("/api/v1/practitioners/80003").json()["nameFamily"],
    ),
    Write(
        "delete a practitioner",
        "admin",
        "DELETE",
        "/api/v1/practitioners/80004",
        None,
        lambda c: _ids(c, "/api/v1/users?page_size=100"),
    ),
    Write(
        "create a patient",
        "manager_mary",
        "POST",
        "/api/v1/patients",
        {"telecom_email": "new@example.com", "organization_id": 20003},
        lambda c: _ids(c, "/api/v1/patients/global_lookup?email=new@example.com"),
    ),
    Write(
        "add a patient to an organization",
        "viewer_victor",
        "PATCH",
        "/api/v1/patients/40003/global_add_organization?organization_id=20003",
        None,
        _patient_organizations(40003),
    ),
    Write(
        "remove a patient from an organization",
        "three_org_tom",  # manager of 20008
        "DELETE",
        "/api/v1/patients/40005?organization_id=20008",
        None,
        _patient_organizations(40005),
    ),
]

BEFORE_COMMIT = ["error_before_commit", "drop", "rate_limit"]
AFTER_COMMIT = ["error_after_commit", "drop_after_commit"]


def _send(app: EmulatorApp, write: Write) -> int | None:
    """The status of the write, or None when the connection was dropped."""
    with client_for(app, write.client_id) as client:
        try:
            return client.request(write.method, write.path, json=write.body).status_code
        except DroppedConnection:
            return None


def _observe(app: EmulatorApp, write: Write) -> Any:
    with client_for(app, "admin") as admin:
        return write.observe(admin)


def _written(make_app: MakeApp, write: Write) -> Any:
    """What the read shows after the write succeeded without faults."""
    app = make_app()
    assert _send(app, write) in (200, 201, 204)
    return _observe(app, write)


@pytest.mark.parametrize("kind", BEFORE_COMMIT)
@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_fault_before_the_commit_writes_nothing(
    make_app: MakeApp, write: Write, kind: str
) -> None:
    app = make_app()
    untouched = _observe(app, write)
    assert _written(make_app, write) != untouched, "the write must show in the read"
    app.faults = FaultConfig(**{kind: 1.0})
    status = _send(app, write)
    app.faults = FaultConfig()
    assert status in (None, 429, 500)
    assert _observe(app, write) == untouched
    assert app.request_log[-1].committed is False


@pytest.mark.parametrize("kind", AFTER_COMMIT)
@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_fault_after_the_commit_hides_a_complete_write(
    make_app: MakeApp, write: Write, kind: str
) -> None:
    app = make_app()
    app.faults = FaultConfig(**{kind: 1.0})
    status = _send(app, write)
    app.faults = FaultConfig()
    assert status in (None, 500)
    assert app.request_log[-1].committed is True
    assert _observe(app, write) == _written(make_app, write)


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_latency_delays_the_write_too(make_app: MakeApp, write: Write) -> None:
    app = make_app(faults=FaultConfig(latency_ms=30))
    with client_for(app, write.client_id) as client:
        response = client.request(write.method, write.path, json=write.body)
    assert response.status_code in (200, 201, 204)
    assert response.elapsed.total_seconds() >= 0.03
