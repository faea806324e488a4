"""The role model, as the real server applies it (and where it does not).

Roles are per organization and not inherited by child organizations. What a role may
do is the server's ``ROLE_PERMISSIONS`` table; a role the table does not know (the
server stores any string, 463) may do nothing, and a superuser may do everything.
Writing a study takes ``study.manage_for_organization`` in the study's organization;
reading one takes any role there. Which organization decides is the server's too:
for an organization's own PATCH, PUT and DELETE it is its PARENT (or itself when
top-level), for its practitioners (``user``, ``remove_user``) the organization itself.
The study sub-resources check nothing beyond authentication: that hole is reproduced,
not fixed (FINDINGS "AUTHZ").
"""

from __future__ import annotations

from jhe_sync.emulator.auth import Principal
from jhe_sync.emulator.db import Store
from jhe_sync.emulator.errors import ServerError, not_found

MANAGE_PRACTITIONERS = "organization.manage_for_practitioners"
MANAGE_PATIENTS = "patient.manage_for_organization"
MANAGE_STUDIES = "study.manage_for_organization"

# core/permissions.py ROLE_PERMISSIONS (the superuser's row is "everything")
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({MANAGE_PRACTITIONERS, MANAGE_PATIENTS, MANAGE_STUDIES}),
    "member": frozenset({MANAGE_PATIENTS, MANAGE_STUDIES}),
    "viewer": frozenset(),
}

ROOT_ORGANIZATION = 0


def role_in(store: Store, principal: Principal, organization_id: int | None) -> str | None:
    """The caller's role in one organization, or None."""
    if principal.practitioner_id is None or organization_id is None:
        return None
    role: str | None = store.scalar(
        "SELECT role FROM core_practitionerorganization WHERE practitioner_id = ? AND organization_id = ?",
        (principal.practitioner_id, organization_id),
    )
    return role


def displayed_role(store: Store, principal: Principal, organization_id: int) -> str | None:
    """``currentUserRole`` on organization shapes: a superuser shows as ``super_user`` (031)."""
    if principal.is_superuser:
        return "super_user"
    return role_in(store, principal, organization_id)


def user_can(
    store: Store, principal: Principal, permission: str, organization_id: int | None
) -> bool:
    """``IfUserCan(permission)``: the caller's role in ``organization_id`` grants it."""
    if principal.is_superuser:
        return True
    role = role_in(store, principal, organization_id)
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def can_manage_studies_in(store: Store, principal: Principal, organization_id: int | None) -> bool:
    return user_can(store, principal, MANAGE_STUDIES, organization_id)


def can_manage_patients_in(store: Store, principal: Principal, organization_id: int | None) -> bool:
    return user_can(store, principal, MANAGE_PATIENTS, organization_id)


def can_manage_practitioners_in(
    store: Store, principal: Principal, organization_id: int | None
) -> bool:
    return user_can(store, principal, MANAGE_PRACTITIONERS, organization_id)


def authority_over(store: Store, organization_id: int | None) -> int | None:
    """The organization whose roles decide a PATCH, PUT or DELETE of ``organization_id``.

    Its parent, or itself when it is top-level (no parent, or ROOT). An unknown
    organization fails inside the server's permission class: a 500 (427, 437).
    """
    row = store.one("SELECT part_of_id FROM core_organization WHERE id = ?", (organization_id,))
    if row is None:
        raise ServerError("AttributeError", "'NoneType' object has no attribute 'part_of'")
    parent: int | None = row["part_of_id"]
    return parent if parent not in (None, ROOT_ORGANIZATION) else organization_id


def require_practitioner(principal: Principal) -> int:
    """The caller's practitioner id; a patient user gets the server's 404 (049)."""
    if principal.practitioner_id is None:
        raise not_found("No Practitioner matches the given query.")
    return principal.practitioner_id
