"""``POST /invitation``: an invitation link for a patient through a patient-app client (307).

Earlier invitations of the same patient through the same client are marked ``reissued``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from jhe_sync.emulator.context import Ctx, now_iso
from jhe_sync.emulator.errors import field_errors, not_found, to_pk
from jhe_sync.emulator.http import Response, get, json_response

_REQUIRED = "This field is required."


def create_invitation(ctx: Ctx) -> Response:
    data = ctx.request.data
    errors = {name: _REQUIRED for name in ("patient_id", "client_id") if get(data, name) is None}
    if errors:
        raise field_errors(errors)
    client_pk = get(data, "client_id")
    client = None
    if (
        isinstance(client_pk, int | str)
        and not isinstance(client_pk, bool)
        and str(client_pk).isdigit()
    ):
        client = ctx.store.one(
            "SELECT * FROM oauth2_provider_application WHERE id = ?", (int(client_pk),)
        )
    if client is None:
        raise field_errors({"client_id": f'Invalid pk "{client_pk}" - object does not exist.'})
    patient = ctx.store.one(
        "SELECT * FROM core_patient WHERE id = ?", (to_pk(get(data, "patient_id")),)
    )
    if patient is None:
        raise not_found("No Patient matches the given query.")
    token = secrets.token_urlsafe(32)
    token_hash = (
        base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).decode().rstrip("=")
    )
    updated = now_iso()
    ctx.store.run(
        "UPDATE core_patientinvitation SET status = 'reissued', last_updated = ? "
        "WHERE patient_id = ? AND client_id = ? AND status = 'issued'",
        (updated, patient["id"], client["id"]),
    )
    invitation_id = ctx.store.insert(
        "core_patientinvitation",
        {
            "patient_id": patient["id"],
            "client_id": client["id"],
            "token_hash": token_hash,
            "status": "issued",
            "last_updated": updated,
        },
    )
    code = f"{ctx.request.host}~{client['client_id']}~{token}"
    link = (client["invitation_url"] or "").replace("CODE", code)
    return json_response(
        201,
        {
            "id": invitation_id,
            "patientId": patient["id"],
            "client_id": client["id"],
            "tokenHash": token_hash,
            "token": token,
            "status": "issued",
            "lastUpdated": updated,
            "invitationLink": link,
        },
    )
