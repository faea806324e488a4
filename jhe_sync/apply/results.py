"""What an apply did: each change done, failed (with the reason) or skipped.

These are the values the CLI shows (one progress line per change, then a summary) and
maps to an exit code; they hold no secrets and name patients only as the plan does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum

from jhe_sync.errors import ApplyError
from jhe_sync.plan.change import Change
from jhe_sync.plan.render.wording import describe, plural
from jhe_sync.resources import ChangeKind


class Outcome(Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ChangeResult:
    """How one planned change ended. ``study_id`` is the study's id, also for a study
    this apply created; ``reason`` says why it failed or was skipped, or how a done
    change was confirmed after a fault."""

    change: Change
    outcome: Outcome
    reason: str = ""
    study_id: int | None = None

    def __str__(self) -> str:
        change = self.change
        study_id = self.study_id if self.study_id is not None else change.study_id
        where = f'"{change.key}"' + (f" (id {study_id})" if study_id is not None else "")
        line = f"{self.outcome.value:<7} {where}: {_short(change)}"
        return f"{line}: {self.reason}" if self.reason else line


@dataclass(frozen=True)
class ApplyResult:
    """Every change of the plan with its outcome, in plan order."""

    results: tuple[ChangeResult, ...]
    interrupted: bool = False
    writes: int = 0
    """Write requests sent (retries after faults included)."""

    @property
    def ok(self) -> bool:
        """True when every change is done: the exchange now matches the plan."""
        return all(r.outcome is Outcome.DONE for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def summary(self) -> str:
        counts = Counter(r.outcome for r in self.results)
        parts = [f"{counts[o]} {o.value}" for o in Outcome if counts[o] or o is Outcome.DONE]
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
        lines += [f"  {r}" for r in self.results if r.outcome is not Outcome.DONE]
        return ApplyError("\n".join(lines))

    def raise_if_incomplete(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def _short(change: Change) -> str:
    """``describe`` without the patient list for large enrollments (it can be thousands)."""
    if change.kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL) and len(change.patients) > 5:
        verb = "enroll" if change.kind is ChangeKind.ENROLL else "unenroll"
        return f"{verb} {plural(len(change.patients), 'patient')}"
    return describe(change)
