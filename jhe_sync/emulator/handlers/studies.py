"""``/studies`` and ``/studies/{id}``: list, create, read, PATCH, PUT, DELETE.

As recorded: writes need manager or member in the study's organization (the
organization sent as ``organization``, an int, on create; ``organizationId`` is not read,
so it is a 403, 059); a missing or deleted study is a 403, never a 404 (054, 186); a
PATCH may move a study into an organization the caller is not in (083).
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import fields, shapes
from jhe_sync.emulator.context import Ctx, now_iso, save_setting
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import permission_denied, to_pk
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import can_manage_studies_in, require_practitioner, role_in

NOT_AUTHORIZED_FOR_STUDY = "Current User does not have authorization to access this Study."

_COLUMNS = {"organization": "organization_id"}  # serializer field -> column


def list_studies(ctx: Ctx) -> Response:
    """Studies of the organizations the caller has a role in, by name (041); none for a superuser.

    Remembers ``organization_id`` in the caller's settings even when it matches nothing (047, 140).
    """
    practitioner_id = require_practitioner(ctx.principal)
    query = ctx.request.query
    organization_id = to_pk(query["organization_id"]) if query.get("organization_id") else None
    sql = (
        "SELECT DISTINCT s.* FROM core_study s JOIN core_practitionerorganization po "
        "ON po.organization_id = s.organization_id WHERE po.practitioner_id = ?"
    )
    params: list[Any] = [practitioner_id]
    if organization_id is not None:
        sql += " AND s.organization_id = ?"
        params.append(organization_id)
    rows = ctx.store.all(sql + " ORDER BY s.name, s.id", params)
    page = paginate(ctx.request, rows, lambda row: shapes.study_read(ctx.store, row))
    if organization_id is not None:
        save_setting(ctx, "current_organization_id", organization_id)
    if query.get("study_id"):
        save_setting(ctx, "current_study_id", to_pk(query["study_id"]))
    return json_response(200, page)


def _study_row(ctx: Ctx, study_id: int | None) -> Row | None:
    return ctx.store.one("SELECT * FROM core_study WHERE id = ?", (study_id,))


def _authorized(ctx: Ctx, study_id: int | None) -> Row:
    """The study, if the caller has any role in its organization; else the server's 403."""
    row = _study_row(ctx, study_id)
    if row is None or role_in(ctx.store, ctx.principal, row["organization_id"]) is None:
        raise permission_denied(NOT_AUTHORIZED_FOR_STUDY)
    return row


def get_study(ctx: Ctx) -> Response:
    require_practitioner(ctx.principal)
    return json_response(
        200, shapes.study_read(ctx.store, _authorized(ctx, to_pk(ctx.param("pk"))))
    )


def _check_create_permission(ctx: Ctx) -> None:
    # The permission class reads ``organization`` before any validation, so a nested
    # object there fails in the role lookup as a 500 TypeError (060) -- except for a
    # superuser, whose role is decided without looking.
    if ctx.principal.is_superuser:
        return
    organization_id = to_pk(get(ctx.request.data, "organization"))
    if not can_manage_studies_in(ctx.store, ctx.principal, organization_id):
        raise permission_denied()


def _check_write_permission(ctx: Ctx) -> int | None:
    """Permission for PATCH/PUT/DELETE, from the study's current organization (085, 199)."""
    if ctx.principal.is_superuser:
        return None
    study_id = to_pk(ctx.param("pk"))
    row = _study_row(ctx, study_id)
    organization_id = row["organization_id"] if row is not None else None
    if not can_manage_studies_in(ctx.store, ctx.principal, organization_id):
        raise permission_denied()
    return study_id


def _validate(ctx: Ctx, *, partial: bool) -> dict[str, Any]:
    """StudySerializer's validation: the cleaned fields, or its 400 field dict."""
    return fields.validate(
        ctx.request.data,
        [
            fields.Field("name", fields.char(), required=True),
            fields.Field("description", fields.char(), required=True),
            fields.Field(
                "organization", fields.primary_key(ctx.store, "core_organization"), required=True
            ),
            fields.Field("icon_url", fields.char(allow_null=True, allow_blank=True)),
        ],
        partial=partial,
    )


def create_study(ctx: Ctx) -> Response:
    """201 with the write shape (organization as an id), no Location header (056)."""
    _check_create_permission(ctx)
    cleaned = _validate(ctx, partial=False)
    study_id = ctx.store.insert(
        "core_study",
        {
            "name": cleaned["name"],
            "description": cleaned["description"],
            "organization_id": cleaned["organization"],
            "icon_url": cleaned.get("icon_url"),
            "last_updated": now_iso(),
        },
    )
    row = _study_row(ctx, study_id)
    assert row is not None
    return json_response(201, shapes.study_write(row))


def update_study(ctx: Ctx, *, partial: bool) -> Response:
    """PATCH (partial) or PUT (name, description and organization required, 082)."""
    study_id = _check_write_permission(ctx)
    row = _authorized(ctx, study_id if study_id is not None else to_pk(ctx.param("pk")))
    cleaned = _validate(ctx, partial=partial)
    columns = {_COLUMNS.get(name, name): value for name, value in cleaned.items()}
    # saved even when nothing changed (078), so last_updated moves like Django's auto_now
    assignments = "".join(f"{column} = ?, " for column in columns)
    ctx.store.run(
        f"UPDATE core_study SET {assignments}last_updated = ? WHERE id = ?",
        [*columns.values(), now_iso(), row["id"]],
    )
    updated = _study_row(ctx, row["id"])
    assert updated is not None
    return json_response(200, shapes.study_write(updated))


def patch_study(ctx: Ctx) -> Response:
    return update_study(ctx, partial=True)


def put_study(ctx: Ctx) -> Response:
    return update_study(ctx, partial=False)


def delete_study(ctx: Ctx) -> Response:
    """204; scope requests, data sources, clients, enrollments and consents go with it (185-192)."""
    study_id = _check_write_permission(ctx)
    row = _authorized(ctx, study_id if study_id is not None else to_pk(ctx.param("pk")))
    ctx.store.run("DELETE FROM core_study WHERE id = ?", (row["id"],))
    return empty_response(204)
