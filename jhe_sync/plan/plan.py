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
from dataclasses import dataclass, field, replace
from typing import Any

from jhe_sync.errors import SafetyRefusal
from jhe_sync.live import Live
from jhe_sync.plan.authority import NEEDS, Need, holds, needed
from jhe_sync.plan.change import Change, Destroyed, Refusal, UnmanagedStudy, Warning_
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
    reviewed: frozenset[Destroyed] | None = None
    """What a reviewed plan destroyed (``apply --reviewed``): a destructive change is then
    refused, whatever the flags, unless everything it destroys is in it. None: no
    reviewed plan was given."""

    def allows(self, key: str) -> bool:
        """Whether destructive changes of this entry (a study or organization key) are allowed."""
        return self.allow_destroy_all or key in self.allow_destroy_keys

    def unused_allowances(self, plan: Plan) -> list[str]:
        """The ``--allow-destroy KEY`` keys that allow nothing in ``plan`` (it has no
        destructive change of that entry)."""
        destroying = {change.key for change in plan.destructive_changes()}
        return sorted(self.allow_destroy_keys - destroying)


@dataclass(frozen=True)
class PlanCounts:
    create: int
    update: int
    destroy: int
    """Studies and organizations deleted."""
    links_add: int
    links_remove: int
    destructive: tuple[tuple[ChangeKind, int], ...] = ()
    """Objects destroyed, by destructive kind (each unenrolled patient counts one), in
    ``ChangeKind`` order; kinds with none are left out."""
    consented: int = 0
    """Unenrolled patients who had consented to a scope of their study."""

    @property
    def total(self) -> int:
        return self.create + self.update + self.destroy + self.links_add + self.links_remove

    @property
    def destroyed(self) -> int:
        """Every object the plan destroys, of every kind."""
        return sum(count for _, count in self.destructive)

    def summary(self) -> str:
        """``Plan: 0 to create, 0 to update, 0 to delete; 0 links to add, 300 to remove;
        300 destructive: 300 unenrollments (12 consented)``."""
        text = (
            f"Plan: {self.create} to create, {self.update} to update, {self.destroy} to delete; "
            f"{self.links_add} links to add, {self.links_remove} to remove"
        )
        if not self.destructive:
            return text
        kinds = []
        for kind, count in self.destructive:
            part = plural(count, kind.count_noun)
            if kind is ChangeKind.UNENROLL and self.consented:
                part += f" ({self.consented} consented)"
            kinds.append(part)
        return f"{text}; {self.destroyed} destructive: {', '.join(kinds)}"


NO_CHANGES = "No changes. The live exchange matches the spec."


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
    read: dict[str, Any] = field(default_factory=dict)
    """The record each fingerprint is the digest of (``Live.study_record`` and the like):
    what a stale plan's error compares with what the exchange holds now."""
    organization_names: dict[int, str] = field(default_factory=dict)
    """Names of the organizations the changes and unmanaged studies are in, for display."""
    targets: tuple[str, ...] = ()
    """The entry keys the plan was limited to (``--target``); empty: every entry."""
    exchange: str = ""
    """The exchange the plan was made against (its normalised URL): ``apply --plan``
    refuses to apply it to another."""
    planned_as: str = ""
    """Who the plan was made as (the caller's e-mail), for the record: the pull request's
    plan may be made as a viewer and applied as a member."""

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
        destroyed: dict[ChangeKind, int] = {}
        for change in self.destructive_changes():
            destroyed[change.kind] = destroyed.get(change.kind, 0) + change.object_count
        return PlanCounts(
            create=counted.count("create"),
            update=counted.count("update"),
            destroy=counted.count("destroy"),
            links_add=sum(c.link_count for c in self.changes if c.kind.counted_as == "link_add"),
            links_remove=sum(
                c.link_count for c in self.changes if c.kind.counted_as == "link_remove"
            ),
            destructive=tuple(sorted(destroyed.items(), key=lambda item: item[0].rank)),
            consented=sum(
                1
                for c in self.changes
                if c.kind is ChangeKind.UNENROLL
                for p in c.patients
                if p.consented
            ),
        )

    def summary(self) -> str:
        """The plan's one-line summary (or that there is nothing to do), saying when it
        was limited to some entries."""
        if self.targets:
            limited = f"limited to --target {', '.join(self.targets)}"
            if not self.changes:
                return (
                    f"No changes for the targets ({limited}); the rest of the spec was not planned."
                )
            return f"{self.counts.summary()} ({limited}; the rest of the spec was not planned)"
        if self.changes:
            return self.counts.summary()
        if self.unmanaged:
            count = len(self.unmanaged)
            return (
                f"{NO_CHANGES[:-1]}; {plural(count, 'live study')} it does not list "
                f"{'is' if count == 1 else 'are'} left alone (unmanaged)."
            )
        return NO_CHANGES

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

    def unmanaged_in_spec(self) -> tuple[UnmanagedStudy, ...]:
        """Live studies no entry lists, in the organizations the spec manages."""
        return tuple(u for u in self.unmanaged if u.organization_in_spec)

    def unmanaged_elsewhere(self) -> tuple[UnmanagedStudy, ...]:
        """Live studies in organizations the spec does not mention, where the caller may
        write: where a study whose entry was dropped with its organization shows up."""
        return tuple(u for u in self.unmanaged if not u.organization_in_spec)

    def subjects(self) -> dict[str, str]:
        """What each key of the plan's changes names: ``study`` or ``organization``."""
        return {change.key: change.subject for change in self.changes}

    def destructive_changes(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    def refusals(self, policy: SafetyPolicy, caller: Live | None = None) -> list[Refusal]:
        """Every reason apply would refuse this plan; empty when it may be applied. With
        ``caller`` (a snapshot of who applies and their roles) the missing roles too."""
        found = refusals(self, policy)
        return found if caller is None else found + role_refusals(self, caller)

    def destroyed(self) -> frozenset[Destroyed]:
        """Everything the plan destroys, by identity (what ``apply --reviewed`` compares)."""
        return frozenset(item for change in self.changes for item in change.destroyed())

    def raise_if_unsafe(self, policy: SafetyPolicy, caller: Live | None = None) -> None:
        reasons = self.refusals(policy, caller)
        if reasons:
            raise SafetyRefusal([str(reason) for reason in reasons])

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
                "destroyed": {kind.value: count for kind, count in counts.destructive},
                "unenrolled_consented": counts.consented,
                "text": self.summary() if self.changes or self.targets else "No changes.",
            },
            "targets": list(self.targets),
            "changes": [change.to_dict() for change in self.changes],
            "warnings": [{"key": w.key, "message": w.message} for w in self.warnings],
            "unmanaged": [
                {
                    "id": u.id,
                    "name": u.name,
                    "organization_id": u.organization_id,
                    "organization_in_spec": u.organization_in_spec,
                }
                for u in self.unmanaged
            ],
            "managed_objects": self.managed_objects,
            "spec_digest": self.spec_digest,
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "read": dict(sorted(self.read.items())),
            "organization_names": {str(k): v for k, v in sorted(self.organization_names.items())},
            "exchange": self.exchange,
            "planned_as": self.planned_as,
        }

    def creates_needed(self, keys: Iterable[str]) -> dict[str, str]:
        """Entry key -> the key of an organization it needs that this plan creates and
        that ``keys`` leave out (``--target`` must take both, or the call has no id)."""
        wanted = set(keys)
        creates = {c.key for c in self.changes if c.kind is ChangeKind.CREATE_ORGANIZATION}
        needed: dict[str, str] = {}
        for change in self.changes:
            if change.key not in wanted:
                continue
            for other in (change.organization_key, change.parent_key):
                if other and other != change.key and other in creates and other not in wanted:
                    needed.setdefault(change.key, other)
        return needed

    def filtered(self, keys: Iterable[str]) -> Plan:
        """The same plan limited to some entry keys (``--target``), which it records."""
        wanted = set(keys)
        return Plan(
            changes=tuple(c for c in self.changes if c.key in wanted),
            unmanaged=(),
            warnings=tuple(w for w in self.warnings if w.key in wanted),
            managed_objects=self.managed_objects,
            spec_digest=self.spec_digest,
            fingerprints=self.fingerprints,
            read=self.read,
            organization_names=self.organization_names,
            targets=tuple(sorted(wanted)),
            exchange=self.exchange,
            planned_as=self.planned_as,
        )


# -- the safeguards --------------------------------------------------------------------


def refusals(plan: Plan, policy: SafetyPolicy) -> list[Refusal]:
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
    return plan.counts.destroyed


def change_refusal(change: Change, policy: SafetyPolicy) -> Refusal | None:
    """Why one change is refused, or None when it is allowed (or not destructive)."""
    what = _refused_change(change)
    if change.lockouts:
        detail = "; and ".join(LOCKOUTS[lockout] for lockout in change.lockouts)
        return Refusal("lockout", what, change.key, change.subject, detail)
    if not change.destructive:
        return None
    if change.protected:
        return Refusal("protected", what, change.key, change.subject)
    if policy.reviewed is not None:
        unseen = [item for item in change.destroyed() if item not in policy.reviewed]
        if unseen:
            return Refusal(
                "unreviewed", _unreviewed_change(change, unseen), change.key, change.subject
            )
    if policy.allows(change.key):
        return None
    return Refusal("destructive", what, change.key, change.subject)


def _unreviewed_change(change: Change, unseen: list[Destroyed]) -> str:
    """The part of a change the reviewed plan did not show: for an unenrollment, only the
    patients it did not list."""
    if not change.patients:
        return _refused_change(change)
    ids = {item.patient_id for item in unseen}
    return describe(replace(change, patients=tuple(p for p in change.patients if p.id in ids)))


def role_refusals(plan: Plan, caller: Live) -> list[Refusal]:
    """One refusal per organization (and kind of change) where the caller lacks the role
    the plan's changes need (``authority``): the plan is whole, applying it needs the
    role. An organization the plan creates is not checked: its creator becomes its
    manager."""
    keys_by_need: dict[tuple[int, Need], dict[str, None]] = {}
    for change in plan.changes:
        where = needed(change, caller)
        if where is not None:
            keys_by_need.setdefault(where, {})[change.key] = None
    found = []
    for (organization_id, need), keys in sorted(keys_by_need.items()):
        if holds(caller, organization_id, need):
            continue
        organization = caller.organizations.get(organization_id)
        role = (
            f'the role "{organization.role}"' if organization and organization.role else "no role"
        )
        who = (
            f"the caller ({caller.caller.email}) has {role} in organization "
            f"{plan.organization_label(organization_id)}"
        )
        if need == "studies":
            found.append(Refusal("role", f"{who}; studies affected: {', '.join(keys)}"))
            continue
        role_needed, doing = NEEDS[need]
        superuser = (
            " (a superuser's too: without a role of its own there, the organization's "
            "patients read as none)"
            if need == "patients" and caller.caller.is_superuser
            else ""
        )
        found.append(
            Refusal(
                "role",
                f"{who}, and {doing} needs the {role_needed} role{superuser}; entries affected: "
                f"{', '.join(keys)}",
                subject="organization",
                detail=(
                    "the plan is complete and may be reviewed; apply it with credentials that "
                    "have the role, or ask a manager of that organization for it"
                ),
            )
        )
    return found


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
"""Why a role change with a lockout is refused, by lockout."""


def _refused_change(change: Change) -> str:
    """The change in words; an unenrollment names only the patients who consented."""
    if change.kind is not ChangeKind.UNENROLL:
        return describe(change)
    text = f"unenroll {plural(len(change.patients), 'patient')}"
    consented = [p for p in change.patients if p.consented]
    if consented:
        text += f", {len(consented)} who consented: {patients_text(consented)}"
    return text


def threshold_refusals(plan: Plan, policy: SafetyPolicy) -> list[Refusal]:
    """A plan destroying more than ``max_destroy`` objects, or too large a share of them."""
    count = destroyed_objects(plan)
    reasons = []
    if count > policy.max_destroy:
        reasons.append(
            Refusal(
                "threshold",
                f"the plan destroys {plural(count, 'object')} (studies, links, and each "
                f"unenrolled patient), more than the limit of {policy.max_destroy} "
                "(--max-destroy); check the spec lost nothing by mistake, then raise "
                f"--max-destroy or pass {IGNORE_THRESHOLD_FLAG}",
            )
        )
    managed = plan.managed_objects
    if managed >= SHARE_FLOOR and count > policy.max_destroy_fraction * managed:
        reasons.append(
            Refusal(
                "threshold",
                f"the plan destroys {count} of the {managed} managed studies and links "
                f"({count / managed:.0%}), more than the {policy.max_destroy_fraction:.0%} "
                f"allowed; check the spec lost nothing by mistake, then pass "
                f"{IGNORE_THRESHOLD_FLAG}",
            )
        )
    return reasons
