"""What an apply did: each change done, failed (with the reason) or skipped.

These are the values the CLI shows (one progress line per change, then a summary) and
maps to an exit code; they hold no secrets and name patients only as the plan does.
``ApplyResult.to_dict()`` is the json form (``apply --format json``), versioned
(``APPLY_FORMAT_VERSION``) and described in ``specs/apply.schema.json``: each change
in the plan's own json form, so it covers every change kind the plan has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from jhe_sync.errors import ApplyError
from jhe_sync.plan.change import Change, Refusal
from jhe_sync.plan.plan import PLAN_FORMAT_VERSION, Plan
from jhe_sync.plan.render.wording import brief, plural

APPLY_FORMAT_VERSION = 1

NOT_STARTED = "interrupted before it started"
"""The reason of a change an interrupt (Ctrl-C, SIGTERM) kept from starting."""


class Outcome(Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class Status(Enum):
    """How an apply ended, as a whole."""

    COMPLETE = "complete"
    """Every change is done (or there was none)."""
    INCOMPLETE = "incomplete"
    """Some changes failed or were skipped; running again converges."""
    INTERRUPTED = "interrupted"
    """Stopped by SIGINT or SIGTERM after the calls in flight."""
    REFUSED = "refused"
    """A safeguard refused the plan: nothing was written."""
    DECLINED = "declined"
    """The user answered no at the prompt: nothing was written."""


@dataclass(frozen=True)
class ChangeResult:
    """How one planned change ended. ``ids`` are the ids of what the change acted on as
    the exchange knows them after it ran, by name (``study_id``, also for a study this
    apply created); ``reason`` says why it failed or was skipped, or how a done change
    was confirmed after a fault."""

    change: Change
    outcome: Outcome
    reason: str = ""
    ids: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def study_id(self) -> int | None:
        return self.ids.get("study_id")

    @property
    def not_started(self) -> bool:
        """An interrupt kept this change from starting (nothing of it was sent)."""
        return self.outcome is Outcome.SKIPPED and self.reason == NOT_STARTED

    def to_dict(self) -> dict[str, Any]:
        """The result in the apply's json form: the outcome, then the change as the plan
        has it (``specs/plan.schema.json``)."""
        return {
            "outcome": self.outcome.value,
            "reason": self.reason,
            "ids": dict(self.ids),
            "change": self.change.to_dict(),
        }

    def __str__(self) -> str:
        change = self.change
        if change.subject == "organization":
            known = self.ids.get("organization_id", change.organization_id)
        else:
            known = self.study_id if self.study_id is not None else change.study_id
        where = f'"{change.key}"' + (f" (id {known})" if known is not None else "")
        line = f"{self.outcome.value:<7} {where}: {brief(change)}"
        return f"{line}: {self.reason}" if self.reason else line


@dataclass(frozen=True)
class ApplyResult:
    """Every change of the plan with its outcome, in plan order."""

    results: tuple[ChangeResult, ...]
    interrupted: bool = False
    writes: int = 0
    """Write requests sent (retries after faults included)."""
    refusals: tuple[str, ...] = ()
    """Why the safeguards refused the plan (then nothing was attempted)."""
    declined: bool = False
    """The user said no at the prompt (then nothing was attempted)."""

    @classmethod
    def not_attempted(
        cls, plan: Plan, *, refusals: Sequence[Refusal] = (), declined: bool = False
    ) -> ApplyResult:
        """The result of an apply that wrote nothing: refused by the safeguards, or
        declined at the prompt; every change is skipped, saying why."""
        why = (
            "not attempted: the safeguards refused the plan"
            if refusals
            else "not attempted: the changes were not approved"
        )
        return cls(
            tuple(ChangeResult(c, Outcome.SKIPPED, why, _ids_of(c)) for c in plan.changes),
            refusals=tuple(str(refusal) for refusal in refusals),
            declined=declined,
        )

    @property
    def ok(self) -> bool:
        """True when every change is done: the exchange now matches the plan."""
        return all(r.outcome is Outcome.DONE for r in self.results)

    @property
    def status(self) -> Status:
        if self.refusals:
            return Status.REFUSED
        if self.declined:
            return Status.DECLINED
        if self.interrupted:
            return Status.INTERRUPTED
        return Status.COMPLETE if self.ok else Status.INCOMPLETE

    def to_dict(self) -> dict[str, Any]:
        """The json form of ``apply --format json`` (``specs/apply.schema.json``)."""
        counts = Counter(r.outcome for r in self.results)
        return {
            "format_version": APPLY_FORMAT_VERSION,
            "plan_format_version": PLAN_FORMAT_VERSION,
            "status": self.status.value,
            "summary": {
                "changes": len(self.results),
                **{outcome.value: counts[outcome] for outcome in Outcome},
                "writes": self.writes,
                "text": self.summary(),
            },
            "refusals": list(self.refusals),
            "results": [result.to_dict() for result in self.results],
        }

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def summary(self) -> str:
        counts = Counter(r.outcome for r in self.results)
        parts = [f"{counts[o]} {o.value}" for o in Outcome if counts[o] or o is Outcome.DONE]
        if self.refusals:
            return f"Nothing applied: the safeguards refused {plural(len(self.results), 'change')}."
        if self.declined:
            return "Nothing applied."
        if self.ok:
            return f"Apply complete: {plural(len(self.results), 'change')} done."
        why = " (interrupted)" if self.interrupted else ""
        return (
            f"Apply incomplete{why}: {', '.join(parts)}. Run the same command again: it "
            "reads the exchange afresh and makes only the calls still needed."
        )

    def error(self) -> ApplyError | None:
        """The error for a partial apply (None when every change is done)."""
        if self.ok:
            return None
        lines = [self.summary()]
        lines += [
            f"  {r}" for r in self.results if r.outcome is not Outcome.DONE and not r.not_started
        ]
        not_started = sum(1 for r in self.results if r.not_started)
        if not_started:
            lines.append(
                f"  {plural(not_started, 'change')} not started: the interrupt came first "
                "(nothing of them was sent)"
            )
        return ApplyError("\n".join(lines))

    def raise_if_incomplete(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def _ids_of(change: Change) -> Mapping[str, int]:
    """The ids a change names before it runs (a study it creates has none yet)."""
    return MappingProxyType({} if change.study_id is None else {"study_id": change.study_id})
