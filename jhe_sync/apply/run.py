"""What one apply shares, and the write loop every change goes through.

``Run`` holds what all entries of an apply share: the exchange, the journal, the stop
flag, the write counter, the ids of the organizations this apply created (by entry
key: a study or a role in a new organization names it so until it exists), and the
patient members of organizations, read once for the enrollment pre-check.

``EntryRun`` runs one entry's changes in order and sends each write once. When it
fails:

- 429: the server did not process it; wait ``Retry-After`` and send it again;
- other 4xx: a definite refusal; the change fails with the server's reason;
- 5xx, a timeout or a dropped connection: the write may or may not have happened
  (this API answers 500 after committing, and enrolls the ids before a bad one), so
  the object is read back first, and only what did not happen is sent again; a create
  that timed out is never resent (it may still commit).

An entry whose create (or a study's update) failed has its other changes skipped; so
has every change that needs an organization whose create did not succeed.

Creates follow the lock-free protocol of ``create.py`` (adopt a same-named sibling that
appeared since the plan; after creating, keep the lowest id and delete this apply's
duplicate), for studies in an organization and organizations under a parent alike:
``EntryRun.create_unique`` runs it for any ``Family``.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

from jhe_sync.apply.create import Family, N, Siblings, same_named
from jhe_sync.apply.journal import Journal
from jhe_sync.apply.results import NOT_STARTED, ChangeResult, Outcome
from jhe_sync.errors import (
    ExchangeError,
    JheSyncError,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
)
from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange, Reply
from jhe_sync.exchange.read import (
    read_child_organizations,
    read_organization,
    read_organization_patients,
    read_organization_studies,
    read_study_fields,
)
from jhe_sync.live import Organization, Study
from jhe_sync.plan.change import STUDY_PLACEHOLDER, Call, Change
from jhe_sync.resources import API, ChangeKind

log = logging.getLogger("jhe_sync.apply")

MAX_AMBIGUOUS_ATTEMPTS = 4
"""Sends of one write whose outcome stayed unknown (each followed by a read-back)."""

MAX_RATE_LIMITED_ATTEMPTS = 6
"""Sends of one write answered 429 (never processed) before giving up."""

_AMBIGUOUS = (ServerError, TransportError, ProtocolError)
"""Failures after which the write may have happened."""

CREATES = frozenset({ChangeKind.CREATE_STUDY, ChangeKind.CREATE_ORGANIZATION})

_ORGANIZATION = re.compile(r"\{organization:([^{}]+)\}")


class Interrupted(Exception):
    """Stop was asked for between two requests of one change."""


class Unconfirmed(JheSyncError):
    """A write's outcome stayed unknown: it failed ambiguously and reading back failed."""


class Conflict(JheSyncError):
    """Reading back after a fault found a state the plan did not expect; nothing more is sent."""


class NotCreated(JheSyncError):
    """A change needs an organization this apply was to create, and the create did not
    succeed: the change is skipped."""


@dataclass
class Run:
    """What the entries of one apply share: the exchange, journal, stop flag, counters."""

    exchange: Exchange
    journal: Journal
    stop: threading.Event
    progress: Callable[[ChangeResult], None] | None
    chunk_size: int
    writes: int = 0
    studies: Family[Study] = field(init=False)
    """Studies as the create protocol sees them: each organization's list (``create``)."""
    organizations: Family[Organization] = field(init=False)
    """Organizations as the create protocol sees them: each parent's children."""
    members: dict[int, frozenset[int]] = field(default_factory=dict)
    """Patient ids by organization: given from the plan's snapshot, else read once."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _member_locks: dict[int, threading.Lock] = field(default_factory=dict)
    _new_organizations: dict[str, int] = field(default_factory=dict)
    """Ids of the organizations this apply created, by entry key."""

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
        self.organizations = Family(
            noun="organization",
            plural="organizations",
            container="organization",
            siblings=Siblings(partial(_children, exchange)),
            created_id=lambda reply, where: parse.organization(reply.data, where).id,
            delete=lambda org_id: Call("DELETE", f"{API}/organizations/{org_id}"),
            # Deleting one that is gone answers 500 (FINDINGS): its absence is the 404.
            gone=lambda org_id: read_organization(exchange, org_id) is None,
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

    def created(self, key: str, organization_id: int) -> None:
        """Record the id of an organization this apply created (entry ``key``)."""
        with self._lock:
            self._new_organizations[key] = organization_id

    def organization(self, key: str) -> int:
        """The id of the organization the entry ``key`` created in this apply."""
        with self._lock:
            found = self._new_organizations.get(key)
        if found is None:
            raise NotCreated(f'not attempted: organization "{key}" was not created')
        return found

    def organization_of(self, change: Change) -> int:
        """The id of the organization a change is in, also when this apply created it."""
        if change.organization_id is not None:
            return change.organization_id
        return self.organization(change.organization_key)

    def filled(self, call: Call, study_id: int | None = None) -> Call:
        """The call with the ids of what this apply created in place of placeholders."""

        def fill(text: str) -> str:
            text = _ORGANIZATION.sub(lambda m: str(self.organization(m.group(1))), text)
            if study_id is not None:
                text = text.replace(STUDY_PLACEHOLDER, str(study_id))
            return text

        body: dict[str, Any] | None = None
        if call.body is not None:
            body = {key: self._value(value) for key, value in call.body.items()}
        return Call(call.method, fill(call.path), body)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str) and (found := _ORGANIZATION.fullmatch(value)):
            return self.organization(found.group(1))
        return value

    def organization_members(self, organization_id: int) -> frozenset[int]:
        """Patient ids of an organization, read once per apply (enrollment pre-check).
        Read when the first enrollment needs it: after the memberships the plan adds."""
        with self._lock:
            lock = self._member_locks.setdefault(organization_id, threading.Lock())
        with lock:
            if organization_id not in self.members:
                found = read_organization_patients(self.exchange, organization_id)
                self.members[organization_id] = frozenset(p.id for p in found)
            return self.members[organization_id]


class EntryRun:
    """One entry's changes of one phase, in order; subclasses make each change."""

    def __init__(self, run: Run, changes: Sequence[Change]) -> None:
        self.run = run
        self.exchange = run.exchange
        self.changes = sorted(changes, key=lambda c: c.kind.rank)

    def execute(self) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        blocked = ""
        for change in self.changes:
            if self.run.stop.is_set():
                result = self.result(change, Outcome.SKIPPED, NOT_STARTED)
            elif blocked:
                result = self.result(change, Outcome.SKIPPED, blocked)
            else:
                result = self._one(change)
                if result.outcome is not Outcome.DONE:
                    blocked = self.blocks(change)
            results.append(result)
            self.run.report(result)
        return results

    def blocks(self, change: Change) -> str:
        """Why the entry's later changes are not attempted after ``change`` did not
        succeed, or "" when they still may be."""
        if change.kind in CREATES:
            return f"not attempted: the {change.subject} create did not succeed"
        return ""

    def perform(self, change: Change) -> str:
        """Make one change; returns a note for the report (how a fault was resolved)."""
        raise NotImplementedError

    def ids(self) -> Mapping[str, int]:
        """The ids of what the entry's changes act on, as results report them."""
        return {}

    def result(self, change: Change, outcome: Outcome, reason: str = "") -> ChangeResult:
        return ChangeResult(change, outcome, reason, MappingProxyType(dict(self.ids())))

    def _one(self, change: Change) -> ChangeResult:
        try:
            note = self.perform(change)
        except NotCreated as skipped:
            return self.result(change, Outcome.SKIPPED, str(skipped))
        except Interrupted as stopped:
            return self.result(change, Outcome.FAILED, f"interrupted: {stopped}")
        except JheSyncError as error:
            return self.result(change, Outcome.FAILED, str(error))
        except Exception as error:  # one entry's bug must not hide the other entries' results
            log.debug("unexpected error applying %s", change.kind.value, exc_info=True)
            return self.result(
                change, Outcome.FAILED, f"unexpected {type(error).__name__}: {error}"
            )
        return self.result(change, Outcome.DONE, note)

    # -- the create protocol ---------------------------------------------------------

    def create_unique(
        self,
        change: Change,
        call: Call,
        family: Family[N],
        container: int,
        name: str,
        differing: Callable[[N], Sequence[str]],
    ) -> tuple[int, str]:
        """Send ``change``'s create (``call``, its placeholders filled) unless a same-named
        sibling in ``container`` appeared since the plan; after it, keep the lowest id
        (``create``). Returns the id of the object the rest of the entry's changes act
        on, and a note for the report."""
        noun, siblings = family.noun, family.siblings
        present = same_named(siblings.after(container, family.started), name)
        if present:
            return self._adopted(
                present[0], family, container, differing, "appeared since the plan"
            )
        found: list[N] = []
        reply = self.send(change, call, lambda: self._created(family, container, name, found))
        if reply is None:
            kept = self._adopted(found[0], family, container, differing, "")[0]
            return kept, f"the create committed despite the error; adopted {noun} {kept}"
        own = family.created_id(reply, f"{call.method} {call.path}")
        named = same_named(siblings.after(container, siblings.tick()), name)
        if not named:
            raise Conflict(
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
            self._pause(self.exchange.retry.delay(attempt, random.random()), Conflict(name))
        ids = ", ".join(str(item.id) for item in named)
        raise Conflict(
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
            raise Conflict(
                f'a {family.noun} named "{item.name}" (id {item.id}) appeared in '
                f"{family.container} {container} since the plan, with another "
                f"{', '.join(other)}; it is left as it is. Plan again"
            )
        return item.id, f"adopted {family.noun} {item.id}: it {why}" if why else ""

    def _delete_loser(self, change: Change, family: Family[N], own: int, winner: int) -> None:
        """Delete the duplicate this apply just created (nothing is linked to it yet)."""
        call = family.delete(own)
        try:
            self.send(change, call, lambda: family.gone(own))
        except JheSyncError as error:
            raise Conflict(
                f"another apply created this {family.noun} at the same time (id {winner}, "
                f"kept: the lower id); deleting this apply's duplicate {own} failed ({error}); "
                f"delete {family.noun} {own} (nothing is linked to it)"
            ) from None

    # -- the write loop --------------------------------------------------------------

    def write(self, change: Change, call: Call, done: Callable[[], bool]) -> str:
        """Send a write that is harmless to repeat once read back: a note, or ""."""
        reply = self.send(change, call, done)
        return "" if reply is not None else "confirmed by reading back after an error"

    def send(
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
                except Conflict:
                    raise
                except JheSyncError as reading:
                    raise Unconfirmed(
                        f"{error}; whether it happened is unknown: reading back failed: {reading}"
                    ) from None
                if _may_still_commit(change, error):
                    raise Unconfirmed(
                        f"{error}; not resent: a {change.subject} create that timed out may "
                        "still commit on the server. Run the same command again to converge"
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
            raise Interrupted(f"before resending after: {after}")
        self.run.wait(seconds)
        if self.run.stop.is_set():
            raise Interrupted(f"before resending after: {after}")


def _may_still_commit(change: Change, error: JheSyncError) -> bool:
    """A create that timed out may be committed after any read-back: resending it could
    make the object twice, where every other write is harmless to repeat (the server
    refuses a duplicate link with a 500, which is read back in turn)."""
    return change.kind in CREATES and isinstance(error, TransportError) and error.timed_out


def _children(exchange: Exchange, parent_id: int) -> list[Organization]:
    return list(read_child_organizations(exchange, parent_id).values())


def _reason(error: JheSyncError) -> str:
    return error.reason if isinstance(error, ExchangeError) else str(error)
