"""Racing applies of one spec, or of one saved plan, over HTTP with latency: each ends
with exit 0 or a short error, no study exists twice, and one more apply at most brings
a clean plan. Threads race through the library, processes through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apply.helpers import DEFAULT
from apply.served import Served
from jhe_sync.apply import apply_plan, check_fresh
from jhe_sync.emulator import SEED_PASSWORD
from jhe_sync.errors import EXIT_ERROR, EXIT_OK, EXIT_REFUSED, JheSyncError
from jhe_sync.exchange.client import Exchange
from jhe_sync.local import open_exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.serialize import load_plan, save_plan
from jhe_sync.snapshot import read_live
from jhe_sync.spec import load_desired

RACERS = 3
LATENCY_MS = 100
NAMES = [f"Race Study {n}" for n in range(10)]
"""Ten studies, as in the report of issue 14 (three runs, 150 ms latency, each study
three times); processes race on the first four (each pays its start-up)."""


def _spec_text(names: list[str]) -> str:
    return "version: 1\nstudies:\n" + "".join(
        f"""  - key: race-{n}
    name: {name}
    description: Study {n}, applied by racing jobs.
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    data_sources: [iHealth, CareX]
    patients: [ll_patient_peter@example.com, ll_patient_pamela@example.com]
"""
        for n, name in enumerate(names)
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "exchange.db", latency_ms=LATENCY_MS)
    yield server
    server.close()


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "race.yaml"
    path.write_text(_spec_text(NAMES), encoding="utf-8")
    return path


@pytest.fixture
def small_spec(tmp_path: Path) -> Path:
    path = tmp_path / "race.yaml"
    path.write_text(_spec_text(NAMES[:4]), encoding="utf-8")
    return path


def _connect(url: str) -> Exchange:
    return open_exchange(url=url, client_id="manager_mary", client_secret=SEED_PASSWORD)


def _plan(exchange: Exchange, spec: Path) -> Plan:
    desired = load_desired([str(spec)], {}, [], environ={})
    return build_plan(desired, read_live(exchange, desired))


def _race(*runs: Callable[[], tuple[int, str]]) -> list[tuple[int, str]]:
    """Run each at once (a barrier lets them go together) and collect (exit code, message)."""
    start = threading.Barrier(len(runs))
    outcomes: list[tuple[int, str]] = [(-1, "did not finish")] * len(runs)

    def go(index: int, run: Callable[[], tuple[int, str]]) -> None:
        start.wait(10)
        try:
            outcomes[index] = run()
        except JheSyncError as error:
            outcomes[index] = (error.exit_code, str(error))

    threads = [threading.Thread(target=go, args=item) for item in enumerate(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _converged(url: str, spec: Path, names: list[str] = NAMES) -> None:
    """No study twice, and one more apply at most leaves a clean plan."""
    with _connect(url) as exchange:
        listed = exchange.get("/api/v1/organizations/20003/studies")
        counted = Counter(s["name"] for s in listed if s["name"] in NAMES)
        assert counted == Counter(names), f"duplicates or missing: {counted}"
        plan = _plan(exchange, spec)
        if not plan.empty:
            assert apply_plan(exchange, plan, DEFAULT).ok
            plan = _plan(exchange, spec)
        assert plan.empty, plan.counts.summary()


def _clean(outcomes: list[tuple[int, str]]) -> None:
    """Each run succeeded, or stopped with jhe-sync's own error (a refusal, a partial
    apply), never a crash."""
    for code, message in outcomes:
        assert code in (EXIT_OK, EXIT_ERROR, EXIT_REFUSED), message
        assert "Traceback" not in message and "unexpected" not in message, message


def test_racing_threads_applying_one_spec_leave_each_study_once(served: Served, spec: Path) -> None:
    def run() -> tuple[int, str]:
        with _connect(served.url) as exchange:
            result = apply_plan(exchange, _plan(exchange, spec), DEFAULT)
            error = result.error()
            return (EXIT_OK, result.summary()) if error is None else (EXIT_ERROR, str(error))

    outcomes = _race(*[run] * RACERS)
    assert [code for code, _ in outcomes] == [EXIT_OK] * RACERS, outcomes
    _converged(served.url, spec)


def test_racing_threads_applying_one_saved_plan_leave_each_study_once(
    served: Served, spec: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    with _connect(served.url) as exchange, saved.open("w", encoding="utf-8") as out:
        save_plan(_plan(exchange, spec), out)

    def run() -> tuple[int, str]:
        with _connect(served.url) as exchange, saved.open(encoding="utf-8") as stream:
            plan = load_plan(stream)
            check_fresh(exchange, plan)
            result = apply_plan(exchange, plan, DEFAULT)
            error = result.error()
            return (EXIT_OK, result.summary()) if error is None else (EXIT_ERROR, str(error))

    outcomes = _race(*[run] * RACERS)
    _clean(outcomes)
    assert EXIT_OK in [code for code, _ in outcomes], outcomes
    _converged(served.url, spec)


def _cli(url: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JHE_")},
        "JHE_URL": url,
        "JHE_CLIENT_ID": "manager_mary",
        "JHE_CLIENT_SECRET": SEED_PASSWORD,
    }
    command = [sys.executable, "-c", "from jhe_sync.cli import main; main()", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _processes(*processes: subprocess.Popen[str]) -> list[tuple[int, str]]:
    outcomes = []
    for process in processes:
        _, err = process.communicate(timeout=180)
        outcomes.append((process.returncode, err.strip()))
    return outcomes


@pytest.mark.slow
def test_racing_processes_applying_one_spec_leave_each_study_once(
    served: Served, small_spec: Path
) -> None:
    outcomes = _processes(
        *[_cli(served.url, "apply", str(small_spec), "--auto-approve") for _ in range(RACERS)]
    )
    _clean(outcomes)
    assert EXIT_OK in [code for code, _ in outcomes], outcomes
    _converged(served.url, small_spec, NAMES[:4])


@pytest.mark.slow
def test_racing_processes_applying_one_saved_plan_leave_each_study_once(
    served: Served, small_spec: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    made = _cli(served.url, "plan", str(small_spec), "--out", str(saved))
    assert _processes(made)[0][0] == EXIT_OK
    outcomes = _processes(
        *[_cli(served.url, "apply", "--plan", str(saved), "--auto-approve") for _ in range(RACERS)]
    )
    _clean(outcomes)
    assert EXIT_OK in [code for code, _ in outcomes], outcomes
    _converged(served.url, small_spec, NAMES[:4])
