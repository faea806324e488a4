"""``serve()``: the emulator over real HTTP on the loopback interface."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from emulator.helpers import PROFILE
from jhe_sync.emulator import SEED_PASSWORD, FaultConfig, serve


class Served:
    """serve() running in a thread on a free port; stopped and joined on close."""

    def __init__(self, faults: FaultConfig | None = None) -> None:
        self.stop = threading.Event()
        self._bound = threading.Event()
        self.url = ""

        def ready(host: str, port: int) -> None:
            self.url = f"http://{host}:{port}"
            self._bound.set()

        self._thread = threading.Thread(
            target=serve,
            kwargs={"port": 0, "faults": faults, "ready": ready, "stop": self.stop},
            daemon=True,
        )
        self._thread.start()
        assert self._bound.wait(10), "the server did not start"

    def close(self) -> None:
        self.stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the server did not stop"


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.close()


def _token(client: httpx.Client) -> str:
    response = client.post(
        "/o/token/", data={"grant_type": "client_credentials"}, auth=("manager_mary", SEED_PASSWORD)
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def test_it_answers_over_http_on_loopback(served: Served) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=served.url) as client:
        profile = client.get(PROFILE, headers={"Authorization": f"Bearer {_token(client)}"})
    assert profile.json()["email"] == "manager_mary@example.com"


def test_pagination_links_name_the_server_it_was_asked_on(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        page = client.get(
            "/api/v1/organizations",
            params={"page_size": 2},
            headers={"Authorization": f"Bearer {_token(client)}"},
        )
    assert page.json()["next"] == f"{served.url}/api/v1/organizations?page=2&page_size=2"


def test_a_dropped_connection_closes_the_socket_without_an_answer() -> None:
    server = Served(FaultConfig(drop=1.0))
    try:
        with httpx.Client(base_url=server.url) as client:
            token = _token(client)  # the token endpoint is exempt from faults
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(PROFILE, headers={"Authorization": f"Bearer {token}"})
    finally:
        server.close()
