"""Behaviours the recordings do not show one by one but FINDINGS states, and the seams tests use."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from emulator.helpers import PROFILE, MakeApp, client_for
from jhe_sync.emulator import EmulatorApp


def test_new_ids_continue_from_the_seed(client: httpx.Client) -> None:
    study = client.post(
        "/api/v1/studies", json={"name": "n", "description": "d", "organization": 20003}
    )
    patient = client.post(
        "/api/v1/patients", json={"telecomEmail": "new@example.com", "organizationId": 20003}
    )
    assert (study.json()["id"], patient.json()["id"], patient.json()["jheUserId"]) == (
        30006,
        40006,
        10012,
    )


def test_query_parameters_are_accepted_in_camel_case(client: httpx.Client) -> None:
    page = client.get("/api/v1/studies", params={"organizationId": 20006, "pageSize": 1}).json()
    assert page["count"] == 0
    page = client.get("/api/v1/organizations", params={"pageSize": 1}).json()
    assert len(page["results"]) == 1


def test_listing_patients_without_a_study_forgets_the_current_study(client: httpx.Client) -> None:
    assert client.get(PROFILE).json()["settings"]["currentStudyId"] == 30001
    client.get("/api/v1/patients", params={"organization_id": 20003})
    assert "currentStudyId" not in client.get(PROFILE).json()["settings"]


def test_the_request_log_tells_reads_from_committed_writes(
    app: EmulatorApp, client: httpx.Client
) -> None:
    client.get("/api/v1/studies/30001/scope_requests")
    client.post("/api/v1/studies/30001/scope_requests", json={"scope_code_id": 50003})
    client.post("/api/v1/studies/30001/scope_requests", json={"scope_code_id": 50003})
    assert [(r.method, r.status, r.committed) for r in app.request_log] == [
        ("GET", 200, False),
        ("POST", 201, True),
        ("POST", 500, True),  # the duplicate spent a sequence value, as PostgreSQL does
    ]


def test_concurrent_writes_from_threads_all_land(app: EmulatorApp) -> None:
    clients = [client_for(app) for _ in range(8)]
    barrier = threading.Barrier(8)

    def add(args: tuple[httpx.Client, int]) -> int:
        client, scope = args
        barrier.wait()
        return client.post(
            "/api/v1/studies/30004/scope_requests", json={"scope_code_id": scope}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, zip(clients, range(50008, 50016), strict=True)))
    linked = {
        link["scopeCode"]["id"]
        for link in clients[0].get("/api/v1/studies/30004/scope_requests").json()
    }
    for client in clients:
        client.close()
    assert statuses == [201] * 8
    assert set(range(50008, 50016)) <= linked


def test_head_answers_like_get_without_a_body(client: httpx.Client) -> None:
    response = client.head(PROFILE)
    assert (response.status_code, response.content) == (200, b"")


def test_in_a_file_database_a_read_neither_waits_for_a_write_in_progress_nor_sees_it(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(db=str(tmp_path / "exchange.db"))
    with client_for(app) as client, ThreadPoolExecutor(max_workers=1) as pool:
        with app.database.transaction() as writing:
            writing.store.run("UPDATE core_study SET name = 'half-written' WHERE id = 30001")
            read = pool.submit(lambda: client.get("/api/v1/studies/30001"))
            answer = read.result(timeout=10)  # the writer is still open
        after = client.get("/api/v1/studies/30001").json()["name"]
    assert (answer.status_code, answer.json()["name"]) == (200, "Lifespan Study on BP & HR")
    assert after == "half-written"


@pytest.mark.parametrize("db", [":memory:", "file"])
def test_reads_run_beside_each_other(make_app: MakeApp, tmp_path: Path, db: str) -> None:
    app = make_app(db=db if db == ":memory:" else str(tmp_path / "exchange.db"))
    with (
        client_for(app) as client,
        ThreadPoolExecutor(max_workers=1) as pool,
        app.database.transaction(write=False) as reading,
    ):
        reading.store.all("SELECT * FROM core_study")
        other = pool.submit(lambda: client.get("/api/v1/organizations"))
        assert other.result(timeout=10).status_code == 200  # the first read is still open


def test_a_read_only_transaction_refuses_to_write(app: EmulatorApp) -> None:
    with (
        pytest.raises(sqlite3.OperationalError, match="readonly"),
        app.database.transaction(write=False) as reading,
    ):
        reading.store.run("DELETE FROM core_study")
    with app.database.transaction() as writing:
        assert writing.store.scalar("SELECT COUNT(*) FROM core_study") == 5
