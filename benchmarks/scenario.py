"""One scenario, in a process of its own, so that its peak memory is its own.

``run.py`` starts this script once per scenario with a JSON argument and reads one
JSON line back. The emulator runs in ``run.py``'s process (where its request log is
counted), so this process holds only the client: what ``jhe-sync plan`` or ``apply``
would hold. Scenarios:

- ``plan``: load the spec, then read and diff (``workflow.make_plan``);
- ``apply``: the same, then ``apply_plan`` with every destructive change allowed;
- ``naive``: ``naive.read_everything``, the sequential client;
- ``cpu``: ``cpu.measure``, no network.

    python benchmarks/scenario.py '{"kind": "plan", "url": "...", "spec": "...", "parallelism": 8}'
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

CLIENT_ID = "manager_mary"


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux: /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time this process has used (user + system), for the client's own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def planned_calls(plan: Any, chunk: int) -> dict[str, int]:
    """The calls a plan stands for, by method (an enrollment change is one per chunk)."""
    calls: Counter[str] = Counter()
    for change in plan.changes:
        method = change.call().method
        calls[method] += math.ceil(len(change.patients) / chunk) if change.patients else 1
    return dict(sorted(calls.items()))


def run_plan(options: dict[str, Any], apply: bool) -> dict[str, Any]:
    from jhe_sync.apply import ENROLL_CHUNK, apply_plan
    from jhe_sync.emulator import SEED_PASSWORD
    from jhe_sync.local import open_exchange
    from jhe_sync.plan.plan import SafetyPolicy
    from jhe_sync.spec import load_desired
    from jhe_sync.workflow import make_plan

    baseline = rss_mb()
    started = time.perf_counter()
    desired = load_desired([options["spec"]], environ={})
    loaded = time.perf_counter()
    cpu = cpu_seconds()
    parallelism = options["parallelism"]
    with open_exchange(
        url=options["url"], client_id=CLIENT_ID, client_secret=SEED_PASSWORD, environ={}
    ) as exchange:
        plan, snapshot = make_plan(exchange, desired, parallelism)
        planned = time.perf_counter()
        result: dict[str, Any] = {
            "load_s": loaded - started,
            "plan_s": planned - loaded,
            "planned": planned_calls(plan, ENROLL_CHUNK),
            "summary": plan.counts.summary(),
            "client_requests": exchange.request_count,
        }
        if apply:
            policy = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)
            outcome = apply_plan(exchange, plan, policy, parallelism=parallelism, snapshot=snapshot)
            done = time.perf_counter()
            result |= {
                "apply_s": done - planned,
                "apply_ok": outcome.ok,
                "apply_writes": outcome.writes,
                "apply_summary": outcome.summary(),
                "client_requests": exchange.request_count,
            }
    result["run_s"] = time.perf_counter() - loaded
    result["cpu_s"] = cpu_seconds() - cpu
    result["baseline_mb"] = baseline
    return result


def run_naive(options: dict[str, Any]) -> dict[str, Any]:
    from naive import read_everything

    from jhe_sync.emulator import SEED_PASSWORD
    from jhe_sync.spec import load_desired

    desired = load_desired([options["spec"]], environ={})
    wanted = [(str(s.organization), s.name) for s in desired.studies]
    baseline, cpu = rss_mb(), cpu_seconds()
    started = time.perf_counter()
    made = read_everything(options["url"], CLIENT_ID, SEED_PASSWORD, wanted)
    return {
        "run_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "client_requests": made,
        "baseline_mb": baseline,
    }


def run_cpu(options: dict[str, Any]) -> dict[str, Any]:
    from cpu import measure

    baseline = rss_mb()
    figures = measure(options["studies"], options["patients"], repeat=options.get("repeat", 1))
    return figures | {"baseline_mb": baseline}


def main() -> None:
    options = json.loads(sys.argv[1])
    kind = options["kind"]
    if kind in ("plan", "apply"):
        result = run_plan(options, apply=kind == "apply")
    elif kind == "naive":
        result = run_naive(options)
    elif kind == "cpu":
        result = run_cpu(options)
    else:
        raise SystemExit(f"unknown scenario {kind!r}")
    result["peak_mb"] = peak_rss_mb()
    result["process_cpu_s"] = cpu_seconds()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
