"""Shared fixtures: the emulator in process, and Exchanges that talk to it.

- ``emulator``: a fresh in-memory exchange seeded with the reference data;
  ``make_emulator(faults=FaultConfig(...))`` for one that injects faults.
- ``connect(app, client_id="manager_mary", **options)``: an ``Exchange`` to an app,
  closed after the test; its backoffs are recorded in ``sleeps`` instead of waited.
- ``exchange``: ``connect(emulator)``.
- ``scripted(app)``: the app behind a ``ScriptedFaults`` middleware, for a test that
  needs one fault at one exact request (random faults are ``FaultConfig``'s job).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# the contract tests' summary line (their hooks must live here, the conftest that
# pytest-xdist's controller loads)
from contract.summary import pytest_runtest_logreport, pytest_terminal_summary

from jhe_sync.exchange.client import Exchange
from jhe_sync.local import local_exchange

__all__ = ["pytest_runtest_logreport", "pytest_terminal_summary"]

WSGIApp = Callable[..., Iterable[bytes]]


class Sleeps(list[float]):
    """A ``sleep`` that records how long it was asked to wait, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Any]]:
    from jhe_sync.emulator import create_app

    apps: list[Any] = []

    def make(**options: Any) -> Any:
        app = create_app(**{"db": ":memory:", **options})
        apps.append(app)
        return app

    yield make
    for app in apps:
        close = getattr(app, "close", None)
        if close is not None:
            close()


@pytest.fixture
def emulator(make_emulator: Callable[..., Any]) -> Any:
    return make_emulator()


@pytest.fixture
def connect(sleeps: Sleeps) -> Iterator[Callable[..., Exchange]]:
    opened: list[Exchange] = []

    def make(app: Any, client_id: str = "manager_mary", **options: Any) -> Exchange:
        options.setdefault("sleep", sleeps)
        exchange = local_exchange(app, client_id=client_id, **options)
        opened.append(exchange)
        return exchange

    yield make
    for exchange in opened:
        exchange.close()


@pytest.fixture
def exchange(emulator: Any, connect: Callable[..., Exchange]) -> Exchange:
    return connect(emulator)


# -- one fault at one request --------------------------------------------------------


@dataclass
class Fault:
    """``kind``: ``before_commit`` (answer ``status`` without passing the request on),
    ``after_commit`` (pass it on, then answer ``status`` instead), ``rate_limit`` (429
    with ``retry_after``), ``drop`` / ``drop_after_commit`` (close the connection),
    ``unauthorized`` (401, as for an expired token)."""

    method: str
    path: str
    kind: str
    times: int = 1
    status: int = 500
    retry_after: float | None = 1


@dataclass
class Seen:
    """One request that reached the middleware, and what the app answered (0: dropped)."""

    method: str
    path: str
    query: str
    body: Any
    faulted: str = ""
    status: int = 0
    title: str = ""
    """For an error page: its title or first line (``IntegrityError at /api/v1/...``)."""


@dataclass
class ScriptedFaults:
    """WSGI middleware in front of the emulator that fails chosen requests, in order."""

    app: WSGIApp
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def fail(self, method: str, path: str, kind: str, **options: Any) -> ScriptedFaults:
        self.faults.append(Fault(method, path, kind, **options))
        return self

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and (path is None or s.path == path)
        ]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        from jhe_sync.emulator import DroppedConnection

        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = _Body(raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        seen = Seen(method, path, environ.get("QUERY_STRING", ""), body)
        self.seen.append(seen)
        fault = next(
            (f for f in self.faults if f.times > 0 and (f.method, f.path) == (method, path)), None
        )
        if fault is None:
            return self._passed_on(environ, start_response, seen)
        fault.times -= 1
        seen.faulted = fault.kind
        if fault.kind in ("after_commit", "drop_after_commit"):
            for _chunk in self.app(environ, lambda *args, **kwargs: None):
                pass
        if fault.kind in ("drop", "drop_after_commit"):
            raise DroppedConnection(f"{method} {path}")
        if fault.kind == "rate_limit":
            headers = [("Content-Type", "application/json")]
            if fault.retry_after is not None:
                headers.append(("Retry-After", f"{fault.retry_after:g}"))
            start_response("429 Too Many Requests", headers)
            return [b'{"detail": "Request was throttled."}']
        if fault.kind == "unauthorized":
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", "application/json"),
                    ("WWW-Authenticate", 'Bearer realm="api",error="invalid_token"'),
                ],
            )
            return [b'{"detail": "Authentication credentials were not provided."}']
        start_response(f"{fault.status} Error", [("Content-Type", "text/html; charset=utf-8")])
        return [b"<!doctype html><title>Server Error (500)</title><h1>Server Error (500)</h1>"]

    def _passed_on(
        self, environ: dict[str, Any], start_response: Callable[..., Any], seen: Seen
    ) -> Iterable[bytes]:
        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen.status = int(status.split()[0])
            return start_response(status, headers, *rest)

        answer = b"".join(self.app(environ, capture))
        if seen.status >= 500:
            found = re.search(rb"<title>(.*?)</title>", answer, re.DOTALL)
            text = found.group(1) if found else answer.split(b"\n", 1)[0]
            seen.title = " ".join(text.decode(errors="replace").split())
        return [answer]


class _Body:
    """A re-readable ``wsgi.input`` after the middleware has read the body."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._raw) if size is None or size < 0 else self._at + size
        chunk = self._raw[self._at : end]
        self._at += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.fixture
def scripted() -> Callable[[WSGIApp], ScriptedFaults]:
    return ScriptedFaults
