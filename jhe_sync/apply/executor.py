"""Executing a plan: exactly the planned calls, in an order the server accepts,
converging through faults without duplicating or destroying anything.

A plan runs in three phases (``ChangeKind.phase``), each finished before the next:

0. organizations: creates (parents before children: in waves, each a level deeper),
   renames, moves, granted and raised roles, added patients. A study may then be
   created in a new organization, and enroll a patient the plan has just added to it;
1. studies: each study's changes in ``ChangeKind`` order (``study_run.py``);
2. organizations again: lowered and removed roles, removed patients, deletions
   (children before parents: in waves, each a level higher).

Within a phase (and a wave) different entries run concurrently, ``parallelism`` at a
time; an entry's own changes run one after another. How each write is sent, read back
after a fault and never duplicated (also by racing applies of one spec) is ``run.py``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from jhe_sync.apply.journal import Journal
from jhe_sync.apply.organization_run import OrganizationRun
from jhe_sync.apply.results import ApplyResult, ChangeResult
from jhe_sync.apply.run import EntryRun, Run
from jhe_sync.apply.study_run import StudyRun
from jhe_sync.exchange.client import Exchange
from jhe_sync.live import Live
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.resources import ChangeKind

ENROLL_CHUNK = 100
"""Patient ids per enrollment request."""


def apply_plan(
    exchange: Exchange,
    plan: Plan,
    policy: SafetyPolicy,
    *,
    parallelism: int = 8,
    journal: IO[str] | None = None,
    on_progress: Callable[[ChangeResult], None] | None = None,
    stop: threading.Event | None = None,
    chunk_size: int = ENROLL_CHUNK,
    snapshot: Live | None = None,
) -> ApplyResult:
    """Make the plan's calls and report each change as done, failed or skipped.

    Raises ``SafetyRefusal`` before any write when a safeguard refuses the plan.
    Returns an ``ApplyResult``; ``result.ok`` is False for a partial apply (the CLI
    exits 1), and rerunning the same spec converges. ``stop`` (set on SIGINT/SIGTERM)
    lets the calls in flight finish and skips the rest. Never prints.

    ``snapshot`` is the one the plan was made from, when it was made in the same run:
    what it read is not read again (the organizations' patient lists that enrollments
    are checked against, unless the plan changes that organization's members). A saved
    plan comes without one, and apply reads what it needs.
    """
    plan.raise_if_unsafe(policy)
    run = Run(
        exchange=exchange,
        journal=Journal(journal),
        stop=stop or threading.Event(),
        progress=on_progress,
        chunk_size=max(1, chunk_size),
        members=_members_read(snapshot, plan) if snapshot is not None else {},
    )
    results: list[ChangeResult] = []
    for wave in waves(plan):
        entries = [_entry_run(run, changes) for changes in wave]
        workers = max(1, min(parallelism, len(entries)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jhe-apply") as pool:
            futures = [pool.submit(entry.execute) for entry in entries]
            for future in futures:
                results.extend(future.result())
    position = {id(change): index for index, change in enumerate(plan.changes)}
    results.sort(key=lambda r: position[id(r.change)])
    return ApplyResult(tuple(results), interrupted=run.stop.is_set(), writes=run.writes)


def _members_read(snapshot: Live, plan: Plan) -> dict[int, frozenset[int]]:
    """The patient lists the snapshot holds, but for organizations whose members the plan
    changes: those are read when an enrollment needs them, after the changes ran."""
    changed = {
        change.organization_id
        for change in plan.changes
        if change.kind in (ChangeKind.ADD_MEMBERSHIP, ChangeKind.REMOVE_MEMBERSHIP)
    }
    return {
        organization_id: ids
        for organization_id, ids in snapshot.organization_patient_ids.items()
        if organization_id not in changed
    }


def waves(plan: Plan) -> list[list[list[Change]]]:
    """The plan's changes as waves run one after another, each a list of entries (their
    changes) run concurrently: phase 0 by depth of creation (a child created after its
    parent), phase 1 all at once, phase 2 deletions deepest first."""
    ordered: list[list[list[Change]]] = []
    for phase in (0, 1, 2):
        groups: dict[str, list[Change]] = {}
        for change in plan.changes:
            if change.kind.phase == phase:
                groups.setdefault(change.key, []).append(change)
        if not groups:
            continue
        if phase == 1:
            ordered.append(list(groups.values()))
            continue
        level = _creation_depth(plan) if phase == 0 else _deletion_height(groups)
        for depth in sorted({level(key) for key in groups}):
            ordered.append([changes for key, changes in groups.items() if level(key) == depth])
    return ordered


def _creation_depth(plan: Plan) -> Callable[[str], int]:
    """How many parents the plan creates above an entry's organization."""
    parents = {
        c.key: c.parent_key for c in plan.changes if c.kind is ChangeKind.CREATE_ORGANIZATION
    }

    def depth(key: str) -> int:
        seen, current = 0, parents.get(key, "")
        while current and seen <= len(parents):
            seen, current = seen + 1, parents.get(current, "")
        return seen

    return depth


def _deletion_height(groups: dict[str, list[Change]]) -> Callable[[str], int]:
    """Removals of roles and patients first, then deletions, the most deeply nested first
    (one that lies in another deletion's cascade runs before it: the parent's deletion
    would take it anyway, but not as the change the plan shows)."""
    deletions = {
        key: change
        for key, changes in groups.items()
        for change in changes
        if change.kind is ChangeKind.DELETE_ORGANIZATION
    }
    inside = {
        key: sum(
            1
            for other in deletions.values()
            if other.cascade is not None
            and change.organization_id in {o.id for o in other.cascade.organizations}
        )
        for key, change in deletions.items()
    }
    deepest = max(inside.values(), default=0)

    def height(key: str) -> int:
        return deepest - inside[key] if key in inside else -1

    return height


def _entry_run(run: Run, changes: Sequence[Change]) -> EntryRun:
    if changes[0].subject == "organization":
        return OrganizationRun(run, changes)
    return StudyRun(run, changes)
