"""What the figures were measured on: CPUs, memory, Python, and the code's commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    """The machine and code a run measured, for the JSON output and the README."""
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gb": round(_meminfo_kb("MemTotal") / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "worktree_changed": bool(_git("status", "--porcelain", "--", "jhe_sync")),
    }


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all processes, all CPUs).

    The difference over a scenario, less what the scenario's own processes used, is what
    other work on the machine took meanwhile: the noise in that scenario's figures.
    """
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def describe(info: dict[str, Any]) -> str:
    return (
        f"{info['cpus_usable']} CPUs ({info['cpu_model']}), {info['memory_gb']} GB, "
        f"Python {info['python']}, commit {info['commit']}"
        + (" with uncommitted changes to jhe_sync" if info["worktree_changed"] else "")
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_kb(key: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"
