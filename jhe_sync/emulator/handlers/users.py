"""``/users``, ``/users/search_by_email``, ``/users/profile``, ``/users/organizations``.

Any authenticated user, patients included, can list every user (014, 015) and look one
up by exact email (446): reproduced. Users are ordered by last name, as the server's
queryset is. An unknown email on ``search_by_email`` is not a 404 but an empty user
with no id (448): the serializer's initial values.
"""

from __future__ import annotations

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.http import Response, json_response
from jhe_sync.emulator.pagination import paginate


def _users(ctx: Ctx) -> list[Row]:
    """``JheUserViewSet.get_queryset``: everyone, or the exact ``email``, by last name."""
    email = ctx.request.query.get("email")
    if email:
        return ctx.store.all(
            "SELECT * FROM core_jheuser WHERE email = ? ORDER BY last_name, id", (email,)
        )
    return ctx.store.all("SELECT * FROM core_jheuser ORDER BY last_name, id")


def list_users(ctx: Ctx) -> Response:
    return json_response(
        200, paginate(ctx.request, _users(ctx), lambda row: shapes.user(ctx.store, row))
    )


def search_by_email(ctx: Ctx) -> Response:
    """The first user of the list (447); none found is the blank user (448)."""
    rows = _users(ctx)
    return json_response(200, shapes.user(ctx.store, rows[0]) if rows else shapes.BLANK_USER)


def profile(ctx: Ctx) -> Response:
    row = ctx.store.one("SELECT * FROM core_jheuser WHERE id = ?", (ctx.principal.user_id,))
    assert row is not None
    return json_response(200, shapes.profile(ctx.store, row))


def organizations(ctx: Ctx) -> Response:
    """The caller's organizations as a practitioner, a bare list (none for a patient user:
    the server asks ``Organization.for_practitioner``); ``currentUserRole`` is null (013).

    In the order of the caller's links, not of the organization rows as elsewhere: the
    server's query runs from the link table (seen on the real server after a role was
    removed and given again)."""
    rows = ctx.store.all(
        "SELECT o.* FROM core_practitionerorganization po "
        "JOIN core_organization o ON o.id = po.organization_id "
        "WHERE po.practitioner_id = ? ORDER BY po.id",
        (ctx.principal.practitioner_id,),
    )
    return json_response(200, [shapes.organization(row, None) for row in rows])
