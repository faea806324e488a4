"""The create protocol, one path at a time: adopt what appeared since the plan, keep
the lowest id when a racing apply created the same study, delete this apply's
duplicate before anything is linked to it (``jhe_sync.apply.create``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from apply.helpers import (
    ALLOW_ALL,
    DEFAULT,
    HYPERTENSION,
    NAME,
    Interloper,
    desired,
    plan_for,
    studies_named,
    study,
    writes,
)
from jhe_sync.apply import Outcome, apply_plan
from jhe_sync.apply.create import Siblings, same_named
from jhe_sync.exchange.client import Exchange
from jhe_sync.live import Study

Connect = Callable[..., Exchange]
STUDIES = "/api/v1/studies"
SIBLINGS = "/api/v1/organizations/20003/studies"


def _other_apply_creates(exchange: Exchange, description: str = f"{NAME}.") -> Callable[[], None]:
    def act() -> None:
        exchange.write(
            "POST", STUDIES, {"name": NAME, "description": description, "organization": 20003}
        )

    return act


def test_a_study_created_since_the_plan_is_adopted_not_created_again(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = plan_for(exchange, HYPERTENSION)
    _other_apply_creates(connect(emulator))()
    result = apply_plan(exchange, plan, DEFAULT)
    assert result.ok
    [kept] = studies_named(exchange, 20003, NAME)
    assert app.requests("POST", STUDIES) == []
    assert f"adopted study {kept}" in result.results[0].reason
    enrolled = exchange.get_all(f"{STUDIES}/{kept}/patients")
    assert sorted(p["id"] for p in enrolled) == [40001, 40002]


def test_a_same_named_study_with_other_values_since_the_plan_is_left_alone(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = plan_for(exchange, HYPERTENSION)
    _other_apply_creates(connect(emulator), "Someone else's.")()
    result = apply_plan(exchange, plan, DEFAULT)
    assert result.results[0].outcome is Outcome.FAILED
    assert "with another description" in result.results[0].reason
    assert {r.outcome for r in result.results[1:]} == {Outcome.SKIPPED}
    assert writes(app) == []


def test_losing_the_race_deletes_the_duplicate_before_linking_and_uses_the_lower_id(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    # Another apply's create commits between this apply's check and its create.
    app = scripted(Interloper(emulator, "POST", STUDIES, _other_apply_creates(connect(emulator))))
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert result.ok
    [kept] = studies_named(exchange, 20003, NAME)
    sent = [(s.method, s.path) for s in writes(app)]
    assert sent[0] == ("POST", STUDIES)
    assert sent[1] == ("DELETE", f"{STUDIES}/{kept + 1}")
    assert all(path.startswith(f"{STUDIES}/{kept}/") for _, path in sent[2:])
    assert f"kept study {kept}" in result.results[0].reason
    assert {r.study_id for r in result.results} == {kept}


def test_winning_the_race_keeps_this_applys_study(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    # The other apply's create commits just after this one's: it is the higher id.
    other = connect(emulator)
    app = scripted(Interloper(emulator, "POST", STUDIES, _other_apply_creates(other), after=True))
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    assert result.ok
    ours, theirs = studies_named(exchange, 20003, NAME)
    assert {r.study_id for r in result.results} == {ours}
    assert result.results[0].reason == ""
    assert [s.method for s in app.seen if s.method == "DELETE"] == []
    # theirs is the other apply's to delete: it sees ours, the lower id.
    assert theirs > ours


def test_a_lost_create_answer_among_racing_creates_is_reported_not_guessed(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    inner = scripted(emulator).fail("POST", STUDIES, "after_commit")
    app = Interloper(inner, "POST", STUDIES, _other_apply_creates(connect(emulator)))
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, HYPERTENSION), DEFAULT)
    first, second = studies_named(exchange, 20003, NAME)
    assert result.results[0].outcome is Outcome.FAILED
    reason = result.results[0].reason
    assert f"ids {first}, {second}" in reason and f"Keep {first}" in reason
    assert {r.outcome for r in result.results[1:]} == {Outcome.SKIPPED}
    assert len(inner.requests("POST", STUDIES)) == 1


def test_creates_in_one_organization_share_their_sibling_reads(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    spec = desired(*(study(f"s{n}", f"Pilot {n}") for n in range(6)))
    app = scripted(emulator)
    exchange = connect(app)
    plan = plan_for(exchange, spec)
    app.seen.clear()
    assert apply_plan(exchange, plan, DEFAULT).ok
    # One read before the first create, then at most one after each create.
    assert 2 <= len(app.requests("GET", SIBLINGS)) <= 1 + 6
    assert len(app.requests("POST", STUDIES)) == 6


# -- the sibling reader --------------------------------------------------------------


def _study(id: int, name: str) -> Study:
    return Study(id=id, name=name, description="", organization_id=1)


def test_same_named_compares_as_identity_does_and_puts_the_lowest_id_first() -> None:
    items = [_study(9, "Pilot"), _study(3, " Pilot "), _study(5, "Pilot 2")]
    assert [s.id for s in same_named(items, "Pilot")] == [3, 9]


def test_a_sibling_list_asked_for_after_a_moment_is_read_after_it() -> None:
    reads: list[int] = []
    siblings = Siblings(lambda container: reads.append(container) or [])
    first = siblings.tick()
    siblings.after(1, first)
    siblings.after(1, first)
    assert reads == [1]
    siblings.after(1, siblings.tick())
    assert reads == [1, 1]
    assert siblings.known(2) is None


def test_callers_waiting_on_a_read_sent_too_early_share_the_next_one() -> None:
    release = threading.Event()
    reads: list[int] = []

    def read(container: int) -> list[Study]:
        reads.append(container)
        if len(reads) == 1:
            release.wait(5)
        return []

    siblings = Siblings(read)
    early = threading.Thread(target=siblings.after, args=(1, siblings.tick()))
    early.start()
    while not reads:
        threading.Event().wait(0.001)
    late = [siblings.tick() for _ in range(4)]
    waiting = [threading.Thread(target=siblings.after, args=(1, m)) for m in late]
    for thread in waiting:
        thread.start()
    release.set()
    for thread in [early, *waiting]:
        thread.join(5)
    assert reads == [1, 1]


def test_a_study_that_a_racing_apply_deleted_first_counts_as_deleted(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    spec = desired(study("bp", "Lifespan Study on BP").model_copy(update={"state": "absent"}))
    other = connect(emulator)
    app = scripted(
        Interloper(
            emulator,
            "DELETE",
            f"{STUDIES}/30002",
            lambda: other.write("DELETE", f"{STUDIES}/30002"),
        )
    )
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, spec), ALLOW_ALL)
    assert result.ok
    assert "already deleted" in result.results[0].reason
    assert app.requests("DELETE", f"{STUDIES}/30002")[0].status == 403


def test_a_study_delete_the_server_refuses_still_fails(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    spec = desired(study("bp", "Lifespan Study on BP").model_copy(update={"state": "absent"}))
    app = scripted(emulator).fail("DELETE", f"{STUDIES}/30002", "before_commit", status=403)
    exchange = connect(app)
    result = apply_plan(exchange, plan_for(exchange, spec), ALLOW_ALL)
    assert result.results[0].outcome is Outcome.FAILED
    assert "403" in result.results[0].reason
