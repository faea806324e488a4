"""What a handler gets: the request, the caller, and the database for this request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jhe_sync.emulator.auth import Principal
from jhe_sync.emulator.db import Store
from jhe_sync.emulator.http import Request


@dataclass
class Ctx:
    store: Store
    request: Request
    principal: Principal

    def param(self, name: str) -> str:
        """A path parameter, as the URL gave it (ids are converted where the server converts them)."""
        return self.request.params[name]


def now_iso() -> str:
    """The current time as the server writes timestamps: UTC, microseconds, ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def save_setting(ctx: Ctx, key: str, value: int | None) -> None:
    """Store a user setting, as some GETs do on the real server (FINDINGS "Side effects")."""
    if value is None:
        ctx.store.run(
            "DELETE FROM core_jhesetting_user WHERE user_id = ? AND key = ?",
            (ctx.principal.user_id, key),
        )
        return
    ctx.store.run(
        "INSERT INTO core_jhesetting_user (user_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
        (ctx.principal.user_id, key, value),
    )
