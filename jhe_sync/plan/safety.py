"""The safeguards apply checks on the whole plan before its first write.

Deleting a study, unenrolling a patient and removing a scope request, data source or
client destroy consent records or stop data collection. Each such change is refused
unless the user allowed it; a ``protect: true`` study refuses it whatever the flags;
and a threshold refuses a plan that destroys too much at once (a spec file that lost
half its content by mistake looks exactly like that). Every reason names the change
and the flag that would allow it, so one run shows everything to decide.
"""

from __future__ import annotations

from jhe_sync.plan.change import Change, ChangeKind, SafetyPolicy
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.wording import describe, patients_text, plural

SHARE_FLOOR = 10
"""The destroy share applies only from this many managed objects: in a tiny estate one
deletion is a large share, and ``max_destroy`` already bounds it."""

IGNORE_THRESHOLD_FLAG = "--ignore-destroy-threshold"


def destroyed_objects(plan: Plan) -> int:
    """How many objects the plan destroys: each study or link, each unenrolled patient."""
    return sum(
        len(change.patients) if change.kind is ChangeKind.UNENROLL else 1
        for change in plan.destructive_changes()
    )


def refusals(plan: Plan, policy: SafetyPolicy) -> list[str]:
    """Every reason the safeguards refuse ``plan`` under ``policy``; empty if none."""
    reasons = [
        reason
        for change in plan.destructive_changes()
        if (reason := change_refusal(change, policy)) is not None
    ]
    if not policy.ignore_threshold:
        reasons += threshold_refusals(plan, policy)
    return reasons


def change_refusal(change: Change, policy: SafetyPolicy) -> str | None:
    """Why one destructive change is refused, or None when it is allowed."""
    what = f'study "{change.study_key}": {_refused_change(change)}'
    if change.protected:
        return (
            f"{what}: the study is protected (protect: true), so it is never deleted and loses "
            "no links, whatever the flags; remove protect: true from its spec first"
        )
    if policy.allows(change.study_key):
        return None
    return (
        f"{what}: destructive; allow it with --allow-destroy {change.study_key} "
        "(this study) or --allow-destroy (all)"
    )


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
