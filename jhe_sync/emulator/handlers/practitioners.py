"""``/practitioners`` and ``/practitioners/{id}``: superusers only (449, 453).

As recorded: the list is DRF's default page of 1,000 by id and ignores query filters
(451); a create makes the user (``userType`` null: invisible in organization user
lists, 459) and the practitioner, linked as ``member`` to ``organization_id`` if given;
an existing email is a 201 with that practitioner unchanged (458); errors are a bare
list of strings (456, 457). PATCH and PUT change the names (523); DELETE removes the
practitioner, its links, and its user unless that is a superuser or a patient (524, 525).
"""

from __future__ import annotations

from jhe_sync.emulator import fields, shapes
from jhe_sync.emulator.accounts import delete_user_if_unused, find_or_create_user
from jhe_sync.emulator.context import Ctx, now_iso
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import ApiError, not_found, object_pk, permission_denied, to_pk
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.pagination import FIXED_PAGE_SIZE, paginate


def _superuser_only(ctx: Ctx) -> None:
    if not ctx.principal.is_superuser:
        raise permission_denied()


def _practitioner(ctx: Ctx) -> Row:
    row = ctx.store.one(
        "SELECT * FROM core_practitioner WHERE id = ?", (object_pk(ctx.param("pk")),)
    )
    if row is None:
        raise not_found("No Practitioner matches the given query.")
    return row


def _answer(ctx: Ctx, status: int, practitioner_id: int) -> Response:
    row = ctx.store.one("SELECT * FROM core_practitioner WHERE id = ?", (practitioner_id,))
    assert row is not None
    return json_response(status, shapes.practitioner(ctx.store, row))


def list_practitioners(ctx: Ctx) -> Response:
    _superuser_only(ctx)
    rows = ctx.store.all("SELECT * FROM core_practitioner ORDER BY id")
    return json_response(
        200,
        paginate(
            ctx.request,
            rows,
            lambda row: shapes.practitioner(ctx.store, row),
            fixed_size=FIXED_PAGE_SIZE,
        ),
    )


def get_practitioner(ctx: Ctx) -> Response:
    _superuser_only(ctx)
    return _answer(ctx, 200, _practitioner(ctx)["id"])


def create_practitioner(ctx: Ctx) -> Response:
    """201 with the (new or existing) practitioner of ``telecom_email``."""
    _superuser_only(ctx)
    data = ctx.request.data
    email = fields.stripped(get(data, "telecom_email"))
    if not email:
        raise ApiError(400, ["Email is required to create a practitioner."])
    if not fields.is_email(email):
        raise ApiError(400, ["Enter a valid email address."])
    organization_id = get(data, "organization_id")
    if organization_id:
        organization_id = to_pk(organization_id)
        if (
            ctx.store.one("SELECT 1 FROM core_organization WHERE id = ?", (organization_id,))
            is None
        ):
            raise ApiError(400, ["Organization not found."])
    with ctx.store.atomic():
        user_id = find_or_create_user(ctx.store, email)
        practitioner_id = ctx.store.scalar(
            "SELECT id FROM core_practitioner WHERE jhe_user_id = ?", (user_id,)
        )
        if practitioner_id is None:
            practitioner_id = ctx.store.insert(
                "core_practitioner",
                {
                    "jhe_user_id": user_id,
                    "name_family": get(data, "name_family"),
                    "name_given": get(data, "name_given"),
                    "last_updated": now_iso(),
                },
            )
        if organization_id:
            linked = ctx.store.one(
                "SELECT 1 FROM core_practitionerorganization WHERE practitioner_id = ? "
                "AND organization_id = ?",
                (practitioner_id, organization_id),
            )
            if linked is None:
                ctx.store.insert(
                    "core_practitionerorganization",
                    {
                        "organization_id": organization_id,
                        "practitioner_id": practitioner_id,
                        "role": "member",
                    },
                )
    return _answer(ctx, 201, practitioner_id)


def update_practitioner(ctx: Ctx, *, partial: bool) -> Response:
    """The names are the serializer's only writable fields, neither required."""
    _superuser_only(ctx)
    row = _practitioner(ctx)
    cleaned = fields.validate(
        ctx.request.data,
        [
            fields.Field("name_family", fields.char(allow_null=True)),
            fields.Field("name_given", fields.char(allow_null=True)),
        ],
        partial=partial,
    )
    assignments = "".join(f"{column} = ?, " for column in cleaned)
    ctx.store.run(
        f"UPDATE core_practitioner SET {assignments}last_updated = ? WHERE id = ?",
        [*cleaned.values(), now_iso(), row["id"]],
    )
    return _answer(ctx, 200, row["id"])


def patch_practitioner(ctx: Ctx) -> Response:
    return update_practitioner(ctx, partial=True)


def put_practitioner(ctx: Ctx) -> Response:
    return update_practitioner(ctx, partial=False)


def delete_practitioner(ctx: Ctx) -> Response:
    """204; the links go with it, and the user unless it is still needed."""
    _superuser_only(ctx)
    row = _practitioner(ctx)
    with ctx.store.atomic():
        ctx.store.run("DELETE FROM core_practitioner WHERE id = ?", (row["id"],))
        delete_user_if_unused(ctx.store, row["jhe_user_id"])
    return empty_response(204)
