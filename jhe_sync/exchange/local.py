"""The emulator in process: an httpx transport over its WSGI app, for tests and ``--url local``.

The emulator signals a dropped connection by raising ``DroppedConnection``; over a real
socket the client would see the connection close without an answer. This transport
turns the one into the other (``httpx.RemoteProtocolError``), so the client's fault
handling is exercised exactly as it would be over the network.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from jhe_sync.errors import ConfigError
from jhe_sync.exchange.client import Exchange

LOCAL_BASE_URL = "http://localhost"


class LocalTransport(httpx.BaseTransport):
    """Requests answered by a WSGI app in this process; the body is read eagerly so a
    dropped connection surfaces here, as a transport error, not later while reading."""

    def __init__(self, app: Callable[..., Any], *, close_app: bool = False) -> None:
        self.app = app
        self._wsgi = httpx.WSGITransport(app=app)
        self._close_app = close_app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from jhe_sync.emulator import DroppedConnection

        try:
            response = self._wsgi.handle_request(request)
            content = response.read()
        except DroppedConnection:
            raise httpx.RemoteProtocolError(
                "the server closed the connection without answering", request=request
            ) from None
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            request=request,
        )

    def close(self) -> None:
        self._wsgi.close()
        close = getattr(self.app, "close", None)
        if self._close_app and close is not None:
            close()


def local_exchange(
    app: Callable[..., Any],
    *,
    client_id: str = "manager_mary",
    client_secret: str | None = None,
    token: str | None = None,
    close_app: bool = False,
    **options: Any,
) -> Exchange:
    """An ``Exchange`` talking to an emulator app in process, as one of its seeded users.

    ``close_app``: closing the exchange closes the app too (its database connection).
    """
    from jhe_sync.emulator import SEED_PASSWORD

    return Exchange(
        LOCAL_BASE_URL,
        token=token,
        client_id=client_id,
        client_secret=client_secret or SEED_PASSWORD,
        transport=LocalTransport(app, close_app=close_app),
        **options,
    )


def open_local_app(db: Path) -> Any:
    """The emulator app over a database file, created and seeded on first use.

    A path that cannot hold the database (a directory, a file that is not one, a
    database of another emulator version, a folder that cannot be made) is a
    ``ConfigError`` naming it: it is the user's ``--url local:PATH``.
    """
    from jhe_sync.emulator import create_app

    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        return create_app(db=str(db))
    except (OSError, sqlite3.Error, RuntimeError) as error:
        reason = str(error)
        if isinstance(error, OSError) and error.strerror:
            reason = f"{error.strerror}: {error.filename}" if error.filename else error.strerror
        raise ConfigError(
            f"--url local:{db}: the local exchange's database cannot be used ({reason}); "
            "give the path of a new file, or of one an earlier --url local made"
        ) from None
