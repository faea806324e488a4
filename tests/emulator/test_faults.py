"""Injected faults: each kind does what it says, and a seed replays the same sequence."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from emulator.helpers import PROFILE, SCOPES_30001, MakeApp, client_for, scope_ids
from jhe_sync.emulator import DroppedConnection, EmulatorApp, FaultConfig

ADD_BODY_TEMPERATURE = {"scope_code_id": 50003}


def _outcomes(app: EmulatorApp, count: int = 60) -> list[str]:
    """What each of a fixed series of reads and writes met: a status, or 'dropped'."""
    seen = []
    with client_for(app) as client:
        for i in range(count):
            try:
                if i % 2:
                    response = client.get(PROFILE)
                else:
                    body = {"name": f"study {i}", "description": "d", "organization": 20003}
                    response = client.post("/api/v1/studies", json=body)
                seen.append(str(response.status_code))
            except DroppedConnection:
                seen.append("dropped")
    return seen


MIXED = dict(
    rate_limit=0.15,
    drop=0.1,
    error_before_commit=0.15,
    error_after_commit=0.15,
    drop_after_commit=0.1,
)


def test_the_same_seed_replays_the_same_faults(make_app: MakeApp) -> None:
    first = _outcomes(make_app(faults=FaultConfig(seed=7, **MIXED)))
    second = _outcomes(make_app(faults=FaultConfig(seed=7, **MIXED)))
    assert first == second
    assert {"429", "500", "dropped", "200", "201"} <= set(first)


def test_another_seed_gives_another_sequence(make_app: MakeApp) -> None:
    assert _outcomes(make_app(faults=FaultConfig(seed=7, **MIXED))) != _outcomes(
        make_app(faults=FaultConfig(seed=8, **MIXED))
    )


def test_latency_delays_every_answer(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(latency_ms=40))
    with client_for(app) as client:
        started = time.perf_counter()
        client.get(PROFILE)
        assert time.perf_counter() - started >= 0.04


def test_concurrent_requests_wait_out_their_latency_together(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(latency_ms=60))
    clients = [client_for(app) for _ in range(8)]
    barrier = threading.Barrier(8)

    def read(client: httpx.Client) -> int:
        barrier.wait()
        return client.get(SCOPES_30001).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(read, clients))
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    assert statuses == [200] * 8
    assert elapsed < 8 * 0.06 / 2  # one after another would take 480 ms


def test_an_error_before_commit_writes_nothing(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(error_before_commit=1.0))
    with client_for(app) as client:
        response = client.post(SCOPES_30001, json=ADD_BODY_TEMPERATURE)
        app.faults = FaultConfig()
        assert response.status_code == 500
        assert "Server Error (500)" in response.text
        assert 50003 not in scope_ids(client)
    assert app.request_log[0].committed is False


def test_an_error_after_commit_hides_a_write_that_happened(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(error_after_commit=1.0))
    with client_for(app) as client:
        response = client.post(SCOPES_30001, json=ADD_BODY_TEMPERATURE)
        app.faults = FaultConfig()
        assert response.status_code == 500
        assert 50003 in scope_ids(client)
    assert app.request_log[0].committed is True


def test_a_rate_limit_answers_429_with_retry_after_and_does_nothing(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(rate_limit=1.0, retry_after=3))
    with client_for(app) as client:
        response = client.post(SCOPES_30001, json=ADD_BODY_TEMPERATURE)
        app.faults = FaultConfig()
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "3"
        assert response.json() == {
            "detail": "Request was throttled. Expected available in 3 seconds."
        }
        assert 50003 not in scope_ids(client)


def test_a_connection_dropped_before_commit_writes_nothing(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(drop=1.0))
    with client_for(app) as client:
        with pytest.raises(DroppedConnection):
            client.post(SCOPES_30001, json=ADD_BODY_TEMPERATURE)
        app.faults = FaultConfig()
        assert 50003 not in scope_ids(client)
    assert (app.request_log[0].status, app.request_log[0].committed) == (0, False)


def test_a_connection_dropped_after_commit_hides_a_write_that_happened(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(drop_after_commit=1.0))
    with client_for(app) as client:
        with pytest.raises(DroppedConnection):
            client.post(SCOPES_30001, json=ADD_BODY_TEMPERATURE)
        app.faults = FaultConfig()
        assert 50003 in scope_ids(client)
    assert (app.request_log[0].status, app.request_log[0].committed) == (0, True)


@pytest.mark.parametrize("kind", ["error_before_commit", "error_after_commit", "drop_after_commit"])
def test_write_faults_leave_reads_alone(make_app: MakeApp, kind: str) -> None:
    app = make_app(faults=FaultConfig(**{kind: 1.0}))
    with client_for(app) as client:
        assert client.get(PROFILE).status_code == 200


def test_the_token_endpoint_is_never_faulted(make_app: MakeApp) -> None:
    app = make_app(faults=FaultConfig(rate_limit=0.5, drop=0.5))
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://localhost"
    ) as client:
        response = client.post(
            "/o/token/",
            data={"grant_type": "client_credentials"},
            auth=("manager_mary", "Jhe1234!"),
        )
    assert response.status_code == 200


def test_faults_can_be_switched_at_run_time(app: EmulatorApp, client: httpx.Client) -> None:
    app.faults = FaultConfig(rate_limit=1.0)
    assert client.get(PROFILE).status_code == 429
    app.faults.rate_limit = 0.0
    assert client.get(PROFILE).status_code == 200
