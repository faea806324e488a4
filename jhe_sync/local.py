"""Opening the exchange the user named: a real one, or ``--url local``, the emulator in
process (an httpx transport over its WSGI app), which tests use too; and serving the
emulator over HTTP (``jhe-sync emulator``).

The one module that imports both the HTTP client and the emulator: ``exchange`` knows
nothing of the emulator, and the emulator nothing of jhe-sync outside itself.

``--url local[:PATH]`` keeps the emulator's database in a file (``.jhe-sync/local.db``
under the current directory by default) and acts as one of its seeded users:
``manager_mary`` unless ``JHE_CLIENT_ID`` (or ``--client-id``) names another seeded user.

The emulator signals a dropped connection by raising ``DroppedConnection``; over a real
socket the client would see the connection close without an answer. ``LocalTransport``
turns the one into the other (``httpx.RemoteProtocolError``), so the client's fault
handling is exercised exactly as it would be over the network.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jhe_sync.emulator import (
    SEED_PASSWORD,
    DroppedConnection,
    FaultConfig,
    create_app,
    seeded_credentials,
    serve,
)
from jhe_sync.errors import ConfigError
from jhe_sync.exchange import ConnectionSettings, Exchange, flag_or_environment
from jhe_sync.exchange import settings_from as exchange_settings_from

LOCAL_BASE_URL = "http://localhost"

LOCAL_DEFAULT_DB = Path(".jhe-sync") / "local.db"
"""Where ``--url local`` keeps the emulator's database, under the current directory."""

LOCAL_DEFAULT_CLIENT_ID = "manager_mary"


@dataclass(frozen=True)
class LocalSettings:
    """``--url local[:PATH]``: the emulator's database file and the seeded user to act as."""

    local_db: Path
    client_id: str
    client_secret: str = field(repr=False)
    url: str = "local"


def is_local(url: str | None) -> bool:
    """Whether ``url`` asks for the emulator in process: ``local`` or ``local:PATH``."""
    return url is not None and (url.strip() == "local" or url.strip().startswith("local:"))


def settings_from(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    token_url: str | None = None,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ConnectionSettings | LocalSettings:
    """The settings for these flags (None: from the ``JHE_*`` variables): ``LocalSettings``
    for ``--url local[:PATH]``, else the exchange's own ``settings_from``. The emulator
    serves its tokens where upstream does, so ``--url local`` ignores a token URL."""
    env = os.environ if environ is None else environ
    chosen = flag_or_environment(url, env, "JHE_URL")
    if not is_local(chosen):
        return exchange_settings_from(
            url,
            token,
            client_id,
            client_secret,
            token_url=token_url,
            allow_insecure_http=allow_insecure_http,
            environ=env,
        )
    assert chosen is not None
    path_text = chosen.partition(":")[2].strip()
    db = Path(path_text).expanduser() if path_text else LOCAL_DEFAULT_DB
    if not db.is_absolute():
        db = (cwd or Path.cwd()) / db
    wanted = flag_or_environment(client_id, env, "JHE_CLIENT_ID")
    seeded = {row[0] for row in seeded_credentials()}
    # A client id from the environment may be meant for a real exchange: only a seeded
    # user's id selects who to act as here, anything else means the default user.
    if wanted is not None and wanted in seeded:
        secret = flag_or_environment(client_secret, env, "JHE_CLIENT_SECRET") or SEED_PASSWORD
        return LocalSettings(db, wanted, secret)
    return LocalSettings(db, LOCAL_DEFAULT_CLIENT_ID, SEED_PASSWORD)


def connect(settings: ConnectionSettings | LocalSettings, **options: Any) -> Exchange:
    """An ``Exchange`` for resolved settings; the caller closes it.

    ``options`` go to ``Exchange`` (``sleep``, ``retry``, ``timeout``, ``page_size``).
    """
    if isinstance(settings, LocalSettings):
        app = open_local_app(settings.local_db)
        return local_exchange(
            app,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            close_app=True,
            name=f"local:{settings.local_db.resolve()}",
            **options,
        )
    return Exchange(
        settings.url,
        token=settings.token,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_url=settings.token_url,
        **options,
    )


@contextlib.contextmanager
def open_exchange(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    allow_insecure_http: bool = False,
    *,
    token_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **options: Any,
) -> Iterator[Exchange]:
    """An open ``Exchange`` for these flags (None: from ``JHE_*`` variables), to a real
    exchange or to the emulator in process (``--url local``); closed on exit.

    ``options`` go to ``Exchange`` (``sleep``, ``retry``, ``timeout``, ``page_size``).
    """
    settings = settings_from(
        url,
        token,
        client_id,
        client_secret,
        token_url=token_url,
        allow_insecure_http=allow_insecure_http,
        environ=environ,
        cwd=cwd,
    )
    exchange = connect(settings, **options)
    try:
        yield exchange
    finally:
        exchange.close()


class LocalTransport(httpx.BaseTransport):
    """Requests answered by a WSGI app in this process; the body is read eagerly so a
    dropped connection surfaces here, as a transport error, not later while reading."""

    def __init__(self, app: Callable[..., Any], *, close_app: bool = False) -> None:
        self.app = app
        self._wsgi = httpx.WSGITransport(app=app)
        self._close_app = close_app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
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
    client_id: str = LOCAL_DEFAULT_CLIENT_ID,
    client_secret: str | None = None,
    token: str | None = None,
    close_app: bool = False,
    **options: Any,
) -> Exchange:
    """An ``Exchange`` talking to an emulator app in process, as one of its seeded users.

    ``close_app``: closing the exchange closes the app too (its database connection).
    """
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


def serve_emulator(
    *,
    host: str,
    port: int,
    db: str,
    faults: FaultConfig,
    ready: Callable[[str, int], None],
) -> None:
    """Serve the emulator over HTTP until interrupted; ``ready(host, port)`` once it
    listens. A database file's folder is made if missing; a file that cannot be the
    database, or an address that cannot be bound, is a ``ConfigError`` naming it."""
    if db != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    try:
        serve(host=host, port=port, db=db, faults=faults, ready=ready)
    except (sqlite3.Error, RuntimeError) as error:
        raise ConfigError(
            f"--db {db}: cannot use it as the emulator's database ({error})"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot serve on {host}:{port} with --db {db}: {error.strerror or error}"
        ) from None
