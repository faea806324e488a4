"""A bad URL fails at once and says why: the name does not resolve, or nothing listens
there, naming the host (issue 18). A timeout is still retried: it may be passing."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from .conftest import EXAMPLES, Run

QUICKSTART = EXAMPLES / "quickstart"


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JHE_TOKEN", "t0k3n")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on this machine where nothing listens (connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


def test_a_refused_connection_fails_at_once_naming_the_host_and_port(
    jhe: Callable[..., Run], token: None, closed_port: int
) -> None:
    run = jhe("plan", QUICKSTART, "--url", f"http://127.0.0.1:{closed_port}", "-vv")

    assert run.code == 1
    (error,) = [line for line in run.err.splitlines() if line.startswith("Error: ")]
    assert f"cannot connect to 127.0.0.1:{closed_port}: the connection was refused" in error
    assert "check the URL and its port" in error
    assert run.err.count("GET /api/v1/users/profile -> ConnectError") == 1
    assert "retrying" not in run.err


def test_a_name_that_does_not_resolve_fails_at_once_naming_the_host(
    jhe: Callable[..., Run], token: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve = socket.getaddrinfo

    def no_such_name(host: object, *args: object, **kwargs: object) -> object:
        if host == "jhe.example.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    run = jhe("plan", QUICKSTART, "--url", "https://jhe.example.invalid", "-vv")

    assert run.code == 1
    (error,) = [line for line in run.err.splitlines() if line.startswith("Error: ")]
    assert (
        "cannot reach jhe.example.invalid: the name does not resolve (Name or service not "
        "known); check the URL (--url or JHE_URL)"
    ) in error
    assert run.err.count("GET /api/v1/users/profile -> ConnectError") == 1
    assert "retrying" not in run.err
