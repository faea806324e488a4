"""Which side each difference between the exchange and git came from: the exchange
(changed in the console or by another tool since the last apply) or the spec (changed
in git since the last apply, not applied yet).

The exchange keeps no history, so the one thing that can tell is the spec as it was
at the last applied commit. Right after that apply the exchange matched it, so:

- a change that the plan of the applied spec would make too (same entry, same object,
  same target) means the exchange moved away from what was applied: the live side;
- a change that only the current spec's plan makes means git moved: the spec side;
- the same object with a different target in each means both moved (a field the
  console edited and the spec changed since).

Enrollments are told apart patient by patient and updates field by field, so one
change can hold both sides. Without the applied spec nothing can be told, and the
report says so. What cannot be told either way: a change made on the exchange that a
later commit also made in git leaves no difference at all (it is not drift).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan


class Side(Enum):
    LIVE = "live"
    """The exchange changed since the last apply; the spec did not."""
    SPEC = "spec"
    """The spec changed since the last apply; the exchange still holds what was applied."""
    BOTH = "both"
    """Both changed the same object (or the change holds parts of each)."""
    UNKNOWN = "unknown"
    """The spec at the last applied commit was not given (or could not be read)."""


@dataclass(frozen=True)
class Part:
    """One object a change acts on: a patient it enrolls, a field it updates, or the
    change itself. ``identity`` matches the same object in another plan; ``target`` is
    what the change would make of it (a field's new value)."""

    identity: tuple[Any, ...]
    target: Any
    label: str


@dataclass(frozen=True)
class Attributed:
    """One change of the plan and the side it came from; for a change of several parts
    whose sides differ (``BOTH``), the parts of each side by label."""

    change: Change
    side: Side
    live_parts: tuple[str, ...] = ()
    spec_parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drift:
    """How the exchange differs from the spec at HEAD, change by change, with the side
    each came from. ``applied_ref`` names the commit compared with (empty: none);
    ``unknown_why`` says why the sides could not be told."""

    plan: Plan
    changes: tuple[Attributed, ...]
    applied_ref: str = ""
    unknown_why: str = ""

    @property
    def differs(self) -> bool:
        return bool(self.changes)

    def count(self, side: Side) -> int:
        return sum(1 for a in self.changes if a.side is side)

    def to_dict(self) -> dict[str, Any]:
        """The json form of ``drift --format json``: the plan's own json form, and a
        side for each of its changes (in plan order)."""
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "differs": self.differs,
            "applied_ref": self.applied_ref,
            "unknown_why": self.unknown_why,
            "sides": {side.value: self.count(side) for side in Side},
            "changes": [
                {
                    "side": a.side.value,
                    "live_parts": list(a.live_parts),
                    "spec_parts": list(a.spec_parts),
                }
                for a in self.changes
            ],
            "plan": self.plan.to_dict(),
        }


DRIFT_FORMAT_VERSION = 1


def parts(change: Change) -> list[Part]:
    """The objects a change acts on, each as another plan would name it."""
    kind, key = change.kind, change.key
    if change.patients:
        return [
            Part((kind.value, key, "patient", p.id), None, p.label or f"#{p.id}")
            for p in change.patients
        ]
    if kind.counted_as == "update" and change.fields:
        return [
            Part((change.subject, key, change.link_id, f.name), f.after, f.name)
            for f in change.fields
        ]
    return [Part((kind.value, key, change.link_id, change.link_label), None, "")]


def attribute(plan: Plan, applied: Plan | None, applied_ref: str = "", why: str = "") -> Drift:
    """Each change of ``plan`` (the spec at HEAD against the exchange) with its side,
    from ``applied`` (the spec at the last applied commit against the same exchange).
    Without ``applied`` every side is unknown, and ``why`` says why."""
    if applied is None:
        return Drift(
            plan,
            tuple(Attributed(c, Side.UNKNOWN) for c in plan.changes),
            applied_ref,
            why or "no applied commit was given",
        )
    then = {part.identity: part.target for change in applied.changes for part in parts(change)}
    return Drift(plan, tuple(_attributed(c, then) for c in plan.changes), applied_ref)


def _attributed(change: Change, then: dict[tuple[Any, ...], Any]) -> Attributed:
    sides = [(_side(part, then), part.label) for part in parts(change)]
    kinds = {side for side, _ in sides}
    if len(kinds) == 1:
        return Attributed(change, kinds.pop())
    return Attributed(
        change,
        Side.BOTH,
        live_parts=_labels(sides, Side.LIVE, Side.BOTH),
        spec_parts=_labels(sides, Side.SPEC, Side.BOTH),
    )


def _side(part: Part, then: dict[tuple[Any, ...], Any]) -> Side:
    if part.identity not in then:
        return Side.SPEC
    return Side.LIVE if then[part.identity] == part.target else Side.BOTH


def _labels(sides: Iterable[tuple[Side, str]], *wanted: Side) -> tuple[str, ...]:
    return tuple(label for side, label in sides if side in wanted)
