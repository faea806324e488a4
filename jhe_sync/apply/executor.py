"""Executing a plan: exactly the planned calls, in an order the server accepts,
converging through faults without duplicating or destroying anything.

A study's changes run one after another in ``ChangeKind`` order (create, update, add
data sources, scope requests, clients, enroll; then unenroll, removals, delete);
different studies run concurrently. Every write is sent once. When it fails:

- 429: the server did not process it; wait ``Retry-After`` and send it again;
- other 4xx: a definite refusal; the change fails with the server's reason;
- 5xx, a timeout or a dropped connection: the write may or may not have happened
  (this API answers 500 after committing, and enrolls the ids before a bad one), so
  the object is read back first, and only what did not happen is sent again.

A study whose create or update failed has its other changes skipped: they would act
on a study that is not what the plan expected.

Racing applies of one spec need no lock: a create adopts a same-named study that
appeared since the plan, and after creating keeps the lowest id among same-named
siblings, deleting its own duplicate before linking anything (``create``). What the
racers then send twice is harmless: a link add that exists is a 500 read back as done,
a removal of nothing is a 204, and a study delete that finds the study gone checks the
organization's list.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import IO

from jhe_sync.apply.create import Family, N, Siblings, same_named
from jhe_sync.apply.journal import Journal
from jhe_sync.apply.results import NOT_STARTED, ApplyResult, ChangeResult, Outcome
from jhe_sync.errors import (
    ExchangeError,
    JheSyncError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange, Reply
from jhe_sync.exchange.read import (
    read_enrollments,
    read_link_ids,
    read_organization_patients,
    read_organization_studies,
    read_study_fields,
)
from jhe_sync.live import Live, Study
from jhe_sync.plan.change import Call, Change
from jhe_sync.plan.diff import fields_differing
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.resources import API, PATIENTS, ChangeKind, link_of_change

log = logging.getLogger("jhe_sync.apply")

ENROLL_CHUNK = 100
"""Patient ids per enrollment request."""

MAX_AMBIGUOUS_ATTEMPTS = 4
"""Sends of one write whose outcome stayed unknown (each followed by a read-back)."""

MAX_RATE_LIMITED_ATTEMPTS = 6
"""Sends of one write answered 429 (never processed) before giving up."""

_AMBIGUOUS = (ServerError, TransportError, ProtocolError)
"""Failures after which the write may have happened."""


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
    run = _Run(
        exchange=exchange,
        journal=Journal(journal),
        stop=stop or threading.Event(),
        progress=on_progress,
        chunk_size=max(1, chunk_size),
        members=_members_read(snapshot, plan) if snapshot is not None else {},
    )
    groups = plan.by_key()
    results: list[ChangeResult] = []
    if groups:
        workers = max(1, min(parallelism, len(groups)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jhe-apply") as pool:
            futures = [pool.submit(_StudyRun(run, changes).execute) for changes in groups.values()]
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


class _Interrupted(Exception):
    """Stop was asked for between two requests of one change."""


class _Unconfirmed(JheSyncError):
    """A write's outcome stayed unknown: it failed ambiguously and reading back failed."""


class _Conflict(JheSyncError):
    """Reading back after a fault found a state the plan did not expect; nothing more is sent."""


@dataclass
class _Run:
    """What the studies of one apply share: the exchange, journal, stop flag, counters."""

    exchange: Exchange
    journal: Journal
    stop: threading.Event
    progress: Callable[[ChangeResult], None] | None
    chunk_size: int
    writes: int = 0
    studies: Family[Study] = field(init=False)
    """Studies as the create protocol sees them: each organization's list (``create``)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    members: dict[int, frozenset[int]] = field(default_factory=dict)
    """Patient ids by organization: given from the plan's snapshot, else read once."""
    _organizations: dict[str, int] = field(default_factory=dict)
    """Ids of the organizations this apply created, by entry key."""
    _member_locks: dict[int, threading.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        exchange = self.exchange
        self.studies = Family(
            noun="study",
            plural="studies",
            container="organization",
            siblings=Siblings(partial(read_organization_studies, exchange)),
            created_id=lambda reply, where: parse.study(reply.data, where).id,
            delete=lambda study_id: Call("DELETE", f"{API}/studies/{study_id}"),
            gone=lambda study_id: read_study_fields(exchange, study_id) is None,
        )

    def report(self, result: ChangeResult) -> None:
        log.debug("%s", result)
        if self.progress is not None:
            with self._lock:
                self.progress(result)

    def counted(self) -> None:
        with self._lock:
            self.writes += 1

    def wait(self, seconds: float) -> None:
        """Back off; a stop request cuts the wait short (the retry is then not made)."""
        if seconds <= 0:
            return
        if self.exchange.sleep is time.sleep:
            self.stop.wait(seconds)
        else:
            self.exchange.sleep(seconds)

    def organization_of(self, change: Change) -> int:
        """The id of the organization a change is in, also when this apply created it."""
        if change.organization_id is not None:
            return change.organization_id
        with self._lock:
            found = self._organizations.get(change.organization_key)
        if found is None:
            raise JheSyncError(
                f'the plan creates organization "{change.organization_key}", but its create '
                "did not run before this change"
            )
        return found

    def organization_members(self, organization_id: int) -> frozenset[int]:
        """Patient ids of an organization, read once per apply (enrollment pre-check)."""
        with self._lock:
            lock = self._member_locks.setdefault(organization_id, threading.Lock())
        with lock:
            if organization_id not in self.members:
                found = read_organization_patients(self.exchange, organization_id)
                self.members[organization_id] = frozenset(p.id for p in found)
            return self.members[organization_id]


class _StudyRun:
    """One study's changes, in order, with the study id filled in after a create."""

    def __init__(self, run: _Run, changes: Sequence[Change]) -> None:
        self.run = run
        self.exchange = run.exchange
        self.changes = sorted(changes, key=lambda c: c.kind.rank)
        self.study_id: int | None = self.changes[0].study_id if self.changes else None

    def execute(self) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        blocked = ""
        for change in self.changes:
            if self.run.stop.is_set():
                result = self._result(change, Outcome.SKIPPED, NOT_STARTED)
            elif blocked:
                result = self._result(change, Outcome.SKIPPED, blocked)
            else:
                result = self._one(change)
                if result.outcome is not Outcome.DONE and change.kind in (
                    ChangeKind.CREATE_STUDY,
                    ChangeKind.UPDATE_STUDY,
                ):
                    verb = "create" if change.kind is ChangeKind.CREATE_STUDY else "update"
                    blocked = f"not attempted: the study {verb} did not succeed"
            results.append(result)
            self.run.report(result)
        return results

    def _one(self, change: Change) -> ChangeResult:
        try:
            note = self._perform(change)
        except _Interrupted as stopped:
            return self._result(change, Outcome.FAILED, f"interrupted: {stopped}")
        except JheSyncError as error:
            return self._result(change, Outcome.FAILED, str(error))
        except Exception as error:  # one study's bug must not hide the other studies' results
            log.debug("unexpected error applying %s", change.kind.value, exc_info=True)
            return self._result(
                change, Outcome.FAILED, f"unexpected {type(error).__name__}: {error}"
            )
        return self._result(change, Outcome.DONE, note)

    def _result(self, change: Change, outcome: Outcome, reason: str = "") -> ChangeResult:
        ids = {} if self.study_id is None else {"study_id": self.study_id}
        return ChangeResult(change, outcome, reason, MappingProxyType(ids))

    # -- one change ------------------------------------------------------------------

    def _perform(self, change: Change) -> str:
        """Make one change; returns a note for the report (how a fault was resolved)."""
        kind = change.kind
        if kind is ChangeKind.CREATE_STUDY:
            return self._create(change)
        study_id = self._study_id(change)
        if kind is ChangeKind.UPDATE_STUDY:
            call = _with_id(change.call(), study_id)
            return self._write(change, call, lambda: self._updated(change, study_id))
        if kind is ChangeKind.DELETE_STUDY:
            return self._delete(change, study_id)
        if kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
            return self._enrollments(change, study_id)
        link_kind, link_id = link_of_change(kind).kind, change.link_id
        adding = not kind.destructive
        call = _with_id(change.call(), study_id)

        def done() -> bool:
            present = link_id in read_link_ids(self.exchange, study_id, link_kind)
            return present if adding else not present

        return self._write(change, call, done)

    def _study_id(self, change: Change) -> int:
        study_id = self.study_id if self.study_id is not None else change.study_id
        if study_id is None:
            raise JheSyncError("the plan creates this study, but no create change ran before it")
        return study_id

    def _create(self, change: Change) -> str:
        """Create the study, or adopt the one a racing apply made (``create``)."""
        organization = self.run.organization_of(change)
        name = str(next((f.after for f in change.fields if f.name == "name"), change.name))
        wanted = {f.name: f.after for f in change.fields if f.name != "name"}

        def differing(study: Study) -> list[str]:
            return [f.name for f in fields_differing(study, wanted)]

        self.study_id, note = self._create_unique(
            change, self.run.studies, organization, name, differing
        )
        return note

    def _create_unique(
        self,
        change: Change,
        family: Family[N],
        container: int,
        name: str,
        differing: Callable[[N], Sequence[str]],
    ) -> tuple[int, str]:
        """Send ``change``'s create unless a same-named sibling in ``container`` appeared
        since the plan; after it, keep the lowest id (``create``). Returns the id of the
        object the rest of the entry's changes act on, and a note for the report."""
        noun, siblings = family.noun, family.siblings
        present = same_named(siblings.after(container, family.started), name)
        if present:
            return self._adopted(
                present[0], family, container, differing, "appeared since the plan"
            )
        found: list[N] = []
        call = change.call()
        reply = self._send(change, call, lambda: self._created(family, container, name, found))
        if reply is None:
            kept = self._adopted(found[0], family, container, differing, "")[0]
            return kept, f"the create committed despite the error; adopted {noun} {kept}"
        own = family.created_id(reply, f"{call.method} {call.path}")
        named = same_named(siblings.after(container, siblings.tick()), name)
        if not named:
            raise _Conflict(
                f"the {noun} {own} this apply created is gone (deleted by someone else?); "
                "plan again"
            )
        winner = named[0]
        if winner.id == own:
            return own, ""
        if any(item.id == own for item in named):
            self._delete_loser(change, family, own, winner.id)
            kept = self._adopted(winner, family, container, differing, "")[0]
            return kept, (
                f"another apply created it at the same time; kept {noun} {kept} (the lower "
                f"id) and deleted this apply's duplicate {own} before linking anything to it"
            )
        return self._adopted(
            winner, family, container, differing, f"the {noun} {own} this apply created is gone"
        )

    def _created(self, family: Family[N], container: int, name: str, found: list[N]) -> bool:
        """After an ambiguous create: did it (or a racing apply's) commit? Fills ``found``.

        Several same-named siblings mean racing applies, whose losers their creators are
        deleting; this create's own may be among them, unknown to this apply (its answer
        was lost), so it waits for the others to settle rather than guess."""
        siblings = family.siblings
        for attempt in range(1, MAX_AMBIGUOUS_ATTEMPTS + 1):
            named = same_named(siblings.after(container, siblings.tick()), name)
            if len(named) <= 1:
                found[:] = named
                return bool(named)
            self._pause(self.exchange.retry.delay(attempt, random.random()), _Conflict(name))
        ids = ", ".join(str(item.id) for item in named)
        raise _Conflict(
            f'{len(named)} {family.plural} named "{name}" now exist in {family.container} '
            f"{container} (ids {ids}), and one of them may be this apply's, whose answer was "
            f"lost; not creating another. Keep {named[0].id} (the lowest id wins) and delete "
            "the others if nothing is linked to them"
        )

    def _adopted(
        self,
        item: N,
        family: Family[N],
        container: int,
        differing: Callable[[N], Sequence[str]],
        why: str,
    ) -> tuple[int, str]:
        """Carry on with a same-named sibling instead of creating one, if it is what the
        plan would have created; anything else is left alone."""
        other = differing(item)
        if other:
            raise _Conflict(
                f'a {family.noun} named "{item.name}" (id {item.id}) appeared in '
                f"{family.container} {container} since the plan, with another "
                f"{', '.join(other)}; it is left as it is. Plan again"
            )
        return item.id, f"adopted {family.noun} {item.id}: it {why}" if why else ""

    def _delete_loser(self, change: Change, family: Family[N], own: int, winner: int) -> None:
        """Delete the duplicate this apply just created (nothing is linked to it yet)."""
        call = family.delete(own)
        try:
            self._send(change, call, lambda: family.gone(own))
        except JheSyncError as error:
            raise _Conflict(
                f"another apply created this {family.noun} at the same time (id {winner}, "
                f"kept: the lower id); deleting this apply's duplicate {own} failed ({error}); "
                f"delete {family.noun} {own} (nothing is linked to it)"
            ) from None

    def _delete(self, change: Change, study_id: int) -> str:
        call = _with_id(change.call(), study_id)
        try:
            return self._write(
                change, call, lambda: read_study_fields(self.exchange, study_id) is None
            )
        except PermissionDenied:
            # The answer for a study that no longer exists, too: a racing apply of the
            # same spec deleted it first if its organization no longer lists it.
            organization = self.run.organization_of(change)
            studies = self.run.studies.siblings
            listed = studies.after(organization, studies.tick())
            if any(s.id == study_id for s in listed):
                raise
            return "already deleted (by another apply at the same time?)"

    def _updated(self, change: Change, study_id: int) -> bool:
        current = read_study_fields(self.exchange, study_id)
        if current is None:
            return False
        return not fields_differing(current, {f.name: f.after for f in change.fields})

    def _enrollments(self, change: Change, study_id: int) -> str:
        enrolling = change.kind is ChangeKind.ENROLL
        wanted = list(dict.fromkeys(p.id for p in change.patients))
        refused: list[int] = []
        organization_id = self.run.organization_of(change)
        if enrolling:
            # The server answers an outsider with a 500, after enrolling the ids before
            # it: check membership first, and leave outsiders out of every request.
            members = self.run.organization_members(organization_id)
            refused = [pid for pid in wanted if pid not in members]
            wanted = [pid for pid in wanted if pid in members]
        sent = 0
        for chunk in _chunks(wanted, self.run.chunk_size):
            if self.run.stop.is_set():
                verb = "enrolling" if enrolling else "unenrolling"
                raise _Interrupted(f"after {verb} {sent} of {len(wanted)} patients")
            self._enrollment_chunk(change, study_id, chunk, enrolling)
            sent += len(chunk)
        if refused:
            labels = {p.id: p.label for p in change.patients}
            who = ", ".join(
                f"#{pid}" if labels.get(pid, f"#{pid}") == f"#{pid}" else f"{labels[pid]} (#{pid})"
                for pid in refused
            )
            raise JheSyncError(
                f"{len(refused)} not enrolled: not patients of organization "
                f"{organization_id}: {who}; add them to the organization first"
                + (f" ({sent} others were enrolled)" if sent else "")
            )
        return ""

    def _enrollment_chunk(
        self, change: Change, study_id: int, chunk: list[int], enrolling: bool
    ) -> None:
        method = "POST" if enrolling else "DELETE"
        path = f"{API}/studies/{study_id}/{PATIENTS.resource}"
        remaining = list(chunk)

        def settled() -> bool:
            # Non-atomic on the server: ids before a failure may be in; send only the rest.
            enrolled = {p.id for p in read_enrollments(self.exchange, study_id)}
            remaining[:] = [pid for pid in remaining if (pid in enrolled) != enrolling]
            return not remaining

        self._send(
            change, lambda: Call(method, path, {PATIENTS.body_key: list(remaining)}), settled
        )

    # -- the write loop --------------------------------------------------------------

    def _write(self, change: Change, call: Call, done: Callable[[], bool]) -> str:
        reply = self._send(change, call, done)
        return "" if reply is not None else "confirmed by reading back after an error"

    def _send(
        self,
        change: Change,
        call: Call | Callable[[], Call],
        done: Callable[[], bool],
    ) -> Reply | None:
        """Send a write; after an ambiguous failure read back (``done``) before any resend.

        Returns the reply, or None when reading back showed the write had happened.
        """
        ambiguous = rate_limited = 0
        while True:
            request = call() if callable(call) else call
            self.run.counted()
            try:
                reply = self.exchange.write(request.method, request.path, request.body)
            except RateLimited as error:
                self.run.journal.record(change, request, "rate_limited", error.status, error.reason)
                rate_limited += 1
                if rate_limited >= MAX_RATE_LIMITED_ATTEMPTS:
                    raise
                retry = self.exchange.retry
                wait = (
                    error.retry_after
                    if error.retry_after is not None
                    else retry.delay(rate_limited, random.random())
                )
                self._pause(min(wait, retry.max_retry_after), error)
                continue
            except _AMBIGUOUS as error:
                status = error.status if isinstance(error, ExchangeError) else None
                self.run.journal.record(change, request, "unknown", status, _reason(error))
                ambiguous += 1
                # Give the server a moment before reading back: a write it is still
                # working on must be seen, or the resend would make it twice.
                self._pause(self.exchange.retry.delay(ambiguous, random.random()), error)
                try:
                    if done():
                        return None
                except _Conflict:
                    raise
                except JheSyncError as reading:
                    raise _Unconfirmed(
                        f"{error}; whether it happened is unknown: reading back failed: {reading}"
                    ) from None
                if _may_still_commit(change, error):
                    raise _Unconfirmed(
                        f"{error}; not resent: a study create that timed out may still "
                        "commit on the server. Run the same command again to converge"
                    ) from None
                if ambiguous >= MAX_AMBIGUOUS_ATTEMPTS:
                    raise
                continue
            except ExchangeError as error:
                self.run.journal.record(change, request, "refused", error.status, error.reason)
                raise
            self.run.journal.record(change, request, "ok", reply.status)
            return reply

    def _pause(self, seconds: float, after: JheSyncError) -> None:
        if self.run.stop.is_set():
            raise _Interrupted(f"before resending after: {after}")
        self.run.wait(seconds)
        if self.run.stop.is_set():
            raise _Interrupted(f"before resending after: {after}")


def _may_still_commit(change: Change, error: JheSyncError) -> bool:
    """A create that timed out may be committed after any read-back: resending it could
    make the study twice, where every other write is harmless to repeat (the server
    refuses a duplicate link with a 500, which is read back in turn)."""
    return (
        change.kind is ChangeKind.CREATE_STUDY
        and isinstance(error, TransportError)
        and error.timed_out
    )


def _with_id(call: Call, study_id: int) -> Call:
    return Call(call.method, call.path.replace("{study_id}", str(study_id)), call.body)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reason(error: JheSyncError) -> str:
    return error.reason if isinstance(error, ExchangeError) else str(error)
