"""``/practitioner_clients``: a practitioner's own API clients for the client-credentials grant.

``key`` is base64("client_id:client_secret") and is readable on every GET (009). The
secret is stored as given (hash_client_secret=False), like the real server's.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import string
from typing import Any

from jhe_sync.emulator.context import Ctx, now_iso
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import not_found, permission_denied, to_pk
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.pagination import FIXED_PAGE_SIZE, paginate

_ALPHANUMERIC = string.ascii_letters + string.digits
_ONLY_PRACTITIONERS = "Only practitioner users can manage practitioner clients."
_SELECT = (
    "SELECT pc.id, pc.label, pc.created, a.name, a.client_id, a.client_secret, a.id AS application_id "
    "FROM core_practitionerclient pc JOIN oauth2_provider_application a ON a.id = pc.application_id "
)


def _shape(row: Row) -> dict[str, Any]:
    key = base64.b64encode(f"{row['client_id']}:{row['client_secret']}".encode()).decode()
    return {
        "id": row["id"],
        "label": row["label"],
        "created": row["created"],
        "name": row["name"],
        "key": key,
    }


def _practitioner_id(ctx: Ctx) -> int:
    if ctx.principal.practitioner_id is None:
        raise permission_denied(_ONLY_PRACTITIONERS)
    return ctx.principal.practitioner_id


def list_clients(ctx: Ctx) -> Response:
    rows = ctx.store.all(
        _SELECT + "WHERE pc.practitioner_id = ? ORDER BY pc.id", (_practitioner_id(ctx),)
    )
    return json_response(200, paginate(ctx.request, rows, _shape, fixed_size=FIXED_PAGE_SIZE))


def create_client(ctx: Ctx) -> Response:
    practitioner_id = _practitioner_id(ctx)
    created = now_iso()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    application_id = ctx.store.insert(
        "oauth2_provider_application",
        {
            "client_id": "".join(secrets.choice(_ALPHANUMERIC) for _ in range(16)),
            "client_type": "confidential",
            "authorization_grant_type": "client-credentials",
            "client_secret": "".join(secrets.choice(_ALPHANUMERIC) for _ in range(40)),
            "hash_client_secret": 0,
            "name": f"_practitioner_client_{practitioner_id}_{stamp}",
            "created": created,
            "updated": created,
            "user_id": ctx.principal.user_id,
        },
    )
    client_id = ctx.store.insert(
        "core_practitionerclient",
        {
            "practitioner_id": practitioner_id,
            "application_id": application_id,
            "label": str(get(ctx.request.data, "label") or ""),
            "created": created,
        },
    )
    row = ctx.store.one(_SELECT + "WHERE pc.id = ?", (client_id,))
    assert row is not None
    return json_response(201, _shape(row))


def _own(ctx: Ctx) -> Row:
    row = ctx.store.one(
        _SELECT + "WHERE pc.id = ? AND pc.practitioner_id = ?",
        (to_pk(ctx.param("pk")), _practitioner_id(ctx)),
    )
    if row is None:
        raise not_found("No PractitionerClient matches the given query.")
    return row


def get_client(ctx: Ctx) -> Response:
    return json_response(200, _shape(_own(ctx)))


def delete_client(ctx: Ctx) -> Response:
    """Delete the client and its Application: its tokens stop working."""
    row = _own(ctx)
    ctx.store.run("DELETE FROM oauth2_provider_application WHERE id = ?", (row["application_id"],))
    return empty_response(204)
