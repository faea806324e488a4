"""Creating without a lock: racing applies of one spec converge on one object each.

JHE has no lock, no unique name and no idempotency key, so two applies that plan the
same create (two CI jobs and a laptop, or two runs of one saved plan) would each make
the study. The rule that settles it needs no coordination beyond what every apply can
read: **among same-named siblings, the lowest id wins**.

- Before a create, the organization's studies are read again (once per organization
  and apply; later creates use the freshest list this apply has read): a study of
  that name that appeared since the plan is adopted, not created again.
- After a create, the siblings are read again, with a read sent after the create's
  answer came back. If a same-named sibling has a lower id, this apply's study lost:
  its creator deletes it (still empty: nothing is linked to a study before this
  check) and carries on with the winner. Link adds that collide with the winner's
  own creator are answered 500 and read back as done (``executor``).

Why a loser can never be in use: ids grow with every insert and a study is visible
once its insert has committed, so a list that shows a loser also shows every lower
sibling, the winner among them; the winner itself is never deleted, having no lower
sibling. Whoever reads the siblings therefore picks the same winner, whenever they
read, and nobody adopts or links a loser.

The limit: on PostgreSQL an id is drawn when the INSERT starts and becomes visible
when it commits. JHE runs in autocommit (no ``ATOMIC_REQUESTS``), so that is the
time one INSERT takes inside the server; a lower sibling whose INSERT is still
uncommitted when this apply's check runs (one round trip after its own create was
answered) is missed, and both studies are kept. The next plan then stops with an
error naming both ids; nothing is ever created a third time.

The same rule serves any object that is created by name under a parent (sibling
organizations under one parent organization): a ``Family`` says how to list one
container's children, read a new id from a create's answer and delete a loser; the
executor's ``_create_unique`` runs the rule for any family, and ``same_named``
knows only ids and names.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from jhe_sync.exchange.client import Reply
from jhe_sync.identity.study import name_key
from jhe_sync.plan.change import Call


class Named(Protocol):
    """What the rule needs of a live object: its id and its name."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


def same_named(items: Sequence[N], name: str) -> list[N]:
    """The items called ``name`` (compared as the identity rule compares), lowest id first."""
    wanted = name_key(name)
    return sorted((item for item in items if name_key(item.name) == wanted), key=lambda i: i.id)


@dataclass
class _Listing(Generic[N]):
    """One read of a container's children: when it was sent, and what it found."""

    sent: int
    items: list[N] | None = None


@dataclass
class Siblings(Generic[N]):
    """The children of each container (an organization's studies), read as rarely as the
    rule allows: a caller asks for a list read *after* some moment of this apply
    (``tick``), and every caller whose moment came before a read was sent shares it.

    Reads of one container never overlap: callers arriving while one is in flight
    that was sent too early for them wait for it, and then one of them sends the next,
    for all of them.
    """

    read: Callable[[int], list[N]]
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _latest: dict[int, _Listing[N]] = field(default_factory=dict)
    _flying: dict[int, _Listing[N]] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def tick(self) -> int:
        """A moment of this apply: lists asked for ``after`` it are read after it."""
        with self._lock:
            return next(self._clock)

    def after(self, container: int, moment: int) -> list[N]:
        """The container's children, from a read sent after ``moment``."""
        with self._lock:
            while True:
                latest = self._latest.get(container)
                if latest is not None and latest.sent > moment and latest.items is not None:
                    return latest.items
                flying = self._flying.get(container)
                if flying is None:
                    mine = _Listing[N](sent=next(self._clock))
                    self._flying[container] = mine
                    break
                # A failed read is not shared: each caller then sends its own.
                self._lock.wait()
        try:
            mine.items = self.read(container)
        finally:
            with self._lock:
                del self._flying[container]
                if mine.items is not None:
                    latest = self._latest.get(container)
                    if latest is None or latest.sent < mine.sent:
                        self._latest[container] = mine
                self._lock.notify_all()
        return mine.items

    def known(self, container: int) -> list[N] | None:
        """The freshest list of the container this apply has read, without reading."""
        with self._lock:
            latest = self._latest.get(container)
            return latest.items if latest is not None else None


@dataclass
class Family(Generic[N]):
    """One kind of object created by name under a container, as the rule needs it: how
    its siblings are listed, how a create's answer names the new id, and how a loser
    is deleted and found gone. Studies: an organization's studies; organizations: the
    children of one parent."""

    noun: str
    plural: str
    container: str
    """What holds the siblings, as a message names it: ``organization``."""
    siblings: Siblings[N]
    created_id: Callable[[Reply, str], int]
    """The new object's id from a create's answer (the second argument says where, for
    an error about an answer that holds none)."""
    delete: Callable[[int], Call]
    gone: Callable[[int], bool]
    started: int = field(init=False)
    """The moment this apply began: the first create in a container lists its siblings
    after it, later ones reuse that list or a fresher one."""

    def __post_init__(self) -> None:
        self.started = self.siblings.tick()
