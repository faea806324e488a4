"""The benchmark harness: what a plan and an apply cost as the estate grows (issue 9).

    python benchmarks/run.py                  # full: about 12 minutes on 2 cores
    python benchmarks/run.py --quick          # 100 studies x 10 patients, 0 and 20 ms
    python benchmarks/run.py --compare benchmarks/baseline.json

For each estate (``estate.py``) and added latency, against the emulator over real HTTP
on 127.0.0.1 (``served.py``; a fresh copy of the database per scenario):

- ``plan-matching``: plan of a spec the exchange already matches;
- ``plan-drifted``: plan after hand edits to about 6% of the studies;
- ``apply-drift``: apply of that drift (plan, then the writes);
- ``second-apply``: the same apply again, on the exchange the first one left;
- ``naive``: the same reads as ``plan-matching`` by a sequential httpx loop (``naive.py``).

Each runs in a process of its own (``scenario.py``: its peak memory is the client's
alone) while the emulator runs here and counts requests by method in its own log.
Side by side: the ideal (``ideal.py``: fewest calls / parallelism x latency), and
checks that the plan found exactly the drift. Then pure CPU (``cpu.py``). Results
go to a JSON file that ``--compare`` reads back. Not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import ideal
import report
from estate import Drift, Estate, Shape, drift, estate
from estate_files import write_database, write_specs
from machine import busy_cpu_seconds, describe, machine
from served import WRITE_METHODS, Served, serving

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "results.json"
CHILD_TIMEOUT_S = 900
RESULTS_FORMAT = 1


@dataclass(frozen=True)
class Config:
    """Which estates, latencies and sizes a run measures."""

    name: str
    shapes: tuple[Shape, ...]
    latencies_ms: tuple[float, ...]
    naive_latencies_ms: tuple[float, ...]
    """Latencies at which the naive client runs (for every estate)."""
    best_of: int = 2
    best_of_latency_ms: float = 20
    """``plan-matching`` at this latency (what the targets judge) is run ``best_of``
    times and the fastest kept: the machine may be busy with other work."""
    cpu_studies: int = 5000
    cpu_patients: int = 50
    cpu_repeat: int = 2


FULL = Config(
    "full",
    (Shape(100, 10), Shape(100, 100), Shape(1000, 10), Shape(1000, 100)),
    (0, 5, 20),
    (0, 20),
    cpu_repeat=2,
)
QUICK = Config("quick", (Shape(100, 10),), (0, 20), (0, 20), cpu_repeat=1)


@dataclass(frozen=True)
class Prepared:
    """An estate written out: its spec folder, and databases matching it and drifted."""

    spec: Estate
    drift: Drift
    spec_dir: Path
    matching_db: Path
    drifted_db: Path


def narrowed(config: Config, options: argparse.Namespace) -> Config:
    """The config limited by ``--estates``, ``--latencies`` and ``--no-cpu``."""
    shapes = config.shapes
    if options.estates:
        shapes = tuple(Shape(*map(int, label.split("x"))) for label in options.estates)
    latencies = tuple(options.latencies) if options.latencies else config.latencies_ms
    custom = shapes != config.shapes or latencies != config.latencies_ms or options.no_cpu
    return replace(
        config,
        name=f"{config.name} (narrowed)" if custom else config.name,
        shapes=shapes,
        latencies_ms=latencies,
        cpu_repeat=0 if options.no_cpu else config.cpu_repeat,
    )


def prepare(shape: Shape, work: Path) -> Prepared:
    folder = work / shape.label
    spec = estate(shape)
    drifted = drift(spec)
    write_specs(spec, folder / "spec")
    write_database(spec, folder / "matching.db")
    write_database(drifted.live, folder / "drifted.db")
    return Prepared(spec, drifted, folder / "spec", folder / "matching.db", folder / "drifted.db")


def child(options: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario in a process of its own; its JSON answer."""
    done = subprocess.run(
        [sys.executable, str(HERE / "scenario.py"), json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        cwd=HERE,
    )
    if done.returncode != 0:
        raise SystemExit(f"scenario {options['kind']} failed:\n{done.stderr[-4000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def fresh_copy(db: Path, work: Path) -> Path:
    """A copy of ``db`` to run one scenario on (the original stays as generated)."""
    copy = work / "scenario.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(db, copy)
    return copy


@dataclass(frozen=True)
class Measured:
    """One scenario's answer from its process, and what the emulator saw meanwhile."""

    answer: dict[str, Any]
    requests: dict[str, int]
    """By method; the token requests apart as ``token``."""
    endpoints: dict[str, int]
    server_cpu_s: float
    """The emulator's CPU time (this process does nothing else meanwhile: it waits)."""
    other_cpu_s: float
    """CPU time other processes of the machine used meanwhile (noise)."""


def measured(served: Served, options: dict[str, Any]) -> Measured:
    """Run a scenario against ``served``, counting at the emulator."""
    mark, cpu, busy = served.mark(), time.process_time(), busy_cpu_seconds()
    answer = child({**options, "url": served.url})
    server_cpu = time.process_time() - cpu
    others = busy_cpu_seconds() - busy - server_cpu - answer["process_cpu_s"]
    return Measured(
        answer,
        served.requests_since(mark),
        served.endpoints_since(mark),
        server_cpu,
        max(0.0, others),
    )


def run_estate(
    prepared: Prepared, latency: float, config: Config, parallelism: int, work: Path
) -> Iterator[dict[str, Any]]:
    """The scenarios of one estate at one latency, as result rows."""
    spec, drifted = prepared.spec, prepared.drift
    plan = {"kind": "plan", "spec": str(prepared.spec_dir), "parallelism": parallelism}
    apply = {**plan, "kind": "apply"}
    row = _Rows(prepared, latency, parallelism)

    with serving(fresh_copy(prepared.matching_db, work), latency) as served:
        times = config.best_of if latency == config.best_of_latency_ms else 1
        runs = [measured(served, plan) for _ in range(max(1, times))]
        fastest = min(runs, key=lambda run: run.answer["run_s"])
        result = row.build("plan-matching", fastest, ideal.matching_plan(spec), {})
        yield result | {"runs_s": [run.answer["run_s"] for run in runs]}
    with serving(fresh_copy(prepared.drifted_db, work), latency) as served:
        minimal = ideal.drifted_plan(spec, drifted)
        yield row.build("plan-drifted", measured(served, plan), minimal, drifted.expected_writes)
    with serving(fresh_copy(prepared.drifted_db, work), latency) as served:
        minimal = ideal.drift_apply(spec, drifted)
        yield row.build("apply-drift", measured(served, apply), minimal, drifted.expected_writes)
        yield row.build("second-apply", measured(served, apply), ideal.matching_plan(spec), {})
    if latency in config.naive_latencies_ms:
        with serving(fresh_copy(prepared.matching_db, work), latency) as served:
            naive = {"kind": "naive", "spec": str(prepared.spec_dir)}
            minimal = ideal.matching_plan(spec)
            yield row.build("naive", measured(served, naive), minimal, None, parallelism=1)


@dataclass(frozen=True)
class _Rows:
    prepared: Prepared
    latency: float
    parallelism: int

    def build(
        self,
        scenario: str,
        measurement: Measured,
        minimal: ideal.Minimal,
        expected: dict[str, int] | None,
        parallelism: int | None = None,
    ) -> dict[str, Any]:
        """One result row, with the ideal beside it and the checks of what it did."""
        width = parallelism or self.parallelism
        answer, requests = measurement.answer, measurement.requests
        reads = requests.get("GET", 0)
        writes = sum(requests.get(method, 0) for method in WRITE_METHODS)
        ideal_s = minimal.seconds(width, self.latency)
        own_ideal_s = (reads + writes) / width * self.latency / 1000
        shape = self.prepared.spec.shape
        result = {
            "estate": shape.label,
            "studies": shape.studies,
            "patients": shape.patients_per_study,
            "latency_ms": self.latency,
            "scenario": scenario,
            "parallelism": width,
            "run_s": answer["run_s"],
            "load_s": answer.get("load_s"),
            "plan_s": answer.get("plan_s"),
            "apply_s": answer.get("apply_s"),
            "requests": requests,
            "reads": reads,
            "writes": writes,
            "planned": answer.get("planned"),
            "minimal_reads": minimal.reads,
            "minimal_writes": minimal.writes,
            "ideal_s": ideal_s,
            "x_ideal": answer["run_s"] / ideal_s if ideal_s else None,
            "x_own_ideal": answer["run_s"] / own_ideal_s if own_ideal_s else None,
            "client_cpu_s": answer["cpu_s"],
            "server_cpu_s": measurement.server_cpu_s,
            "other_cpu_s": measurement.other_cpu_s,
            "endpoints": measurement.endpoints,
            "peak_mb": answer["peak_mb"],
            "baseline_mb": answer["baseline_mb"],
            "summary": answer.get("apply_summary") or answer.get("summary"),
        }
        result["checks"] = _checks(result, answer, expected)
        return result


def _checks(
    row: dict[str, Any], answer: dict[str, Any], expected: dict[str, int] | None
) -> dict[str, tuple[bool, str]]:
    """Did the scenario do exactly what it should? (name -> (passed, detail))"""
    checks: dict[str, tuple[bool, str]] = {}
    if expected is not None:
        planned = answer["planned"]
        checks["plan finds exactly the drift"] = (
            planned == expected,
            f"planned {planned}, drift {expected}",
        )
    if row["scenario"] in ("plan-matching", "plan-drifted", "naive", "second-apply"):
        checks["no writes"] = (row["writes"] == 0, f"{row['writes']} writes")
    if row["scenario"] == "apply-drift":
        planned = sum(answer["planned"].values())
        checks["writes == planned calls"] = (
            row["writes"] == planned and answer["apply_writes"] == planned,
            f"{row['writes']} at the emulator, {answer['apply_writes']} by apply, {planned} planned",
        )
        checks["apply complete"] = (answer["apply_ok"], answer["apply_summary"])
    counted = row["reads"] + row["writes"] + row["requests"].get("token", 0)
    checks["client and emulator count alike"] = (
        counted == answer["client_requests"],
        f"client {answer['client_requests']}, emulator {counted}",
    )
    return checks


def run(config: Config, parallelism: int, work: Path, progress: bool = True) -> dict[str, Any]:
    """Measure everything ``config`` names; the results document."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    estates = {}
    for shape in config.shapes:
        prepared = prepare(shape, work)
        estates[shape.label] = {
            "studies": shape.studies,
            "patients_per_study": shape.patients_per_study,
            "patients": len(prepared.spec.patients),
            "enrollments": sum(len(s.patient_ids) for s in prepared.spec.studies),
            "drifted_studies": len(prepared.drift.kinds),
            "drift_writes": prepared.drift.expected_writes,
            "drift_consent_reads": prepared.drift.consent_reads,
        }
        for latency in config.latencies_ms:
            for row in run_estate(prepared, latency, config, parallelism, work):
                rows.append(row)
                if progress:
                    print(
                        f"  {row['estate']:>8} {latency:>4g} ms {row['scenario']:<14} "
                        f"{row['run_s']:7.2f} s  {row['reads']:>5} reads {row['writes']:>4} writes"
                        f"  ({time.monotonic() - started:.0f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
    cpu = None
    if config.cpu_repeat:
        cpu = child(
            {
                "kind": "cpu",
                "studies": config.cpu_studies,
                "patients": config.cpu_patients,
                "repeat": config.cpu_repeat,
            }
        )
    results = {
        "format": RESULTS_FORMAT,
        "config": {**asdict(config), "parallelism": parallelism},
        "machine": machine(),
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": time.monotonic() - started,
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "estates": estates,
        "rows": rows,
        "cpu": cpu,
    }
    results["targets"] = report.targets(results)
    return results


def show(results: dict[str, Any]) -> str:
    return "\n\n".join(
        [
            f"Machine: {describe(results['machine'])}; parallelism {results['config']['parallelism']}; "
            f"{results['config']['name']} run, {results['elapsed_s']:.0f} s, {results['finished']}; "
            f"load average {results['load_average']['before']:.1f} before, "
            f"{results['load_average']['after']:.1f} after",
            report.scenario_table(results["rows"]),
            report.naive_table(results["rows"]),
            report.cpu_line(results["cpu"]) if results["cpu"] else "Pure CPU: not run.",
            "Checks: " + report.checks_text(results["rows"]),
            "Targets (issue 9):\n" + report.targets_text(results["targets"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="100 studies x 10 patients, 0 and 20 ms"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    parser.add_argument("--compare", type=Path, help="a results JSON of an earlier run")
    parser.add_argument("--parallelism", type=int, default=8, help="as jhe-sync --parallelism")
    parser.add_argument(
        "--estates", nargs="+", metavar="NxP", help="only these estates (e.g. 1000x100)"
    )
    parser.add_argument(
        "--latencies", nargs="+", type=float, metavar="MS", help="only these latencies"
    )
    parser.add_argument("--no-cpu", action="store_true", help="leave out the pure CPU run")
    parser.add_argument("--show", type=Path, help="print a saved results JSON and stop")
    options = parser.parse_args()

    if options.show:
        print(show(json.loads(options.show.read_text())))
        return
    config = narrowed(QUICK if options.quick else FULL, options)
    with tempfile.TemporaryDirectory(prefix="jhe-sync-bench-") as work:
        results = run(config, options.parallelism, Path(work))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=1) + "\n")
    print(show(results))
    print(f"\nResults: {options.out}")
    if options.compare:
        print("\n" + report.compare(json.loads(options.compare.read_text()), results))


if __name__ == "__main__":
    main()
