"""A Plan: pure data, stable order, its own counts, dict form and safety check.

The safety check is the Plan's (``refusals``, ``raise_if_unsafe``), with what the user
allowed (``SafetyPolicy``) beside it. Deleting a study, unenrolling a patient and
removing a scope request, data source or client destroy consent records or stop data
collection; deleting an organization takes its child organizations and their studies
with it; removing a patient from an organization unenrolls them from its studies (and
deletes the patient with their last organization); lowering or removing a role takes
access away, and a move hands an organization to other managers. Each such change is
refused unless the user allowed it (for its entry's key, or all); a ``protect: true``
entry refuses it whatever the flags, and so does a role change that takes the manager
role from the identity applying the plan, or leaves an organization without a manager;
and a threshold refuses a plan that destroys too much at once (a spec file that lost
half its content by mistake looks exactly like that). Every reason names the change and
the flag that would allow it, so one run shows everything to decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jhe_sync.errors import SafetyRefusal
from jhe_sync.plan.change import Change, UnmanagedStudy, Warning_
from jhe_sync.plan.render.wording import describe, patients_text, plural
from jhe_sync.resources import ChangeKind

PLAN_FORMAT_VERSION = 2

SHARE_FLOOR = 10
"""The destroy share applies only from this many managed objects: in a tiny estate one
deletion is a large share, and ``max_destroy`` already bounds it."""

IGNORE_THRESHOLD_FLAG = "--ignore-destroy-threshold"


@dataclass(frozen=True)
class SafetyPolicy:
    """What the user allowed. Defaults refuse every destructive change."""

    allow_destroy_all: bool = False
    allow_destroy_keys: frozenset[str] = frozenset()
    max_destroy: int = 10
    """Most destructive changes (patients unenrolled count one each) in one plan."""
    max_destroy_fraction: float = 0.25
    """Most share of the managed links and studies that one plan may destroy."""
    ignore_threshold: bool = False

    def allows(self, key: str) -> bool:
        """Whether destructive changes of this entry (a study or organization key) are allowed."""
        return self.allow_destroy_all or key in self.allow_destroy_keys


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
        self.warnings = tuple(sorted(self.warnings, key=lambda w: (w.key, w.message)))

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def counts(self) -> PlanCounts:
        """Studies and organizations created, updated (roles changed included) and
        destroyed; links (a study's, and roles and memberships) added and removed."""
        counted = [c.kind.counted_as for c in self.changes]
        return PlanCounts(
            create=counted.count("create"),
            update=counted.count("update"),
            destroy=counted.count("destroy"),
            links_add=sum(c.link_count for c in self.changes if c.kind.counted_as == "link_add"),
            links_remove=sum(
                c.link_count for c in self.changes if c.kind.counted_as == "link_remove"
            ),
        )

    def organization_label(self, organization_id: int) -> str:
        """``Lifespan Lab (20003)``, or ``organization 20003`` when the name is not known."""
        name = self.organization_names.get(organization_id)
        return f"{name} ({organization_id})" if name else f"organization {organization_id}"

    def organization_reference(self, change: Change) -> str:
        """The organization a change is in: its label, or ``new organization "KEY"``."""
        if change.organization_id is None:
            return f'new organization "{change.organization_key}"'
        return self.organization_label(change.organization_id)

    def by_key(self) -> dict[str, list[Change]]:
        """Changes grouped by entry key (organizations first, then studies), in plan order."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.key, []).append(change)
        return groups

    def destructive_changes(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    def refusals(self, policy: SafetyPolicy) -> list[str]:
        """Every reason the safeguards refuse this plan; empty when it may be applied."""
        return refusals(self, policy)

    def raise_if_unsafe(self, policy: SafetyPolicy) -> None:
        reasons = self.refusals(policy)
        if reasons:
            raise SafetyRefusal(reasons)

    def to_dict(self) -> dict[str, Any]:
        """The json form (the ``--format json`` output, without refusals; see
        ``specs/plan.schema.json``): keys in a fixed order, changes in plan order."""
        counts = self.counts
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "summary": {
                "create": counts.create,
                "update": counts.update,
                "destroy": counts.destroy,
                "links_add": counts.links_add,
                "links_remove": counts.links_remove,
                "changes": len(self.changes),
                "destructive_changes": len(self.destructive_changes()),
                "text": counts.summary() if self.changes else "No changes.",
            },
            "changes": [change.to_dict() for change in self.changes],
            "warnings": [{"key": w.key, "message": w.message} for w in self.warnings],
            "unmanaged": [
                {"id": u.id, "name": u.name, "organization_id": u.organization_id}
                for u in self.unmanaged
            ],
            "managed_objects": self.managed_objects,
            "spec_digest": self.spec_digest,
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "organization_names": {str(k): v for k, v in sorted(self.organization_names.items())},
        }

    def filtered(self, keys: Iterable[str]) -> Plan:
        """The same plan limited to some entry keys (``--target``)."""
        wanted = set(keys)
        return Plan(
            changes=tuple(c for c in self.changes if c.key in wanted),
            unmanaged=(),
            warnings=tuple(w for w in self.warnings if w.key in wanted),
            managed_objects=self.managed_objects,
            spec_digest=self.spec_digest,
            fingerprints=self.fingerprints,
            organization_names=self.organization_names,
        )


# -- the safeguards --------------------------------------------------------------------


def refusals(plan: Plan, policy: SafetyPolicy) -> list[str]:
    """Every reason the safeguards refuse ``plan`` under ``policy``; empty if none."""
    reasons = [
        reason for change in plan.changes if (reason := change_refusal(change, policy)) is not None
    ]
    if not policy.ignore_threshold:
        reasons += threshold_refusals(plan, policy)
    return reasons


def destroyed_objects(plan: Plan) -> int:
    """How many objects the plan destroys: each study, organization or link (roles and
    memberships too), each unenrolled patient, each move."""
    return sum(
        len(change.patients) if change.kind is ChangeKind.UNENROLL else 1
        for change in plan.destructive_changes()
    )


def change_refusal(change: Change, policy: SafetyPolicy) -> str | None:
    """Why one change is refused, or None when it is allowed (or not destructive)."""
    what = f'{change.subject} "{change.key}": {_refused_change(change)}'
    if change.lockout:
        return f"{what}: {LOCKOUTS[change.lockout]}"
    if not change.destructive:
        return None
    if change.protected:
        losing = "loses no links" if change.subject == "study" else "is never moved"
        return (
            f"{what}: the {change.subject} is protected (protect: true), so it is never "
            f"deleted and {losing}, whatever the flags; remove protect: true from its spec first"
        )
    if policy.allows(change.key):
        return None
    return (
        f"{what}: destructive; allow it with --allow-destroy {change.key} "
        f"(this {change.subject}) or --allow-destroy (all)"
    )


LOCKOUTS = {
    "caller": (
        "it takes the manager role from the identity applying this plan, which could then no "
        "longer manage the organization's practitioners; refused whatever the flags. Keep that "
        "identity as a manager in the organization's practitioners, or apply with other "
        "credentials"
    ),
    "last_manager": (
        "it leaves the organization without a manager: nobody but a superuser could grant a "
        "role in it again; refused whatever the flags. Give someone the manager role in the "
        "organization's practitioners"
    ),
}
"""Why a role change with a ``lockout`` is refused, by lockout."""


def _refused_change(change: Change) -> str:
    """The change in words; an unenrollment names only the patients who consented."""
    if change.kind is not ChangeKind.UNENROLL:
        return describe(change)
    text = f"unenroll {plural(len(change.patients), 'patient')}"
    consented = [p for p in change.patients if p.consented]
    if consented:
        text += f", {len(consented)} who consented: {patients_text(consented)}"
    return text


def threshold_refusals(plan: Plan, policy: SafetyPolicy) -> list[str]:
    """A plan destroying more than ``max_destroy`` objects, or too large a share of them."""
    count = destroyed_objects(plan)
    reasons = []
    if count > policy.max_destroy:
        reasons.append(
            f"the plan destroys {plural(count, 'object')} (studies, links, and each unenrolled "
            f"patient), more than the limit of {policy.max_destroy} (--max-destroy); check the "
            f"spec lost nothing by mistake, then raise --max-destroy or pass {IGNORE_THRESHOLD_FLAG}"
        )
    managed = plan.managed_objects
    if managed >= SHARE_FLOOR and count > policy.max_destroy_fraction * managed:
        reasons.append(
            f"the plan destroys {count} of the {managed} managed studies and links "
            f"({count / managed:.0%}), more than the {policy.max_destroy_fraction:.0%} allowed; "
            f"check the spec lost nothing by mistake, then pass {IGNORE_THRESHOLD_FLAG}"
        )
    return reasons
