"""The emulator over real HTTP on 127.0.0.1, in a thread, with its request log at hand.

``jhe_sync.emulator.serve`` builds its app inside and does not hand it out, and the
request log lives on the app; so this builds the same server from the emulator's own
pieces (its threaded WSGI server and request handler, the ones ``serve`` uses) around
an app made here.

The emulator runs in one Python process: its reads run side by side (a file database in
WAL mode) but share one interpreter lock, so the CPU time it spends is a floor that no
client parallelism can go under; ``run.py`` measures it as this process's CPU time
while a client runs.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import make_server

from jhe_sync.emulator import EmulatorApp, FaultConfig, create_app

# The server classes ``serve`` itself uses: same HTTP behaviour, over an app we hold.
from jhe_sync.emulator.server import _RequestHandler, _ThreadingWSGIServer

TOKEN_PATH = "/o/token/"
_ID = re.compile(r"/\d+(?=/|$)")
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class Served:
    """A running emulator: where it listens, and its app (with its request log)."""

    url: str
    app: EmulatorApp

    def mark(self) -> int:
        """A position in the request log, to count what comes after it."""
        return len(self.app.request_log)

    def endpoints_since(self, mark: int) -> dict[str, int]:
        """Requests by method and path with ids as ``{id}``, most frequent first."""
        counts = Counter(
            f"{record.method} {_ID.sub('/{id}', record.path)}"
            for record in self.app.request_log[mark:]
        )
        return dict(counts.most_common())

    def requests_since(self, mark: int) -> dict[str, int]:
        """Requests by method since ``mark``; the token requests apart as ``token``."""
        counts: Counter[str] = Counter()
        for record in self.app.request_log[mark:]:
            counts["token" if record.path == TOKEN_PATH else record.method] += 1
        return dict(sorted(counts.items()))


@contextlib.contextmanager
def serving(db: Path, latency_ms: float) -> Iterator[Served]:
    """Serve the emulator over ``db`` on a free loopback port until the block ends."""
    app = create_app(db=str(db), faults=FaultConfig(latency_ms=latency_ms))
    try:
        server = make_server(
            "127.0.0.1",
            0,
            app,
            server_class=_ThreadingWSGIServer,
            handler_class=_RequestHandler,
        )
    except BaseException:
        app.close()
        raise
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)
        app.close()
