"""The WSGI application: faults, then authentication, routing and the handler, in one transaction.

Safe to call from many threads at once: requests that write run one at a time (the
database's write lock), requests that only read run beside them (``Route.writes``
tells which), and the injected latency is slept outside any lock, so concurrent
requests wait together rather than one after another.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from jhe_sync.emulator.auth import TOKEN_LIFETIME_SECONDS, authenticate, new_token, token_endpoint
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.db import Database, Store
from jhe_sync.emulator.errors import ApiError, ServerError
from jhe_sync.emulator.faults import DroppedConnection, Fault, FaultConfig, FaultDice
from jhe_sync.emulator.http import (
    STATUS_TEXT,
    Request,
    Response,
    json_response,
    page_not_found,
    server_error_page,
)
from jhe_sync.emulator.routes import Route, resolve

logger = logging.getLogger("jhe_sync.emulator")

TOKEN_PATH = "/o/token/"

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it; ``status`` 0 means the connection was dropped.

    ``committed`` is whether the request changed the database (settings that a GET
    stores, tokens and spent ids included), and it stays true when a fault then hides
    the answer.
    """

    method: str
    path: str
    status: int
    committed: bool


_FAULT_PAGE = (
    b'<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    b"<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)


class EmulatorApp:
    """A local JupyterHealth Exchange as a WSGI callable. Build it with ``create_app``."""

    def __init__(self, db: str = ":memory:", faults: FaultConfig | None = None) -> None:
        self.database = Database(db)
        self._faults = faults if faults is not None else FaultConfig()
        self._dice = FaultDice(self._faults)
        self.request_log: list[RequestRecord] = []
        self._log_lock = threading.Lock()

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration; change its fields, or assign a new one to restart the draws."""
        return self._faults

    @faults.setter
    def faults(self, config: FaultConfig) -> None:
        self._faults = config
        self._dice = FaultDice(config)

    def issue_token(self, client_id: str, expires_in: float = TOKEN_LIFETIME_SECONDS) -> str:
        """A token for a seeded user's API client (e.g. ``manager_mary``), without a request.

        A negative ``expires_in`` gives an already expired token, for testing the 401.
        """
        with self.database.transaction() as transaction:
            store = transaction.store
            app = store.one(
                "SELECT id, user_id FROM oauth2_provider_application WHERE client_id = ? AND user_id IS NOT NULL",
                (client_id,),
            )
            if app is None:
                raise ValueError(f"no API client {client_id!r} in the emulator")
            return new_token(store, app["id"], app["user_id"], expires_in)

    def close(self) -> None:
        """Close the database connection."""
        self.database.close()

    def __enter__(self) -> EmulatorApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        response = self._respond(request)
        reason = STATUS_TEXT.get(response.status, "")
        start_response(
            f"{response.status} {reason}",
            [*response.headers, ("Content-Length", str(len(response.body)))],
        )
        return [b"" if request.method == "HEAD" else response.body]

    def _respond(self, request: Request) -> Response:
        faults = self._faults
        fault = Fault.NONE if request.path == TOKEN_PATH else self._dice.draw(request.method)
        if faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000)  # outside the database lock
        if fault is Fault.RATE_LIMIT:
            return self._record(request, _throttled(faults.retry_after), committed=False)
        if fault is Fault.DROP:
            self._drop(request, committed=False)
        if fault is Fault.ERROR_BEFORE_COMMIT:
            return self._record(request, _fault_page(), committed=False)
        found = None if request.path == TOKEN_PATH else resolve(request.path)
        writes = request.path == TOKEN_PATH or (
            found is not None and found[0].writes(request.method)
        )
        with self.database.transaction(write=writes) as transaction:
            response = self._dispatch(transaction.store, request, found)
        committed = transaction.changed_rows > 0
        if fault is Fault.DROP_AFTER_COMMIT:
            self._drop(request, committed=committed)
        if fault is Fault.ERROR_AFTER_COMMIT:
            response = _fault_page()
        return self._record(request, response, committed=committed)

    def _record(self, request: Request, response: Response, *, committed: bool) -> Response:
        self._append(RequestRecord(request.method, request.path, response.status, committed))
        return response

    def _drop(self, request: Request, *, committed: bool) -> NoReturn:
        self._append(RequestRecord(request.method, request.path, 0, committed))
        stage = "after committing it" if committed else "without answering"
        raise DroppedConnection(f"dropped {request.method} {request.path} {stage}")

    def _append(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.request_log.append(record)
        # the path only: query strings can hold patients' emails (global_lookup)
        logger.info("%s %s -> %s", record.method, record.path, record.status or "dropped")

    def _dispatch(
        self, store: Store, request: Request, found: tuple[Route, dict[str, str]] | None
    ) -> Response:
        if request.path == TOKEN_PATH:
            return token_endpoint(store, request)
        if found is None:
            return page_not_found(request)
        route, params = found
        request.params = params
        api_headers = [("Allow", route.allow), ("Vary", "Accept")]
        try:
            principal = authenticate(store, request)
            method = "GET" if request.method == "HEAD" else request.method
            if method == "OPTIONS":
                return _with(
                    json_response(200, {"name": request.path, "allow": route.allow}), api_headers
                )
            handler = route.handlers.get(method)
            if handler is None:
                raise ApiError(405, {"detail": f'Method "{request.method}" not allowed.'})
            return _with(handler(Ctx(store, request, principal)), api_headers)
        except ApiError as error:
            return _with(
                json_response(error.status, error.payload, list(error.headers)), api_headers
            )
        except ServerError as error:
            return server_error_page(request, error.exception_name, error.value)
        except Exception as error:  # a bug of the emulator: show it as Django would
            logger.error(
                "unexpected %s in %s %s at %s",
                type(error).__name__,
                request.method,
                request.path,
                _where(error),
            )
            return server_error_page(request, type(error).__name__, str(error))


def _where(error: BaseException) -> str:
    """file:line where an exception was raised; its message may hold request data, so no more."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _with(response: Response, headers: list[tuple[str, str]]) -> Response:
    response.headers.extend(headers)
    return response


def _throttled(retry_after: float) -> Response:
    seconds = max(1, math.ceil(retry_after))
    unit = "second" if seconds == 1 else "seconds"
    return json_response(
        429,
        {"detail": f"Request was throttled. Expected available in {seconds} {unit}."},
        [("Retry-After", str(seconds))],
    )


def _fault_page() -> Response:
    return Response(500, _FAULT_PAGE, [("Content-Type", "text/html; charset=utf-8")])


def create_app(db: str = ":memory:", faults: FaultConfig | None = None) -> EmulatorApp:
    """A seeded emulator over SQLite ``db`` (a path or ``:memory:``), with optional faults.

    A new or empty file is created and seeded; an existing one is reused as it is, so
    state survives between processes (``--url local``).
    """
    return EmulatorApp(db, faults)
