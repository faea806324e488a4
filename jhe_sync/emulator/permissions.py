"""The role model, as the real server applies it (and where it does not).

Roles are per organization and not inherited by child organizations. Writing a study
takes ``manager`` or ``member`` in the study's organization (or being a superuser);
reading one takes any role there. The study sub-resources check nothing beyond
authentication: that hole is reproduced, not fixed (FINDINGS "AUTHZ").
"""

from __future__ import annotations

from jhe_sync.emulator.auth import Principal
from jhe_sync.emulator.db import Store
from jhe_sync.emulator.errors import not_found

WRITER_ROLES = ("manager", "member")


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


def can_manage_studies_in(store: Store, principal: Principal, organization_id: int | None) -> bool:
    """The ``study.manage_for_organization`` permission."""
    return principal.is_superuser or role_in(store, principal, organization_id) in WRITER_ROLES


def can_manage_patients_in(store: Store, principal: Principal, organization_id: int | None) -> bool:
    """The ``patient.manage_for_organization`` permission."""
    return principal.is_superuser or role_in(store, principal, organization_id) in WRITER_ROLES


def member_organization_ids(store: Store, principal: Principal) -> list[int]:
    """Organizations where the caller has any practitioner role."""
    if principal.practitioner_id is None:
        return []
    return [
        row[0]
        for row in store.all(
            "SELECT organization_id FROM core_practitionerorganization WHERE practitioner_id = ? ORDER BY id",
            (principal.practitioner_id,),
        )
    ]


def require_practitioner(principal: Principal) -> int:
    """The caller's practitioner id; a patient user gets the server's 404 (049)."""
    if principal.practitioner_id is None:
        raise not_found("No Practitioner matches the given query.")
    return principal.practitioner_id
