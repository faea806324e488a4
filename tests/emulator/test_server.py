"""``serve()``: the emulator over real HTTP on the loopback interface."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from wsgiref.simple_server import make_server

import httpx
import pytest

from emulator.helpers import PROFILE
from jhe_sync.emulator import SEED_PASSWORD, FaultConfig, create_app, serve
from jhe_sync.emulator.server import _RequestHandler, _ThreadingWSGIServer


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


def _client_port(response: httpx.Response) -> int:
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def test_a_client_connection_is_kept_alive_between_requests(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        headers = {"Authorization": f"Bearer {_token(client)}"}
        ports = set()
        for path in (PROFILE, "/api/v1/organizations", "/api/v1/no_such_thing", PROFILE):
            with client.stream("GET", path, headers=headers) as response:
                ports.add(_client_port(response))
                response.read()
        posted = client.post(
            "/api/v1/studies",
            json={"name": "kept", "description": "d", "organization": 20003},
            headers=headers,
        )
    assert posted.status_code == 201
    assert posted.http_version == "HTTP/1.1"
    assert len(ports) == 1


def test_answers_are_sent_without_waiting_to_coalesce_small_writes() -> None:
    nodelay: list[int] = []

    class Probe(_RequestHandler):
        def setup(self) -> None:
            super().setup()
            nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    app = create_app()
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=Probe
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        httpx.get(f"http://127.0.0.1:{server.server_port}{PROFILE}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        app.close()
    assert nodelay == [1]
