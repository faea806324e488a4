"""Talking to a JupyterHealth Exchange: connection settings, the client, the live snapshot.

``open_exchange`` is what the CLI calls: it resolves the settings (flags, then the
environment), and yields an ``Exchange`` to a real server or to the emulator in
process (``--url local``), closing it afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jhe_sync.exchange.client import Exchange, Reply, RetryPolicy
from jhe_sync.exchange.settings import ConnectionSettings, settings_from


@contextlib.contextmanager
def open_exchange(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    allow_insecure_http: bool = False,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **options: Any,
) -> Iterator[Exchange]:
    """An open ``Exchange`` for these flags (None: from ``JHE_*`` variables); closed on exit.

    ``options`` go to ``Exchange`` (``sleep``, ``retry``, ``timeout``, ``page_size``).
    """
    settings = settings_from(
        url,
        token,
        client_id,
        client_secret,
        allow_insecure_http=allow_insecure_http,
        environ=environ,
        cwd=cwd,
    )
    exchange = connect(settings, **options)
    try:
        yield exchange
    finally:
        exchange.close()


def connect(settings: ConnectionSettings, **options: Any) -> Exchange:
    """An ``Exchange`` for resolved settings; the caller closes it."""
    if settings.local_db is not None:
        from jhe_sync.exchange.local import local_exchange, open_local_app

        app = open_local_app(settings.local_db)
        assert settings.client_id is not None
        return local_exchange(
            app,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            close_app=True,
            **options,
        )
    return Exchange(
        settings.url,
        token=settings.token,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        **options,
    )


__all__ = [
    "ConnectionSettings",
    "Exchange",
    "Reply",
    "RetryPolicy",
    "connect",
    "open_exchange",
    "settings_from",
]
