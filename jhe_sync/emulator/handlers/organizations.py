"""``/organizations`` and ``/organizations/{id}``: list, read, tree, studies, types, and
create, PATCH, PUT, DELETE.

Members and non-members read alike (022, 025, 027); only ``currentUserRole`` differs.
Writes as recorded:

- creating takes ``manager`` in the ``part_of`` organization; a top-level one (no
  ``part_of``, or ROOT's 0) takes a superuser (403, 407, 408). The creator of a
  sub-organization is linked to it as manager, after the 201 body was made, which
  therefore still says ``currentUserRole: null`` (403, 404); a top-level creation links
  nobody (410);
- PATCH, PUT and DELETE take ``manager`` in the PARENT organization (itself when
  top-level; ``permissions.authority_over``), so a re-parented organization changes
  hands (430-432); an unknown one is a 500 in the permission check (427, 437);
- DELETE answers 204 whatever the organization holds and cascades to its child
  organizations, their studies (with links, enrollments and consents), memberships and
  practitioner links; patients stay, possibly in no organization (441-445, 515-517).

An organization row moves to the end of PostgreSQL's table on every save
(``heap_position``), which decides the order of the server's unordered organization
lists (483).
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import fields, shapes
from jhe_sync.emulator.context import Ctx, now_iso
from jhe_sync.emulator.db import Row, Store
from jhe_sync.emulator.errors import not_found, object_pk, permission_denied, to_pk
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import (
    authority_over,
    can_manage_practitioners_in,
    displayed_role,
)
from jhe_sync.emulator.seed import ORGANIZATION_TYPES

NO_ORGANIZATION = "No Organization matches the given query."


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


def organization_row(ctx: Ctx) -> Row:
    """The organization of the URL, or the server's 404 (``get_object``, 436)."""
    row = ctx.store.one(
        "SELECT * FROM core_organization WHERE id = ?", (object_pk(ctx.param("pk")),)
    )
    if row is None:
        raise not_found(NO_ORGANIZATION)
    return row


def get_organization(ctx: Ctx) -> Response:
    return json_response(
        200, shapes.organization_for(ctx.store, ctx.principal, organization_row(ctx))
    )


def tree(ctx: Ctx) -> Response:
    """The organization with its descendants nested in ``children``, by name (028, 402)."""

    def subtree(row: Row) -> dict[str, Any]:
        shaped = shapes.organization(row, displayed_role(ctx.store, ctx.principal, row["id"]))
        children = ctx.store.all(
            "SELECT * FROM core_organization WHERE part_of_id = ? ORDER BY name, id", (row["id"],)
        )
        shaped["children"] = [subtree(child) for child in children]
        return shaped

    return json_response(200, subtree(organization_row(ctx)))


def studies(ctx: Ctx) -> Response:
    """The organization's studies by name, a bare list, organization as an id (026)."""
    rows = ctx.store.all(
        "SELECT * FROM core_study WHERE organization_id = ? ORDER BY name, id",
        (organization_row(ctx)["id"],),
    )
    return json_response(200, [shapes.study_write(r) for r in rows])


def types(ctx: Ctx) -> Response:
    return json_response(200, ORGANIZATION_TYPES)


# -- writes -----------------------------------------------------------------------------


def _serializer(store: Store) -> list[fields.Field]:
    """OrganizationSerializer's writable fields."""
    return [
        fields.Field("name", fields.char(), required=True),
        fields.Field("type", fields.choice(ORGANIZATION_TYPES), required=True),
        fields.Field("part_of", fields.primary_key(store, "core_organization", allow_null=True)),
    ]


def _next_heap_position(store: Store) -> int:
    position: int = store.scalar(
        "SELECT COALESCE(MAX(heap_position), 0) + 1 FROM core_organization"
    )
    return position


def create_organization(ctx: Ctx) -> Response:
    """201 with the new organization (no Location header); see the module docstring."""
    store, principal, data = ctx.store, ctx.principal, ctx.request.data
    part_of = get(data, "part_of")
    # the permission class looks the role up in ``part_of`` before anything is validated
    if not principal.is_superuser and not can_manage_practitioners_in(
        store, principal, to_pk(part_of)
    ):
        raise permission_denied()
    if not part_of and not principal.is_superuser:
        raise permission_denied("You don't have permission to create a top-level organization.")
    cleaned = fields.validate(data, _serializer(store), partial=False)
    organization_id = store.insert(
        "core_organization",
        {
            "name": cleaned["name"],
            "type": cleaned["type"],
            "part_of_id": cleaned.get("part_of"),
            "last_updated": now_iso(),
            "heap_position": _next_heap_position(store),
        },
    )
    row = store.one("SELECT * FROM core_organization WHERE id = ?", (organization_id,))
    assert row is not None
    answer = shapes.organization_for(store, principal, row)
    if part_of and principal.practitioner_id is not None:
        store.insert(
            "core_practitionerorganization",
            {
                "organization_id": organization_id,
                "practitioner_id": principal.practitioner_id,
                "role": "manager",
            },
        )
    return json_response(201, answer)


def _check_authority(ctx: Ctx) -> None:
    """PATCH, PUT and DELETE: manager of the parent (or of a top-level organization itself)."""
    if ctx.principal.is_superuser:
        return
    authority = authority_over(ctx.store, to_pk(ctx.param("pk")))
    if not can_manage_practitioners_in(ctx.store, ctx.principal, authority):
        raise permission_denied()


def update_organization(ctx: Ctx, *, partial: bool) -> Response:
    """PATCH (partial) or PUT (name and type required, 429); ``partOf`` moves it (430)."""
    _check_authority(ctx)
    row = organization_row(ctx)
    cleaned = fields.validate(ctx.request.data, _serializer(ctx.store), partial=partial)
    columns = {("part_of_id" if name == "part_of" else name): v for name, v in cleaned.items()}
    assignments = "".join(f"{column} = ?, " for column in columns)
    ctx.store.run(
        f"UPDATE core_organization SET {assignments}last_updated = ?, heap_position = ? WHERE id = ?",
        [*columns.values(), now_iso(), _next_heap_position(ctx.store), row["id"]],
    )
    updated = ctx.store.one("SELECT * FROM core_organization WHERE id = ?", (row["id"],))
    assert updated is not None
    return json_response(200, shapes.organization_for(ctx.store, ctx.principal, updated))


def patch_organization(ctx: Ctx) -> Response:
    return update_organization(ctx, partial=True)


def put_organization(ctx: Ctx) -> Response:
    return update_organization(ctx, partial=False)


def delete_organization(ctx: Ctx) -> Response:
    """204, and the database cascades: child organizations, studies, memberships, roles."""
    _check_authority(ctx)
    ctx.store.run("DELETE FROM core_organization WHERE id = ?", (organization_row(ctx)["id"],))
    return empty_response(204)
