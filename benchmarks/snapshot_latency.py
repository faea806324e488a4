"""How long a snapshot of a large estate takes over HTTP, against the ideal.

The real server needs four reads per study (scope requests, data sources, clients,
patients), so a snapshot is dominated by per-request latency: with ``parallelism``
requests in flight, the ideal is ``reads / parallelism x latency``. This script serves
the emulator over real HTTP on 127.0.0.1 with added latency, builds an estate of N
studies in Lifespan Lab that each manage all four link sets, and times ``read_live``.

    python benchmarks/snapshot_latency.py                # 200 studies, 20 ms, parallelism 8
    python benchmarks/snapshot_latency.py --studies 50 --latency-ms 20 --parallelism 1 8 16

It is a harness, not a timed test: its figures are in ``benchmarks/README.md``
(parallelism sweep); ``run.py`` measures whole plans and applies.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from jhe_sync.exchange.client import Exchange
from jhe_sync.local import local_exchange
from jhe_sync.snapshot import read_live
from jhe_sync.spec.models import Desired, StudySpec

ORGANIZATION = 20003


def build_estate(db: Path, studies: int) -> Desired:
    """Create ``studies`` studies in the database (in process, no latency) and the spec
    that manages all four link sets of each."""
    from jhe_sync.emulator import create_app

    app = create_app(db=str(db))
    try:
        with local_exchange(app) as exchange:
            for n in range(studies):
                created = exchange.write(
                    "POST",
                    "/api/v1/studies",
                    {
                        "name": f"Bench study {n:04d}",
                        "description": "bench",
                        "organization": ORGANIZATION,
                    },
                ).data["id"]
                exchange.write(
                    "POST", f"/api/v1/studies/{created}/scope_requests", {"scope_code_id": 50002}
                )
                exchange.write(
                    "POST", f"/api/v1/studies/{created}/data_sources", {"data_source_id": 70001}
                )
    finally:
        close = getattr(app, "close", None)
        if close is not None:
            close()
    return Desired(
        studies=[
            StudySpec(
                key=f"bench-{n:04d}",
                name=f"Bench study {n:04d}",
                description="bench",
                organization=ORGANIZATION,
                scope_requests=["omh:blood-pressure:4.0"],
                data_sources=["CareX"],
                clients=[],
                patients=[],
            )
            for n in range(studies)
        ]
    )


def serve_in_thread(
    db: Path, latency_ms: float, stop: threading.Event
) -> tuple[str, threading.Thread]:
    """Serve the emulator over HTTP on a free loopback port until ``stop`` is set."""
    from jhe_sync.emulator import FaultConfig, serve

    bound: list[int] = []
    ready = threading.Event()

    def on_ready(host: str, port: int) -> None:
        bound.append(port)
        ready.set()

    thread = threading.Thread(
        target=serve,
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "db": str(db),
            "faults": FaultConfig(latency_ms=latency_ms),
            "ready": on_ready,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    if not ready.wait(30):
        raise SystemExit("the emulator did not start")
    return f"http://127.0.0.1:{bound[0]}", thread


def serve_in_process(db: Path, latency_ms: float) -> tuple[str, subprocess.Popen[bytes]]:
    """Serve the emulator from another Python process (its CPU work then does not share
    this process's GIL with the client's threads)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import sys; from jhe_sync.emulator import FaultConfig, serve; "
        "serve(host='127.0.0.1', port=int(sys.argv[1]), db=sys.argv[2], "
        "faults=FaultConfig(latency_ms=float(sys.argv[3])))"
    )
    server = subprocess.Popen([sys.executable, "-c", code, str(port), str(db), str(latency_ms)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}", server
        time.sleep(0.05)
    server.kill()
    raise SystemExit("the emulator did not start")


def time_snapshot(url: str, spec: Desired, parallelism: int) -> tuple[float, int]:
    """Seconds for one ``read_live`` and the requests it made (the token included)."""
    from jhe_sync.emulator import SEED_PASSWORD

    with Exchange(url, client_id="manager_mary", client_secret=SEED_PASSWORD) as exchange:
        exchange.get("/api/v1/users/profile")  # the token is fetched outside the timing
        before = exchange.request_count
        started = time.perf_counter()
        live = read_live(exchange, spec, parallelism=parallelism)
        elapsed = time.perf_counter() - started
        assert len(live.links) >= len(spec.studies)
        return elapsed, exchange.request_count - before


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, nargs="+", default=[8])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--server",
        choices=("thread", "process"),
        default="thread",
        help="run the emulator in a thread of this process (default) or in its own process",
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        spec = build_estate(db, options.studies)
        stop = threading.Event()
        if options.server == "thread":
            url, thread = serve_in_thread(db, options.latency_ms, stop)
        else:
            url, process = serve_in_process(db, options.latency_ms)
        print(
            f"{options.studies} studies, {options.latency_ms:g} ms added latency per request, "
            f"over HTTP, emulator in a {options.server}"
        )
        print(
            f"{'parallelism':>11} {'reads':>6} {'ideal s':>8} {'median s':>9} {'best s':>7} {'x ideal':>8}"
        )
        for parallelism in options.parallelism:
            runs = [time_snapshot(url, spec, parallelism) for _ in range(options.repeat)]
            reads = runs[0][1]
            ideal = reads / parallelism * options.latency_ms / 1000
            times = [elapsed for elapsed, _ in runs]
            median = statistics.median(times)
            print(
                f"{parallelism:>11} {reads:>6} {ideal:>8.2f} {median:>9.2f} {min(times):>7.2f} "
                f"{median / ideal:>8.2f}"
            )
        if options.server == "thread":
            stop.set()
            thread.join(10)
        else:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
