"""The connection itself: certificates are verified, plain http leaves this machine
only when the user says so, and no call can wait forever. Nothing here touches the
network: the HTTP transport is replaced by one that records what would be sent.
"""

from __future__ import annotations

import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jhe_sync.errors import TransportError
from jhe_sync.exchange.client import Exchange
from jhe_sync.local import open_exchange
from reliability.conftest import Run

SPEC = """\
version: 1
studies:
  - {key: bp, name: Blood Pressure, description: d, organization: Lifespan Lab}
"""


class Recorded:
    """What the real HTTP transport was asked to send, and with which TLS settings."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.contexts: list[ssl.SSLContext | None] = []


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """The network, replaced: every request is recorded and answered 401 (a refused
    token is not retried, so a test does not wait out the backoff of a failed read)."""
    recorded = Recorded()

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        recorded.urls.append(str(request.url))
        recorded.contexts.append(getattr(self._pool, "_ssl_context", None))
        return httpx.Response(401, json={"detail": "Invalid token."}, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return recorded


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "studies.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


COMMANDS: dict[str, Callable[[Path], list[object]]] = {
    "plan": lambda spec: ["plan", spec],
    "apply": lambda spec: ["apply", spec, "--auto-approve"],
    "status": lambda spec: ["status", spec],
    "export": lambda spec: ["export", "--out", spec.parent / "exported"],
    "invite": lambda spec: ["invite", spec, "--study", "bp", "--send-email", "--yes"],
}


# -- TLS ---------------------------------------------------------------------------------


def test_certificates_and_host_names_are_verified_by_default() -> None:
    with open_exchange(url="https://jhe.example.org", token="t0k3n", environ={}) as exchange:
        transport = exchange._http._transport
        assert isinstance(transport, httpx.HTTPTransport)
        context = transport._pool._ssl_context
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_the_command_line_sends_over_a_verifying_connection(
    jhe: Callable[..., Run], network: Recorded, spec: Path
) -> None:
    run = jhe("plan", spec, "--url", "https://jhe.example.org", "--token", "t0k3n")
    assert run.code == 1 and "answered 401" in run.err
    assert network.urls and network.urls[0].startswith("https://jhe.example.org/")
    for context in network.contexts:
        assert context is not None and context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname


# -- plain http ---------------------------------------------------------------------------

REMOTE = ["jhe.example.org", "10.0.0.5", "[2001:db8::1]", "localhost.example.org", "0.0.0.0"]
LOOPBACK = ["localhost", "127.0.0.1", "127.8.9.10", "[::1]"]


@pytest.mark.parametrize("host", REMOTE)
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_plain_http_to_another_host_is_refused_before_any_request(
    command: Callable[[Path], list[object]],
    host: str,
    jhe: Callable[..., Run],
    network: Recorded,
    spec: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The token from the environment: as a flag, it would add a warning before the error.
    monkeypatch.setenv("JHE_TOKEN", "t0k3n")
    run = jhe(*command(spec), "--url", f"http://{host}:8000")
    assert run.code == 1
    assert run.err.startswith(f"Error: refusing plain http:// to {host.strip('[]')}")
    assert run.err.count("\n") == 1, run.err
    assert network.urls == []


def test_plain_http_from_the_environment_is_refused_too(
    jhe: Callable[..., Run], network: Recorded, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_URL", "HTTP://JHE.Example.org")
    monkeypatch.setenv("JHE_TOKEN", "t0k3n")
    run = jhe("plan", spec)
    assert run.code == 1 and "refusing plain http://" in run.err
    assert network.urls == []


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_plain_http_to_another_host_is_sent_when_the_user_says_so(
    command: Callable[[Path], list[object]],
    jhe: Callable[..., Run],
    network: Recorded,
    spec: Path,
) -> None:
    url = "http://jhe.example.org:8000"
    run = jhe(*command(spec), "--url", url, "--token", "t0k3n", "--insecure-http")
    assert run.code == 1 and "answered 401" in run.err, run.output
    assert network.urls and all(u.startswith(f"{url}/") for u in network.urls)


@pytest.mark.parametrize("host", LOOPBACK)
def test_plain_http_to_this_machine_is_sent(
    host: str, jhe: Callable[..., Run], network: Recorded, spec: Path
) -> None:
    run = jhe("plan", spec, "--url", f"http://{host}:8000", "--token", "t0k3n")
    assert run.code == 1 and "answered 401" in run.err, run.output
    assert network.urls and network.urls[0].startswith(f"http://{host}:8000/")


# -- timeouts -------------------------------------------------------------------------------


def test_the_client_has_a_finite_timeout_for_each_phase_of_a_call() -> None:
    with open_exchange(url="https://jhe.example.org", token="t0k3n", environ={}) as exchange:
        timeout = exchange._http.timeout
    for phase in (timeout.connect, timeout.read, timeout.write, timeout.pool):
        assert phase is not None and 0 < phase <= 60


def test_every_call_is_sent_with_the_timeouts_reads_writes_and_the_login() -> None:
    seen: list[tuple[str, dict[str, float | None]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((f"{request.method} {request.url.path}", request.extensions["timeout"]))
        if request.url.path == "/o/token/":
            return httpx.Response(200, json={"access_token": "t0k3n"})
        if request.method == "GET":
            return httpx.Response(200, json={"count": 0, "next": None, "results": []})
        return httpx.Response(201, json={"id": 1})

    with Exchange(
        "https://jhe.example.org",
        client_id="c",
        client_secret="s",
        transport=httpx.MockTransport(handler),
    ) as exchange:
        exchange.get("/api/v1/users/profile")
        exchange.get_all("/api/v1/organizations")
        exchange.write("POST", "/api/v1/studies", {"name": "x"})
        exchange.write("DELETE", "/api/v1/studies/1/patients", {"patient_ids": [1]})
    assert [call for call, _ in seen] == [
        "POST /o/token/",
        "GET /api/v1/users/profile",
        "GET /api/v1/organizations",
        "POST /api/v1/studies",
        "DELETE /api/v1/studies/1/patients",
    ]
    for call, timeouts in seen:
        assert set(timeouts) == {"connect", "read", "write", "pool"}, call
        for phase, seconds in timeouts.items():
            assert seconds is not None and math.isfinite(seconds), f"{call}: {phase}"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_is_a_bounded_wait_and_one_line(silent_server: str) -> None:
    exchange = Exchange(
        silent_server, token="t0k3n", timeout=httpx.Timeout(0.2), sleep=lambda _: None
    )
    started = time.monotonic()
    with exchange, pytest.raises(TransportError) as raised:
        exchange.get("/api/v1/users/profile")
    assert time.monotonic() - started < 5
    host = silent_server.removeprefix("http://")
    assert str(raised.value) == f"GET /api/v1/users/profile: no answer from {host} (timed out)"
