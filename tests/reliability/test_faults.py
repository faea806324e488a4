"""Through a broken network, apply never duplicates or destroys anything, reports every
change, and converges: at 10-30% faults of every kind, over many seeds, and when it is
interrupted at any point.

The emulator injects the faults (``FaultConfig``: 5xx before and after the write
commits, 429, connections dropped before and after it commits), drawn from a seed in
request order; with one request at a time (``parallelism=1``) a seed replays exactly.
A ``ScriptedFaults`` in front of it (with no scripted fault) records what reached the
server. A "run" is what ``jhe-sync apply`` does: read, plan, apply; the state is then
checked with faults off.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from apply.helpers import ALLOW_ALL
from apply.served import Served

from jhe_sync.apply import apply_plan
from jhe_sync.apply.results import ApplyResult, ChangeResult, Outcome
from jhe_sync.emulator import FaultConfig, create_app
from jhe_sync.emulator.app import EmulatorApp
from jhe_sync.emulator.seed import STUDIES
from jhe_sync.errors import JheSyncError
from jhe_sync.exchange.client import Exchange
from jhe_sync.local import local_exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind
from jhe_sync.plan.plan import Plan
from jhe_sync.snapshot import read_live
from jhe_sync.spec import SpecSource, load_desired
from jhe_sync.spec.models import Desired

SPEC_TEXT = """\
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood pressure and heart rate, at home.
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure:4.0, omh:blood-glucose:4.0]
    data_sources: [iHealth, Dexcom]
    clients: [CommonHealth]
    patients: [ll_patient_peter@example.com]
  - key: glucose
    name: Glucose Pilot
    description: Continuous glucose monitoring.
    organization: Lifespan Lab
    scope_requests: [omh:blood-glucose:4.0, omh:heart-rate:2.0]
    data_sources: [Dexcom, CareX]
    clients: [CareX, CommonHealth]
    patients: [ll_patient_peter@example.com, ll_patient_pamela@example.com]
  - key: weight
    name: Weight Study
    description: Body weight.
    organization: Lifespan Lab
    scope_requests: [omh:body-weight:3.0]
    data_sources: [iHealth]
    patients: [ll_patient_pamela@example.com]
"""
"""Every kind of change: an update, link removals and additions, an unenrollment of a
consented patient, two creates with links and enrollments. The seeded study 30002 of
the same organization, and every study of the others, are not in it: left alone."""

SPEC = load_desired([SpecSource.from_text(SPEC_TEXT, "studies.yaml")], environ={})

KINDS = ("error_before_commit", "error_after_commit", "rate_limit", "drop", "drop_after_commit")

FAULTS: dict[str, dict[str, float]] = {
    **{f"only-{kind.replace('_', '-')}-30%": {kind: 0.30} for kind in KINDS},
    **{
        f"every-kind-{total}%": {kind: total / 100 / len(KINDS) for kind in KINDS}
        for total in (10, 20, 30)
    },
}
"""A share of requests per kind. Writes draw every kind, reads only 429s and drops."""

SEEDS = range(12)


@dataclass
class Estate:
    """An emulator with faults, what reached it, and a connection to it."""

    emulator: EmulatorApp
    app: Any
    exchange: Exchange
    runs: list[tuple[Plan, ApplyResult]] = field(default_factory=list)

    def writes(self) -> list[Any]:
        return [s for s in self.app.seen if s.method != "GET" and s.path != "/o/token/"]


@pytest.fixture
def estate(scripted: Any) -> Iterator[Callable[..., Estate]]:
    made: list[Estate] = []

    def make(faults: FaultConfig) -> Estate:
        emulator = create_app(db=":memory:", faults=faults)
        app = scripted(emulator)
        exchange = local_exchange(app, sleep=lambda _: None)
        made.append(Estate(emulator, app, exchange))
        return made[-1]

    yield make
    for each in made:
        each.exchange.close()
        each.emulator.close()


def plan_of(exchange: Exchange, spec: Desired, parallelism: int = 1) -> Plan:
    return build_plan(spec, read_live(exchange, spec, parallelism=parallelism))


def one_run(
    estate: Estate,
    parallelism: int = 1,
    stop: threading.Event | None = None,
    on_progress: Callable[[ChangeResult], None] | None = None,
) -> ApplyResult | None:
    """Read, plan and apply, as ``jhe-sync apply --allow-destroy`` does; None when
    reading failed (nothing was then written, and the run is a lost one)."""
    try:
        plan = plan_of(estate.exchange, SPEC, parallelism)
    except JheSyncError:
        return None
    result = apply_plan(
        estate.exchange,
        plan,
        ALLOW_ALL,
        parallelism=parallelism,
        stop=stop,
        on_progress=on_progress,
    )
    estate.runs.append((plan, result))
    return result


def remaining(estate: Estate) -> Plan:
    """What is left to do, read with the faults off (switched off in place: assigning a
    new ``FaultConfig`` would restart the draws, and the next run would meet the same
    faults at the same requests again)."""
    config = estate.emulator.faults
    shares = {kind: getattr(config, kind) for kind in KINDS}
    for kind in KINDS:
        setattr(config, kind, 0.0)
    try:
        return plan_of(estate.exchange, SPEC)
    finally:
        for kind, share in shares.items():
            setattr(config, kind, share)


UNMANAGED = tuple(study[0] for study in STUDIES if study[0] != 30001)
"""The seeded studies the spec does not list."""


def unmanaged(emulator: EmulatorApp) -> dict[str, list[tuple[Any, ...]]]:
    """Every study the spec does not list, and every link and consent of those studies."""
    marks = ", ".join("?" for _ in UNMANAGED)
    tables = {
        "core_study": "id, name, description, organization_id, icon_url",
        "core_studyscoperequest": "study_id, scope_code_id",
        "core_studydatasource": "study_id, data_source_id",
        "core_studyclient": "study_id, client_id",
        "core_studypatient": "study_id, patient_id",
    }
    with emulator.database.transaction() as transaction:
        found = {
            table: [
                tuple(row)
                for row in transaction.store.all(
                    f"SELECT {columns} FROM {table} "
                    f"WHERE {'id' if table == 'core_study' else 'study_id'} IN ({marks}) "
                    "ORDER BY 1, 2",
                    UNMANAGED,
                )
            ]
            for table, columns in tables.items()
        }
        found["core_studypatientscopeconsent"] = [
            tuple(row)
            for row in transaction.store.all(
                "SELECT c.* FROM core_studypatientscopeconsent c JOIN core_studypatient p "
                f"ON p.id = c.study_patient_id WHERE p.study_id IN ({marks}) ORDER BY c.id",
                UNMANAGED,
            )
        ]
    return found


LINK_TABLES = {
    "core_studyscoperequest": "scope_code_id",
    "core_studydatasource": "data_source_id",
    "core_studyclient": "client_id",
    "core_studypatient": "patient_id",
}


def duplicates(emulator: EmulatorApp) -> list[tuple[Any, ...]]:
    """Studies that share an organization and a name, and links made twice."""
    queries = [
        "SELECT 'study', organization_id, name, COUNT(*) FROM core_study "
        "GROUP BY organization_id, name HAVING COUNT(*) > 1",
        *(
            f"SELECT '{table}', study_id, {column}, COUNT(*) FROM {table} "
            f"GROUP BY study_id, {column} HAVING COUNT(*) > 1"
            for table, column in LINK_TABLES.items()
        ),
    ]
    with emulator.database.transaction() as transaction:
        return [tuple(row) for query in queries for row in transaction.store.all(query)]


def assert_every_change_reported(plan: Plan, result: ApplyResult) -> None:
    """Each planned change has one result, in plan order; a change that is not done
    says why; ``ok`` means every change is done."""
    assert [r.change for r in result.results] == list(plan.changes)
    for each in result.results:
        if each.outcome is not Outcome.DONE:
            assert each.reason.strip(), f"no reason for {each}"
            assert "\n" not in each.reason and "<" not in each.reason, each.reason
    assert result.ok == all(r.outcome is Outcome.DONE for r in result.results)


def _planned_removals(plan: Plan, created: dict[str, int]) -> set[tuple[str, str, str]]:
    removals = set()
    for change in plan.changes:
        if not change.kind.destructive:
            continue
        call = change.call()
        study_id = created.get(change.key, change.study_id)
        path = call.path.replace("{study_id}", str(study_id))
        if change.kind is ChangeKind.UNENROLL:
            for patient in change.patients:
                removals.add((call.method, path, f"patient:{patient.id}"))
        else:
            removals.add((call.method, path, repr(call.body)))
    return removals


def assert_only_planned_deletions(estate: Estate) -> None:
    """Every DELETE that reached the server removes what one of the plans removed."""
    allowed: set[tuple[str, str, str]] = set()
    for plan, result in estate.runs:
        created = {
            r.change.key: r.study_id
            for r in result.results
            if r.change.kind is ChangeKind.CREATE_STUDY and r.study_id is not None
        }
        allowed |= _planned_removals(plan, created)
    for sent in estate.writes():
        if sent.method != "DELETE":
            continue
        if isinstance(sent.body, dict) and "patient_ids" in sent.body:
            asked = {(sent.method, sent.path, f"patient:{p}") for p in sent.body["patient_ids"]}
        else:
            asked = {(sent.method, sent.path, repr(sent.body))}
        assert asked <= allowed, f"an unplanned deletion: {sent}"


def assert_no_refusal_but_injected_ones(estate: Estate) -> None:
    """A 500 the fault injection did not make is the server refusing a call: a link or
    an enrollment sent twice (IntegrityError), or an id it does not know."""
    refused = [
        f"{s.method} {s.path}: {s.title}"
        for s in estate.writes()
        if s.status >= 500 and "Server Error (500)" not in s.title
    ]
    assert not refused, f"the server refused: {refused}"


def converge(estate: Estate, parallelism: int = 1, runs: int = 3) -> int:
    """Run up to ``runs`` times; the number of runs it took (0: it did not converge)."""
    for number in range(1, runs + 1):
        result = one_run(estate, parallelism)
        if result is not None:
            assert_every_change_reported(*estate.runs[-1])
        if remaining(estate).empty:
            return number
    return 0


# -- random faults ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shares", FAULTS.values(), ids=FAULTS.keys())
def test_apply_converges_within_three_runs_without_duplicating_or_destroying(
    shares: dict[str, float], seed: int, estate: Callable[..., Estate]
) -> None:
    env = estate(FaultConfig(**shares, retry_after=1, seed=seed))
    before = unmanaged(env.emulator)
    assert converge(env), "three runs did not converge"
    assert duplicates(env.emulator) == []
    assert unmanaged(env.emulator) == before
    assert_only_planned_deletions(env)
    assert_no_refusal_but_injected_ones(env)


@pytest.mark.parametrize("seed", range(4))
def test_concurrent_apply_converges_through_faults_without_duplicating_or_destroying(
    seed: int, estate: Callable[..., Estate]
) -> None:
    env = estate(FaultConfig(**FAULTS["every-kind-30%"], retry_after=1, seed=seed))
    before = unmanaged(env.emulator)
    assert converge(env, parallelism=4), "three runs did not converge"
    assert duplicates(env.emulator) == []
    assert unmanaged(env.emulator) == before
    assert_only_planned_deletions(env)
    assert_no_refusal_but_injected_ones(env)


@pytest.mark.parametrize("seed", range(6))
def test_far_beyond_the_retry_budget_failures_are_reported_and_later_runs_finish(
    seed: int, estate: Callable[..., Estate]
) -> None:
    env = estate(FaultConfig(**{kind: 0.9 / len(KINDS) for kind in KINDS}, seed=seed))
    before = unmanaged(env.emulator)
    assert converge(env), "three runs did not converge"
    assert duplicates(env.emulator) == []
    assert unmanaged(env.emulator) == before
    assert_only_planned_deletions(env)
    assert_no_refusal_but_injected_ones(env)


def test_far_beyond_the_retry_budget_some_changes_do_fail(estate: Callable[..., Estate]) -> None:
    """The test above is not vacuous: at 90% faults, first runs leave changes failed."""
    failed = 0
    for seed in range(6):
        env = estate(FaultConfig(**{kind: 0.9 / len(KINDS) for kind in KINDS}, seed=seed))
        result = one_run(env)
        failed += result.count(Outcome.FAILED) if result is not None else 0
    assert failed


def test_the_faults_happen_of_every_kind(estate: Callable[..., Estate]) -> None:
    """The table above is not vacuous: over the first runs of a few seeds at 30%, every
    kind of fault happens, to writes that committed and to writes that did not."""
    seen: set[tuple[int, bool]] = set()
    for seed in range(4):
        env = estate(FaultConfig(**FAULTS["every-kind-30%"], retry_after=1, seed=seed))
        one_run(env)
        seen |= {(r.status, r.committed) for r in env.emulator.request_log if r.method != "GET"}
    assert {(429, False), (0, False), (0, True), (500, False), (500, True)} <= seen


# -- interruptions ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_an_apply_stopped_after_any_change_reports_the_rest_skipped_and_a_rerun_converges(
    seed: int, estate: Callable[..., Estate]
) -> None:
    env = estate(FaultConfig(**FAULTS["every-kind-10%"], retry_after=1, seed=seed))
    plan = plan_of(env.exchange, SPEC)
    after = random.Random(seed).randrange(1, len(plan.changes))
    stop = threading.Event()
    reported: list[ChangeResult] = []

    def progress(result: ChangeResult) -> None:
        reported.append(result)
        if len(reported) == after:
            stop.set()

    result = apply_plan(
        env.exchange, plan, ALLOW_ALL, parallelism=1, stop=stop, on_progress=progress
    )
    env.runs.append((plan, result))
    assert result.interrupted and not result.ok
    assert_every_change_reported(plan, result)
    assert all(r.outcome is Outcome.SKIPPED for r in result.results if r not in reported[:after])
    assert converge(env), "three more runs did not converge"
    assert duplicates(env.emulator) == []
    assert_only_planned_deletions(env)


class StopAtWrite:
    """WSGI middleware: sets ``stop`` when the n-th write reaches the server, then
    records every write that arrives after it."""

    def __init__(self, app: Any, stop: threading.Event, at: int) -> None:
        self.app, self.stop, self.at = app, stop, at
        self.writes = 0
        self.after_stop: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method != "GET" and path != "/o/token/":
            if self.stop.is_set():
                self.after_stop.append(f"{method} {path}")
            self.writes += 1
            if self.writes == self.at:
                self.stop.set()
        return self.app(environ, start_response)


@pytest.mark.parametrize("seed", range(8))
def test_a_stop_during_a_write_lets_it_finish_and_sends_no_other(seed: int, scripted: Any) -> None:
    emulator = create_app(
        db=":memory:", faults=FaultConfig(**FAULTS["every-kind-20%"], retry_after=1, seed=seed)
    )
    stop = threading.Event()
    at = random.Random(seed).randrange(1, 15)
    app = StopAtWrite(emulator, stop, at)
    try:
        with local_exchange(app, sleep=lambda _: None) as exchange:
            plan = plan_of(exchange, SPEC)
            result = apply_plan(exchange, plan, ALLOW_ALL, parallelism=1, stop=stop)
            assert_every_change_reported(plan, result)
            assert result.interrupted
            assert app.after_stop == []
            emulator.faults = FaultConfig()
            for _ in range(3):
                if plan_of(exchange, SPEC).empty:
                    break
                apply_plan(exchange, plan_of(exchange, SPEC), ALLOW_ALL, parallelism=1)
            assert plan_of(exchange, SPEC).empty
            assert duplicates(emulator) == []
    finally:
        emulator.close()


# -- Ctrl-C on the command line ----------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_apply_after_the_call_in_flight_exits_130_and_a_rerun_converges(
    stop_signal: signal.Signals, tmp_path: Path
) -> None:
    spec = tmp_path / "studies.yaml"
    spec.write_text(SPEC_TEXT, encoding="utf-8")
    served = Served(tmp_path / "exchange.db", latency_ms=25)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JHE_")},
        "JHE_URL": served.url,
        "JHE_CLIENT_ID": "manager_mary",
        "JHE_CLIENT_SECRET": "Jhe1234!",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-c",
        "from jhe_sync.cli import main; main()",
        "apply",
        str(spec),
        "--auto-approve",
        "--allow-destroy",
        "--ignore-destroy-threshold",
        "--parallelism",
        "1",
    ]
    try:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 30
            for line in process.stdout:
                lines.append(line)
                if re.search(r"\b(done|failed) +\"", line):  # a progress line
                    process.send_signal(stop_signal)
                    break
                assert time.monotonic() < deadline, "no change was reported in time"
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        lines.append(out)
        assert process.returncode == 130, "".join(lines) + err
        assert "Apply incomplete (interrupted)" in err
        assert re.search(r"\d+ changes? not started: the interrupt came first", err), err
        assert "interrupted before it started" not in out + err
        assert "Traceback" not in err
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        check = subprocess.run(
            [*command[:3], "plan", str(spec), "--detailed-exitcode"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        served.close()
