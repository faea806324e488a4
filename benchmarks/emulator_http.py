"""Whether the emulator over HTTP can be the bottleneck of a benchmark.

Two measures, both of the emulator alone (no jhe-sync client code in the loop):

1. **Concurrent GETs over HTTP.** ``jhe-sync emulator`` is started as its own process
   (exactly what a user runs) and hammered with GETs by C threads, each with its own
   keep-alive ``httpx.Client``: requests a second, p50 and p95 latency, and how many TCP
   connections the server accepted (one per request means no keep-alive). A mix of the
   reads a plan makes: a study's scope requests, an organization's studies, its patients.
   Beside the wall-clock figures, the CPU the emulator's process spent per request
   (from ``/proc``): on a shared machine the latencies swing with the others' load, the
   CPU per request much less.
2. **A consent read at 100,000 enrollments.** An estate of 1,000 studies x 100 patients
   (the benchmarks' 1000x100: 25,000 patients, 100,000 enrollments, one in two consented)
   is written to a database, and ``GET /patients/{id}/consents`` is timed in process for
   a sample of patients, with the database as the emulator's schema makes it, and again
   with every explicit index dropped (the schema before it had foreign-key indexes).

    python benchmarks/emulator_http.py                       # both, concurrency 1 8 32
    python benchmarks/emulator_http.py --concurrency 8 --requests 4000 --no-consents
    python benchmarks/emulator_http.py --latency-ms 20       # with the emulator's added latency

It is a harness, not a timed test; its figures are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from estate import Shape, estate
from estate_files import write_database
from machine import describe, machine

SECRET = "Jhe1234!"
READS = (
    "/api/v1/studies/30001/scope_requests",
    "/api/v1/organizations/20003/studies",
    "/api/v1/patients?organization_id=20003",
    "/api/v1/organizations",
)
_LISTENING = re.compile(r"on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Emulator:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU the emulator's process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def emulator_process(db: Path, latency_ms: float) -> Iterator[Emulator]:
    """``jhe-sync emulator`` on a free loopback port, as its own process."""
    command = [
        sys.executable,
        "-c",
        "from jhe_sync.cli import main; main()",
        "emulator",
        "--port",
        "0",
        "--db",
        str(db),
        "--latency-ms",
        str(latency_ms),
    ]
    # run from the database's folder: ``-c`` puts the working directory first on the
    # path, and the code measured must be the one this interpreter imports
    process = subprocess.Popen(
        command, cwd=db.parent, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            found = _LISTENING.search(line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise RuntimeError("the emulator did not start")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # drain the banner
        yield Emulator(url, process.pid)
    finally:
        process.terminate()
        process.wait(10)


def _token(url: str) -> str:
    response = httpx.post(
        f"{url}/o/token/",
        data={"grant_type": "client_credentials"},
        auth=("manager_mary", SECRET),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def load(
    emulator: Emulator, concurrency: int, requests: int, *, close: bool = False
) -> dict[str, float]:
    """``requests`` GETs from ``concurrency`` threads; rate, latencies, connections, and
    the emulator's CPU per request. ``close`` asks for a new connection per request."""
    url = emulator.url
    token = _token(url)
    headers = {"Authorization": f"Bearer {token}"} | ({"Connection": "close"} if close else {})
    latencies: list[float] = []
    connections: set[tuple[int, int]] = set()
    lock = threading.Lock()
    per_thread = requests // concurrency
    barrier = threading.Barrier(concurrency + 1)

    def worker(n: int) -> None:
        mine: list[float] = []
        seen: set[tuple[int, int]] = set()
        with httpx.Client(base_url=url, headers=headers) as client:
            barrier.wait()
            for i in range(per_thread):
                started = time.perf_counter()
                with client.stream("GET", READS[(n + i) % len(READS)]) as response:
                    # the client's port tells one connection from another (read it before
                    # the body: a server without keep-alive closes the socket after it)
                    stream = response.extensions.get("network_stream")
                    local = stream.get_extra_info("client_addr") if stream is not None else None
                    if local:
                        seen.add((n, local[1]))
                    response.read()
                    response.raise_for_status()
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            connections.update(seen)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, cpu_before = time.perf_counter(), emulator.cpu_seconds()
    client_cpu_before = time.process_time()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = emulator.cpu_seconds() - cpu_before
    client_cpu = time.process_time() - client_cpu_before
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "connections": len(connections),
        "cpu_ms": 1000 * cpu / len(latencies),
        "client_cpu_ms": 1000 * client_cpu / len(latencies),
    }


def consent_reads(db: Path, sample: int) -> dict[str, float]:
    """Mean ms of ``GET /patients/{id}/consents`` in process, for ``sample`` patients."""
    from jhe_sync.emulator import create_app

    app = create_app(db=str(db))
    try:
        token = app.issue_token("manager_mary")
        conn = sqlite3.connect(db)
        patient_ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM core_patient WHERE id >= 40006 ORDER BY id LIMIT ?", (sample,)
            )
        ]
        conn.close()
        with httpx.Client(
            transport=httpx.WSGITransport(app=app),
            base_url="http://localhost",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            client.get(f"/api/v1/patients/{patient_ids[0]}/consents").raise_for_status()
            timings = []
            for patient_id in patient_ids:
                started = time.perf_counter()
                client.get(f"/api/v1/patients/{patient_id}/consents").raise_for_status()
                timings.append(time.perf_counter() - started)
    finally:
        app.close()
    return {"mean_ms": 1000 * statistics.mean(timings), "p50_ms": 1000 * statistics.median(timings)}


def _drop_explicit_indexes(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        ]
        for name in names:
            conn.execute(f"DROP INDEX {name}")
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=2000, help="GETs per concurrency level")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--sample", type=int, default=200, help="patients whose consents are read")
    parser.add_argument(
        "--compare-close",
        action="store_true",
        help="also each concurrency with a new connection per request",
    )
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--no-consents", action="store_true")
    args = parser.parse_args()
    import jhe_sync

    print(describe(machine()), f"(measuring {Path(jhe_sync.__file__).parent})")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_load:
            db = Path(tmp) / "load.db"
            with emulator_process(db, args.latency_ms) as emulator:
                print(f"\nconcurrent GETs over HTTP ({args.latency_ms:g} ms added latency)")
                print(
                    "| concurrency | requests | req/s | p50 ms | p95 ms | connections "
                    "| emulator CPU ms/request | client CPU ms/request | load average |"
                )
                print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
                runs = [(c, False) for c in args.concurrency]
                runs += [(c, True) for c in args.concurrency if args.compare_close]
                for concurrency, close in runs:
                    load(emulator, concurrency, min(200, args.requests), close=close)  # warm up
                    r = load(emulator, concurrency, args.requests, close=close)
                    label = f"{concurrency}{' (Connection: close)' if close else ''}"
                    print(
                        f"| {label} | {r['requests']} | {r['per_second']:.0f} | "
                        f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['connections']} | "
                        f"{r['cpu_ms']:.2f} | {r['client_cpu_ms']:.2f} | {os.getloadavg()[0]:.1f} |"
                    )
        if not args.no_consents:
            db = Path(tmp) / "estate.db"
            write_database(estate(Shape(1000, 100)), db)
            with_indexes = consent_reads(db, args.sample)
            dropped = _drop_explicit_indexes(db)
            without = consent_reads(db, args.sample)
            print(f"\nconsent read at 100,000 enrollments ({args.sample} patients, in process)")
            print("| database | mean ms | p50 ms |")
            print("|---|---:|---:|")
            print(
                f"| as built ({len(dropped)} explicit indexes) | {with_indexes['mean_ms']:.2f} | "
                f"{with_indexes['p50_ms']:.2f} |"
            )
            print(f"| no explicit index | {without['mean_ms']:.2f} | {without['p50_ms']:.2f} |")


if __name__ == "__main__":
    main()
