"""``/organizations``: list (by name, all of them, 016), detail, tree, users, studies, types.

Members and non-members read alike (022, 025, 027); only ``currentUserRole`` differs.
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import not_found, to_pk
from jhe_sync.emulator.http import Response, json_response
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import displayed_role
from jhe_sync.emulator.seed import ORGANIZATION_TYPES

_NO_ORGANIZATION = "No Organization matches the given query."


def list_organizations(ctx: Ctx) -> Response:
    part_of = ctx.request.query.get("part_of")
    if part_of:
        rows = ctx.store.all(
            "SELECT * FROM core_organization WHERE part_of_id = ? ORDER BY name, id",
            (to_pk(part_of),),
        )
    else:
        rows = ctx.store.all("SELECT * FROM core_organization ORDER BY name, id")
    return json_response(
        200,
        paginate(
            ctx.request, rows, lambda row: shapes.organization_for(ctx.store, ctx.principal, row)
        ),
    )


def _organization(ctx: Ctx) -> Row:
    row = ctx.store.one("SELECT * FROM core_organization WHERE id = ?", (to_pk(ctx.param("pk")),))
    if row is None:
        raise not_found(_NO_ORGANIZATION)
    return row


def get_organization(ctx: Ctx) -> Response:
    return json_response(200, shapes.organization_for(ctx.store, ctx.principal, _organization(ctx)))


def tree(ctx: Ctx) -> Response:
    """The organization with its descendants nested in ``children`` (028)."""

    def subtree(row: Row) -> dict[str, Any]:
        shaped = shapes.organization(row, displayed_role(ctx.store, ctx.principal, row["id"]))
        children = ctx.store.all(
            "SELECT * FROM core_organization WHERE part_of_id = ? ORDER BY id", (row["id"],)
        )
        shaped["children"] = [subtree(child) for child in children]
        return shaped

    return json_response(200, subtree(_organization(ctx)))


def users(ctx: Ctx) -> Response:
    """Practitioners with a role here, newest role first, a bare list (024, 025)."""
    rows = ctx.store.all(
        "SELECT u.id, u.email, u.first_name, u.last_name, po.role FROM core_practitionerorganization po "
        "JOIN core_practitioner pr ON pr.id = po.practitioner_id JOIN core_jheuser u ON u.id = pr.jhe_user_id "
        "WHERE po.organization_id = ? ORDER BY po.id DESC",
        (to_pk(ctx.param("pk")),),
    )
    return json_response(
        200,
        [
            {
                "id": r["id"],
                "email": r["email"],
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "role": r["role"],
            }
            for r in rows
        ],
    )


def studies(ctx: Ctx) -> Response:
    """The organization's studies by name, a bare list, organization as an id (026)."""
    rows = ctx.store.all(
        "SELECT * FROM core_study WHERE organization_id = ? ORDER BY name, id",
        (to_pk(ctx.param("pk")),),
    )
    return json_response(200, [shapes.study_write(r) for r in rows])


def types(ctx: Ctx) -> Response:
    return json_response(200, ORGANIZATION_TYPES)
