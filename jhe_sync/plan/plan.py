"""A Plan: pure data, stable order, its own counts, dict form and safety check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jhe_sync.plan.change import Change, ChangeKind, SafetyPolicy, UnmanagedStudy, Warning_

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PlanCounts:
    create: int
    update: int
    destroy: int
    links_add: int
    links_remove: int

    @property
    def total(self) -> int:
        return self.create + self.update + self.destroy + self.links_add + self.links_remove

    def summary(self) -> str:
        return (
            f"Plan: {self.create} to create, {self.update} to update, {self.destroy} to destroy; "
            f"{self.links_add} links to add, {self.links_remove} to remove"
        )


@dataclass
class Plan:
    """The changes that bring the live exchange to the spec, and what a reviewer must know."""

    changes: tuple[Change, ...]
    unmanaged: tuple[UnmanagedStudy, ...] = ()
    warnings: tuple[Warning_, ...] = ()
    managed_objects: int = 0
    """Studies and links the spec manages on the live side (the base of the destroy share)."""
    spec_digest: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)
    """What the plan read, for staleness checks: ``study:ID`` and ``organization:ID`` digests."""
    organization_names: dict[int, str] = field(default_factory=dict)
    """Names of the organizations the changes and unmanaged studies are in, for display."""

    def __post_init__(self) -> None:
        self.changes = tuple(sorted(self.changes, key=lambda c: c.sort_key))
        self.unmanaged = tuple(
            sorted(self.unmanaged, key=lambda u: (u.organization_id, u.name, u.id))
        )
        self.warnings = tuple(sorted(self.warnings, key=lambda w: (w.study_key, w.message)))

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def counts(self) -> PlanCounts:
        kinds = [c.kind for c in self.changes]
        return PlanCounts(
            create=kinds.count(ChangeKind.CREATE_STUDY),
            update=kinds.count(ChangeKind.UPDATE_STUDY),
            destroy=kinds.count(ChangeKind.DELETE_STUDY),
            links_add=sum(
                c.link_count for c in self.changes if c.kind.is_link and not c.destructive
            ),
            links_remove=sum(
                c.link_count for c in self.changes if c.kind.is_link and c.destructive
            ),
        )

    def organization_label(self, organization_id: int) -> str:
        """``Lifespan Lab (20003)``, or ``organization 20003`` when the name is not known."""
        name = self.organization_names.get(organization_id)
        return f"{name} ({organization_id})" if name else f"organization {organization_id}"

    def by_study(self) -> dict[str, list[Change]]:
        """Changes grouped by study key, in plan order."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.study_key, []).append(change)
        return groups

    def destructive_changes(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    def refusals(self, policy: SafetyPolicy) -> list[str]:
        """Every reason the safeguards refuse this plan; empty when it may be applied."""
        from jhe_sync.plan.safety import refusals

        return refusals(self, policy)

    def raise_if_unsafe(self, policy: SafetyPolicy) -> None:
        from jhe_sync.errors import SafetyRefusal

        reasons = self.refusals(policy)
        if reasons:
            raise SafetyRefusal(reasons)

    def to_dict(self) -> dict[str, Any]:
        from jhe_sync.plan.serialize import plan_to_dict

        return plan_to_dict(self)

    def filtered(self, keys: Iterable[str]) -> Plan:
        """The same plan limited to some study keys (``--target``)."""
        wanted = set(keys)
        return Plan(
            changes=tuple(c for c in self.changes if c.study_key in wanted),
            unmanaged=(),
            warnings=tuple(w for w in self.warnings if w.study_key in wanted),
            managed_objects=self.managed_objects,
            spec_digest=self.spec_digest,
            fingerprints=self.fingerprints,
            organization_names=self.organization_names,
        )
