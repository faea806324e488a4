"""``jhe-sync validate`` side by side with a bare libyaml parse of the same files.

Writes the spec of a benchmark estate (``estate_files.write_specs``: a templates file
and files of 50 entries that ``use:`` a template and list their patients by email) to
a temporary folder, then measures, each in a fresh process so that its peak memory is
its own:

- bare: ``yaml.load`` of every file with PyYAML's ``CSafeLoader`` (libyaml), no checks;
- validate: ``load_desired`` of the folder, which is what ``jhe-sync validate`` runs
  (safe loading, templates, validation, cross-study checks, the digest);
- cli: the ``jhe-sync validate`` command itself (interpreter start and imports included).

Rounds alternate bare and validate, so a busy machine slows both alike; the best of
the rounds is reported, with the ratio of the two. Peak memory is the process's peak
RSS (``ru_maxrss``: interpreter and imports included, shown apart) and, from a run of
its own, the peak of Python allocations during the work (``tracemalloc``).

    PYTHONPATH=. python benchmarks/spec_validate.py [--studies 5000] [--patients 50] [--repeat 5]
    PYTHONPATH=. python benchmarks/spec_validate.py --shapes [--studies 1000]

``--shapes`` times instead two templated shapes of the same size (entries that each
``use:`` a template with ``for_each`` of their own, and one entry stamped over sites x
cohorts). Not a test: figures vary by machine; benchmarks/README.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SITES = ("Lifespan Lab", "Saturn School of Data Science", "Planetary Research Institute")

# -- side by side --------------------------------------------------------------------


def child(kind: str, folder: Path, trace: bool) -> dict[str, Any]:
    """One measurement in this process: seconds, RSS after imports, peak RSS, and (with
    ``trace``) the tracemalloc peak of a second, untimed run."""
    import resource
    import tracemalloc

    import yaml

    from jhe_sync.spec import load_desired

    def work() -> None:
        if kind == "bare":
            for path in _spec_files(folder):
                yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        else:
            load_desired([folder], environ={})

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = None
    if trace:
        tracemalloc.start()
        work()
        traced = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "traced_mb": traced,
    }


def _spec_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def _run_child(kind: str, folder: Path, trace: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), str(HERE)])}
    command = [sys.executable, str(Path(__file__)), "--child", kind, str(folder)]
    answer = subprocess.run(
        [*command, *(["--trace"] if trace else [])],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(answer.stdout))


def _run_cli(folder: Path) -> dict[str, Any]:
    """The command as a user runs it: wall time and peak RSS of its process."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    code = "import sys; from jhe_sync.cli import main; sys.argv[0] = 'jhe-sync'; main()"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, "validate", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    if status != 0:
        raise SystemExit(
            f"jhe-sync validate failed: {process.stderr.read() if process.stderr else ''}"
        )
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": usage.ru_maxrss / 1024}


def side_by_side(studies: int, patients: int, rounds: int) -> dict[str, Any]:
    """Best-of-``rounds`` figures for bare, validate and cli on one estate's spec."""
    from estate import Shape, estate
    from estate_files import write_specs

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_specs(estate(Shape(studies, patients)), folder)
        files = _spec_files(folder)
        size_mb = sum(p.stat().st_size for p in files) / 1024 / 1024
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "validate": [], "cli": []}
        for round_ in range(rounds):
            for kind in ("bare", "validate"):
                runs[kind].append(_run_child(kind, folder, trace=round_ == 0))
            runs["cli"].append(_run_cli(folder))
    best = {kind: min(r["seconds"] for r in found) for kind, found in runs.items()}
    cpu = {kind: min(r["cpu_seconds"] for r in found) for kind, found in runs.items()}
    return {
        "studies": studies,
        "references": studies * patients,
        "files": len(files),
        "size_mb": size_mb,
        "rounds": rounds,
        "seconds": best,
        "median_seconds": {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()},
        "cpu_seconds": cpu,
        "ratio": best["validate"] / best["bare"],
        "cpu_ratio": cpu["validate"] / cpu["bare"],
        "peak_rss_mb": {k: max(r["peak_rss_mb"] for r in v) for k, v in runs.items()},
        "rss_after_imports_mb": {
            k: min(r["rss_before_mb"] for r in runs[k]) for k in ("bare", "validate")
        },
        "traced_mb": {k: runs[k][0]["traced_mb"] for k in ("bare", "validate")},
    }


def show(figures: dict[str, Any]) -> str:
    s, m, rss = figures["seconds"], figures["median_seconds"], figures["peak_rss_mb"]
    cpu = figures["cpu_seconds"]
    imports, traced = figures["rss_after_imports_mb"], figures["traced_mb"]
    return "\n".join(
        [
            f"{figures['studies']} studies, {figures['references']} patient references, "
            f"{figures['files']} files, {figures['size_mb']:.1f} MB; best of {figures['rounds']} rounds",
            "| run | best s | median s | best CPU s | peak RSS MB | RSS after imports MB "
            "| tracemalloc peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| bare CSafeLoader parse | {s['bare']:.2f} | {m['bare']:.2f} | {cpu['bare']:.2f} "
            f"| {rss['bare']:.0f} | {imports['bare']:.0f} | {traced['bare']:.0f} |",
            f"| load_desired (validate) | {s['validate']:.2f} | {m['validate']:.2f} "
            f"| {cpu['validate']:.2f} | {rss['validate']:.0f} | {imports['validate']:.0f} "
            f"| {traced['validate']:.0f} |",
            f"| jhe-sync validate (whole command) | {s['cli']:.2f} | {m['cli']:.2f} "
            f"| {cpu['cli']:.2f} | {rss['cli']:.0f} | | |",
            f"validate / bare parse: {figures['ratio']:.2f}x wall, {figures['cpu_ratio']:.2f}x CPU",
        ]
    )


# -- templated shapes ----------------------------------------------------------------

TEMPLATES = """\
version: 1
templates:
  bp-monitoring:
    description: Remote blood pressure monitoring at ${site}, cohort ${cohort}.
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    data_sources: [CareX, iHealth]
    clients: [CareX]
  glucose:
    description: Continuous glucose monitoring at ${site}, cohort ${cohort}.
    scope_requests: [omh:blood-glucose:4.0]
    data_sources: [Dexcom]
"""


def write_entries(folder: Path, studies: int, per_file: int = 50) -> None:
    """One file per block of ``per_file`` studies, each study an entry using a template."""
    (folder / "templates.yaml").write_text(TEMPLATES)
    for start in range(0, studies, per_file):
        site = SITES[(start // per_file) % len(SITES)]
        lines = ["version: 1", "vars:", f"  site: {site}", "studies:"]
        for number in range(start, min(start + per_file, studies)):
            template = "bp-monitoring" if number % 2 else "glucose"
            lines += [
                f"  - use: {template}",
                f"    name: Cohort {number} at ${{site}}",
                f"    key: cohort-{number}",
                "    organization: ${site}",
                "    for_each: {cohort: [" + str(number) + "]}",
                "    patients:",
                f"      - patient_{number}@example.com",
                f"      - identifier: {{system: 'urn:oid:1.2.3.4', value: E{number}}}",
            ]
        (folder / f"site-{start // per_file:03d}.yaml").write_text("\n".join(lines) + "\n")


def write_for_each(folder: Path, studies: int) -> None:
    """One entry stamped over sites x cohorts (at least ``studies`` of them)."""
    cohorts = -(-studies // len(SITES))
    (folder / "templates.yaml").write_text(TEMPLATES)
    (folder / "studies.yaml").write_text(
        "version: 1\n"
        "studies:\n"
        "  - use: bp-monitoring\n"
        "    for_each:\n"
        f"      site: [{', '.join(SITES)}]\n"
        f"      cohort: [{', '.join(str(n) for n in range(cohorts))}]\n"
        "    name: BP cohort ${cohort} at ${site}\n"
        "    organization: ${site}\n"
    )


def time_shapes(studies: int, repeat: int) -> None:
    from jhe_sync.spec import load_desired

    for shape, write in (("entries", write_entries), ("for_each", write_for_each)):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write(folder, studies)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                count = len(load_desired([folder], environ={}).studies)
                times.append(time.perf_counter() - started)
        print(
            f"{shape:9} {count} studies in {len(_spec_files(folder))} files: "
            f"best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
            f"({repeat} runs)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=None)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--shapes", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, folder = options.child
        print(json.dumps(child(kind, Path(folder), options.trace)))
    elif options.shapes:
        time_shapes(options.studies or 1000, options.repeat)
    else:
        figures = side_by_side(options.studies or 5000, options.patients, options.repeat)
        print(json.dumps(figures, indent=2) if options.json else show(figures))


if __name__ == "__main__":
    main()
