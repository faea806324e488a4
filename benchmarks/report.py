"""The results of a run as tables, the issue's targets judged, and deltas to an older run.

Everything here reads the JSON document ``run.py`` writes, so a saved run can be shown
or compared again later without measuring anything.
"""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]

SCENARIO_ORDER = ("plan-matching", "plan-drifted", "apply-drift", "second-apply", "naive")
TARGET_RATIO = 1.3
TARGET_SPEEDUP = 5.0
TARGET_CPU_S = 2.0


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _writes(row: Row) -> str:
    planned = sum(row["planned"].values()) if row.get("planned") is not None else None
    return f"{row['writes']}" if planned is None else f"{row['writes']} / {planned}"


def scenario_table(rows: list[Row]) -> str:
    """One line per scenario: time, requests, the ideal, the server's share, memory."""
    lines = [
        "| estate | latency | scenario | time s | reads | writes / planned | minimal calls "
        "| ideal s | x ideal | x own ideal | client CPU s | emulator CPU s | others' CPU s "
        "| peak MB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in _ordered(rows):
        if row["scenario"] == "naive":
            continue
        lines.append(
            f"| {row['estate']} | {row['latency_ms']:g} ms | {_name(row)} | {_s(row['run_s'])} "
            f"| {row['reads']} | {_writes(row)} | {row['minimal_reads'] + row['minimal_writes']} "
            f"| {_s(row['ideal_s'])} | {_x(row['x_ideal'])} | {_x(row['x_own_ideal'])} "
            f"| {_s(row['client_cpu_s'])} | {_s(row['server_cpu_s'])} "
            f"| {_s(row.get('other_cpu_s'))} | {row['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def _name(row: Row) -> str:
    runs = row.get("runs_s") or []
    return f"{row['scenario']} (best of {len(runs)})" if len(runs) > 1 else row["scenario"]


def naive_table(rows: list[Row]) -> str:
    """The naive sequential client next to jhe-sync's plan of the same matching estate."""
    plans = {_key(r): r for r in rows if r["scenario"] == "plan-matching"}
    lines = [
        "| estate | latency | naive s | its reads | sequential ideal s | x ideal "
        "| jhe-sync plan s | jhe-sync faster by |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in _ordered(rows):
        if row["scenario"] != "naive":
            continue
        plan = plans.get(_key(row))
        speedup = row["run_s"] / plan["run_s"] if plan else None
        lines.append(
            f"| {row['estate']} | {row['latency_ms']:g} ms | {_s(row['run_s'])} | {row['reads']} "
            f"| {_s(row['ideal_s'])} | {_x(row['x_ideal'])} "
            f"| {_s(plan['run_s'] if plan else None)} | {_x(speedup)} |"
        )
    return "\n".join(lines)


def cpu_line(cpu: dict[str, Any]) -> str:
    return (
        f"Pure CPU, {cpu['studies']} studies x {cpu['enrollments'] // max(1, cpu['studies'])} "
        f"enrollments ({cpu['enrollments']} patient references), best of {cpu['repeat']}: "
        f"load + validate {cpu['load_s']:.2f} s + resolve + diff {cpu['diff_s']:.2f} s = "
        f"{cpu['total_s']:.2f} s; diff of the drifted estate {cpu['drifted_diff_s']:.2f} s "
        f"({cpu['drifted_changes']} changes); peak {cpu['peak_mb']:.0f} MB"
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 9: met or not, with the figures that decide it."""
    rows: list[Row] = results["rows"]
    judged = []

    applies = [r for r in rows if r["scenario"] == "apply-drift"]
    off = [r for r in applies if r["writes"] != sum(r["planned"].values())]
    judged.append(
        _target(
            "writes equal the planned calls (apply of the drift)",
            bool(applies) and not off,
            "; ".join(
                f"{r['estate']} @ {r['latency_ms']:g} ms: {r['writes']} writes for "
                f"{sum(r['planned'].values())} planned"
                for r in (off or applies[:1])
            )
            + ("" if off else f" (all {len(applies)} applies equal)"),
        )
    )

    quiet = [r for r in rows if r["scenario"] in ("second-apply", "plan-matching")]
    noisy = [r for r in quiet if r["writes"]]
    judged.append(
        _target(
            "a second apply and a plan of a matching estate make zero writes",
            bool(quiet) and not noisy,
            f"{len(quiet)} runs, {sum(r['writes'] for r in quiet)} writes in all",
        )
    )

    largest = max((r["studies"] for r in rows), default=0)
    plans = [
        r
        for r in rows
        if r["scenario"] == "plan-matching" and r["studies"] == largest and r["latency_ms"] == 20
    ]
    worst = max(plans, key=lambda r: r["x_ideal"] or 0, default=None)
    judged.append(
        _target(
            f"at 20 ms, plan of {largest} studies within {TARGET_RATIO}x of the ideal "
            "for its parallelism",
            worst is not None and worst["x_ideal"] <= TARGET_RATIO,
            "; ".join(
                f"{r['estate']}: {r['run_s']:.2f} s for an ideal of {r['ideal_s']:.2f} s = "
                f"{r['x_ideal']:.2f}x ({r['reads']} reads made, {r['minimal_reads']} needed; "
                f"{r['x_own_ideal']:.2f}x the ideal of the reads made)"
                for r in plans
            ),
        )
    )

    naive = {_key(r): r for r in rows if r["scenario"] == "naive"}
    pairs = [(p, naive[_key(p)]) for p in plans if _key(p) in naive]
    slowest = min(pairs, key=lambda pair: pair[1]["run_s"] / pair[0]["run_s"], default=None)
    judged.append(
        _target(
            f"at 20 ms, plan of {largest} studies at least {TARGET_SPEEDUP:g}x faster than "
            "the naive client",
            slowest is not None and slowest[1]["run_s"] / slowest[0]["run_s"] >= TARGET_SPEEDUP,
            "; ".join(
                f"{p['estate']}: naive {n['run_s']:.2f} s / jhe-sync {p['run_s']:.2f} s = "
                f"{n['run_s'] / p['run_s']:.2f}x"
                for p, n in pairs
            ),
        )
    )

    cpu = results.get("cpu")
    if cpu:
        judged.append(
            _target(
                f"pure CPU for {cpu['studies']} studies under {TARGET_CPU_S:g} s",
                cpu["total_s"] < TARGET_CPU_S,
                f"{cpu['total_s']:.2f} s (load + validate {cpu['load_s']:.2f} s, "
                f"resolve + diff {cpu['diff_s']:.2f} s)",
            )
        )
    return judged


def _target(name: str, met: bool, figures: str) -> dict[str, Any]:
    return {"target": name, "met": met, "figures": figures}


def targets_text(judged: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"- {'MET   ' if t['met'] else 'MISSED'} {t['target']}: {t['figures']}" for t in judged
    )


def checks_text(rows: list[Row]) -> str:
    """The correctness checks of every scenario that failed, or a line saying all passed."""
    failed = [
        f"- {r['estate']} @ {r['latency_ms']:g} ms {r['scenario']}: {name}: {detail}"
        for r in _ordered(rows)
        for name, (ok, detail) in r["checks"].items()
        if not ok
    ]
    total = sum(len(r["checks"]) for r in rows)
    return "\n".join(failed) if failed else f"All {total} checks passed."


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Per scenario: time, requests and peak memory, old -> new, with the change."""
    before = {(*_key(r), r["scenario"]): r for r in old.get("rows", [])}
    lines = [
        f"Compared with {old.get('machine', {}).get('commit', '?')} ({old.get('finished', '?')}):",
        "| estate | latency | scenario | time s | change | requests | peak MB |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in _ordered(new["rows"]):
        was = before.get((*_key(row), row["scenario"]))
        if was is None:
            continue
        lines.append(
            f"| {row['estate']} | {row['latency_ms']:g} ms | {row['scenario']} "
            f"| {was['run_s']:.2f} -> {row['run_s']:.2f} | {_percent(was['run_s'], row['run_s'])} "
            f"| {_total(was)} -> {_total(row)} | {was['peak_mb']:.0f} -> {row['peak_mb']:.0f} |"
        )
    if old.get("cpu") and new.get("cpu"):
        a, b = old["cpu"]["total_s"], new["cpu"]["total_s"]
        lines.append(f"\nPure CPU: {a:.2f} s -> {b:.2f} s ({_percent(a, b)})")
    return "\n".join(lines)


def _total(row: Row) -> int:
    return int(row["reads"] + row["writes"])


def _percent(old: float, new: float) -> str:
    return "-" if not old else f"{(new - old) / old * 100:+.0f}%"


def _key(row: Row) -> tuple[str, float]:
    return (row["estate"], row["latency_ms"])


def _ordered(rows: list[Row]) -> list[Row]:
    return sorted(
        rows,
        key=lambda r: (
            r["studies"],
            r["patients"],
            r["latency_ms"],
            SCENARIO_ORDER.index(r["scenario"]),
        ),
    )
