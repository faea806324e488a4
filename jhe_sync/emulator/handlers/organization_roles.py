"""An organization's practitioners: ``/users`` (read), ``/user`` (upsert), ``/remove_user``.

As recorded:

- the list shows users whose ``userType`` is ``practitioner``, by last name: users made
  through the API have none, so a practitioner created or linked that way is never in
  it, nor is any change of their role (459, 464);
- ``POST .../user`` is an upsert of the role, stored as given (any string, 463): 201 for
  a new link, 200 for an existing one, the link at depth 1 either way; no role is a 500
  (NOT NULL, 465), an unknown organization for a superuser a 500 (foreign key, 473);
- both writes take ``manager`` in THAT organization (not its parent, 481), and the last
  manager may remove herself (479);
- their errors are ``{"error": ...}`` where DRF's are ``{"detail": ...}`` (466, 468).
"""

from __future__ import annotations

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import ApiError, not_found, permission_denied, to_pk
from jhe_sync.emulator.handlers.organizations import organization_row
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.integrity import PRACTITIONER_ORGANIZATION, insert_link, update_link
from jhe_sync.emulator.permissions import can_manage_practitioners_in


def users(ctx: Ctx) -> Response:
    """The organization's practitioner-typed users with their role there, a bare list (024)."""
    organization_id = organization_row(ctx)["id"]
    rows = ctx.store.all(
        "SELECT u.id, u.email, u.first_name, u.last_name, "
        "(SELECT po.role FROM core_practitionerorganization po "
        " JOIN core_practitioner pr ON pr.id = po.practitioner_id "
        " WHERE pr.jhe_user_id = u.id AND po.organization_id = :org) AS role "
        "FROM core_jheuser u WHERE u.user_type = 'practitioner' AND u.id IN ("
        " SELECT pr.jhe_user_id FROM core_practitionerorganization po "
        " JOIN core_practitioner pr ON pr.id = po.practitioner_id WHERE po.organization_id = :org "
        " UNION SELECT pa.jhe_user_id FROM core_patientorganization m "
        " JOIN core_patient pa ON pa.id = m.patient_id WHERE m.organization_id = :org) "
        "ORDER BY u.last_name, u.id",
        {"org": organization_id},
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


def _check_permission(ctx: Ctx) -> int | None:
    """Manager of this very organization, or a superuser; the organization id."""
    organization_id = to_pk(ctx.param("pk"))
    if not ctx.principal.is_superuser and not can_manage_practitioners_in(
        ctx.store, ctx.principal, organization_id
    ):
        raise permission_denied()
    return organization_id


def _practitioner_of_body(ctx: Ctx) -> Row:
    """The practitioner whose ``jhe_user_id`` the JSON body names, or the view's 400/404."""
    jhe_user_id = get(ctx.request.data, "jhe_user_id")
    if not jhe_user_id:
        raise ApiError(400, {"error": "jhe_user_id is required"})
    user = ctx.store.one("SELECT id FROM core_jheuser WHERE id = ?", (to_pk(jhe_user_id),))
    if user is None:
        raise not_found("No JheUser matches the given query.")
    practitioner = ctx.store.one(
        "SELECT * FROM core_practitioner WHERE jhe_user_id = ?", (user["id"],)
    )
    if practitioner is None:
        raise ApiError(404, {"error": "Practitioner not found"})
    return practitioner


def add_user(ctx: Ctx) -> Response:
    """``update_or_create`` of the link with ``organization_partitioner_role`` (sic)."""
    organization_id = _check_permission(ctx)
    practitioner = _practitioner_of_body(ctx)
    given = get(ctx.request.data, "organization_partitioner_role")
    role = given if given is None or isinstance(given, str) else str(given)
    existing = ctx.store.one(
        "SELECT id FROM core_practitionerorganization WHERE organization_id = ? AND practitioner_id = ?",
        (organization_id, practitioner["id"]),
    )
    if existing is not None:
        update_link(ctx.store, PRACTITIONER_ORGANIZATION, existing["id"], {"role": role})
        link_id, status = existing["id"], 200
    else:
        link_id = insert_link(
            ctx.store,
            PRACTITIONER_ORGANIZATION,
            {
                "organization_id": organization_id,
                "practitioner_id": practitioner["id"],
                "role": role,
            },
        )
        status = 201
    link = ctx.store.one("SELECT * FROM core_practitionerorganization WHERE id = ?", (link_id,))
    assert link is not None
    # the answer echoes the role as sent (a ChoiceField shows a non-choice as it is),
    # the database keeps it as text
    return json_response(status, {**shapes.practitioner_link(ctx.store, link), "role": given})


def remove_user(ctx: Ctx) -> Response:
    """204 whether or not the practitioner was linked (475); the body's id only (477)."""
    organization_id = _check_permission(ctx)
    practitioner = _practitioner_of_body(ctx)
    ctx.store.run(
        "DELETE FROM core_practitionerorganization WHERE organization_id = ? AND practitioner_id = ?",
        (organization_id, practitioner["id"]),
    )
    return empty_response(204)
