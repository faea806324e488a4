"""The emulator over real HTTP on a free loopback port, in a thread, with latency.

Racing applies must race over sockets, as CI jobs and laptops do: in process, through
``httpx.WSGITransport``, requests of different threads never overlap on the wire.
"""

from __future__ import annotations

import threading
from pathlib import Path

from jhe_sync.emulator import FaultConfig, serve


class Served:
    """``serve()`` over ``db`` until ``close``; ``url`` is where it listens."""

    def __init__(self, db: Path, latency_ms: float = 0) -> None:
        self.stop = threading.Event()
        bound = threading.Event()
        self.url = ""

        def ready(host: str, port: int) -> None:
            self.url = f"http://{host}:{port}"
            bound.set()

        self._thread = threading.Thread(
            target=serve,
            kwargs={
                "port": 0,
                "db": str(db),
                "faults": FaultConfig(latency_ms=latency_ms),
                "ready": ready,
                "stop": self.stop,
            },
            daemon=True,
        )
        self._thread.start()
        assert bound.wait(10), "the emulator did not start"

    def close(self) -> None:
        self.stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the emulator did not stop"
