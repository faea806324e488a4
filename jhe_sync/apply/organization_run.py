"""One organization entry's changes of one phase, in ``ChangeKind`` order, with its id
filled in after its create (and its parent's, when this apply created the parent).

What each change reads back after an ambiguous failure (``EntryRun.send``):

- a create: the organizations under the parent (``?part_of=``), by the lock-free
  create protocol of ``create.py`` (one of that name that appeared since the plan is
  adopted; after creating, the lowest id among same-named siblings wins and this
  apply's duplicate is deleted). A create that timed out is never resent;
- a rename, retype or move: the organization's fields; a delete: the organization
  (gone: 404; the server answers 500 for deleting one that is already gone);
- a role granted, raised, lowered or removed: the organization's user list (every role
  the plan changes is one that list shows: the plan leaves alone those it cannot);
- a patient added or removed: the patient (gone altogether, or without that
  organization, after a removal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from jhe_sync.apply.run import EntryRun
from jhe_sync.exchange.read import read_organization, read_organization_roles, read_patient
from jhe_sync.live import Organization
from jhe_sync.plan.change import Change
from jhe_sync.resources import ChangeKind


class OrganizationRun(EntryRun):
    """An organization entry's changes; its id is recorded for the others after a create."""

    created_id: int | None = None

    def ids(self) -> Mapping[str, int]:
        known = self.created_id if self.created_id is not None else self.changes[0].organization_id
        return {} if known is None else {"organization_id": known}

    def perform(self, change: Change) -> str:
        if change.kind is ChangeKind.CREATE_ORGANIZATION:
            return self._create(change)
        organization_id = self.run.organization_of(change)
        call = self.run.filled(change.call())
        return self.write(change, call, self._done(change, organization_id))

    def _done(self, change: Change, organization_id: int) -> Callable[[], bool]:
        """The read-back that tells whether the change has happened."""
        kind = change.kind
        exchange = self.exchange
        if kind is ChangeKind.DELETE_ORGANIZATION:
            return lambda: read_organization(exchange, organization_id) is None
        if kind in (ChangeKind.UPDATE_ORGANIZATION, ChangeKind.MOVE_ORGANIZATION):
            wanted = {f.name: f.after for f in change.fields if f.name in ("name", "type")}

            def updated() -> bool:
                found = read_organization(exchange, organization_id)
                if found is None:
                    return False
                if kind is ChangeKind.MOVE_ORGANIZATION:
                    parent = (self.run.filled(change.call()).body or {})["partOf"]
                    return bool(found.part_of == parent)
                return all(getattr(found, name) == value for name, value in wanted.items())

            return updated
        if kind in (ChangeKind.ADD_MEMBERSHIP, ChangeKind.REMOVE_MEMBERSHIP):
            patient_id = change.link_id
            assert patient_id is not None
            adding = kind is ChangeKind.ADD_MEMBERSHIP

            def membership() -> bool:
                patient = read_patient(exchange, patient_id)
                member = patient is not None and organization_id in patient.organization_ids
                return member if adding else not member

            return membership
        user_id, (_, role) = change.link_id, change.role
        assert user_id is not None

        def roles() -> bool:
            current = {
                r.user_id: r.role for r in read_organization_roles(exchange, organization_id)
            }
            return current.get(user_id) == role if role is not None else user_id not in current

        return roles

    def _create(self, change: Change) -> str:
        """Create the organization under its parent, or adopt the one a racing apply made."""
        call = self.run.filled(change.call())
        parent = int((call.body or {})["part_of"])
        name = str(next((f.after for f in change.fields if f.name == "name"), change.name))
        wanted = next((f.after for f in change.fields if f.name == "type"), None)

        def differing(found: Organization) -> list[str]:
            return ["type"] if wanted is not None and found.type != wanted else []

        self.created_id, note = self.create_unique(
            change, call, self.run.organizations, parent, name, differing
        )
        self.run.created(change.key, self.created_id)
        return note
