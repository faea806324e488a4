"""``/users``, ``/users/profile``, ``/users/organizations``.

Any authenticated user, patients included, can list every user (014, 015): reproduced.
"""

from __future__ import annotations

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.http import Response, json_response
from jhe_sync.emulator.pagination import paginate


def list_users(ctx: Ctx) -> Response:
    rows = ctx.store.all("SELECT * FROM core_jheuser ORDER BY list_position, id")
    return json_response(200, paginate(ctx.request, rows, lambda row: shapes.user(ctx.store, row)))


def profile(ctx: Ctx) -> Response:
    row = ctx.store.one("SELECT * FROM core_jheuser WHERE id = ?", (ctx.principal.user_id,))
    assert row is not None
    return json_response(200, shapes.profile(ctx.store, row))


def organizations(ctx: Ctx) -> Response:
    """The caller's organizations, a bare list; ``currentUserRole`` is always null here (013)."""
    p = ctx.principal
    if p.practitioner_id is not None:
        rows = ctx.store.all(
            "SELECT o.* FROM core_practitionerorganization po JOIN core_organization o ON o.id = po.organization_id "
            "WHERE po.practitioner_id = ? ORDER BY po.id",
            (p.practitioner_id,),
        )
    else:
        rows = ctx.store.all(
            "SELECT o.* FROM core_patientorganization po JOIN core_organization o ON o.id = po.organization_id "
            "WHERE po.patient_id = ? ORDER BY po.id",
            (p.patient_id,),
        )
    return json_response(200, [shapes.organization(row, None) for row in rows])
