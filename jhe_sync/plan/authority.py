"""Which role a change needs of the caller, and in which organization (``core/permissions.py``
upstream, FINDINGS orgs/): what ``role_refusals`` checks before apply writes anything.

- a study's changes: the manager or member role in its organization (a superuser may);
- creating an organization under a parent: the manager role in the parent;
- renaming, retyping, moving or deleting one: the manager role in its parent (for a
  top-level organization, in itself);
- granting, changing or removing a practitioner's role: the manager role in that
  organization itself (a manager of the parent is refused);
- adding a patient to an organization: the server checks nothing at all, so jhe-sync
  asks for the manager or member role in it, as for removing one (which the server
  checks). That same role is what makes its patient list readable: for anyone else it
  reads empty, a superuser without a role there included.

A superuser may do all of it but the last. The creator of an organization becomes its
manager, so whatever a plan does in an organization it creates needs nothing more.
"""

from __future__ import annotations

from typing import Literal

from jhe_sync.live import Live
from jhe_sync.plan.change import Change
from jhe_sync.resources import ChangeKind

Need = Literal["studies", "create", "structure", "roles", "patients"]

NEEDS: dict[Need, tuple[str, str]] = {
    "studies": ("member or manager", "changing its studies"),
    "create": ("manager", "creating an organization under it"),
    "structure": ("manager", "renaming, retyping, moving or deleting an organization under it"),
    "roles": ("manager", "changing its practitioners' roles"),
    "patients": ("manager or member", "adding or removing its patients"),
}
"""Each need: the role it takes, and what it is for (as a refusal says)."""

_STRUCTURE = frozenset(
    {ChangeKind.UPDATE_ORGANIZATION, ChangeKind.MOVE_ORGANIZATION, ChangeKind.DELETE_ORGANIZATION}
)
_ROLES = frozenset(
    {ChangeKind.GRANT_ROLE, ChangeKind.RAISE_ROLE, ChangeKind.LOWER_ROLE, ChangeKind.REMOVE_ROLE}
)
_MEMBERSHIPS = frozenset({ChangeKind.ADD_MEMBERSHIP, ChangeKind.REMOVE_MEMBERSHIP})


def needed(change: Change, live: Live) -> tuple[int, Need] | None:
    """The organization whose role ``change`` needs, and which need; None when none is
    needed (the plan creates the organization the change acts in)."""
    kind = change.kind
    if kind is ChangeKind.CREATE_ORGANIZATION:
        return (change.parent_id, "create") if change.parent_id is not None else None
    if change.organization_id is None:
        return None
    if change.subject == "study":
        return change.organization_id, "studies"
    if kind in _STRUCTURE:
        found = live.organizations.get(change.organization_id)
        parent = found.part_of if found is not None else None
        if parent is None or parent == 0 or parent not in live.organizations:
            return change.organization_id, "structure"  # a top-level one: itself
        return parent, "structure"
    if kind in _ROLES:
        return change.organization_id, "roles"
    if kind in _MEMBERSHIPS:
        return change.organization_id, "patients"
    return None


def holds(live: Live, organization_id: int, need: Need) -> bool:
    """Whether the caller has what ``need`` takes in the organization."""
    if need == "studies":
        return live.can_write(organization_id)
    found = live.organizations.get(organization_id)
    role = found.role if found is not None else None
    if need == "patients":
        return role in ("manager", "member")
    return live.caller.is_superuser or role == "manager"
