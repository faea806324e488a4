"""``serve()``: the emulator over real HTTP, on the standard library's threaded WSGI server.

Made so that the emulator is not the bottleneck of a benchmark: HTTP/1.1 with keep-alive
(a client's connection is reused, request after request), ``TCP_NODELAY`` and each
answer written in one piece (no Nagle stall waiting for a delayed ACK between the
headers and the body), and a thread per connection, which the database lets run
side by side where SQLite allows it (``db.Database``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import IO, cast
from urllib.parse import urlsplit
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from jhe_sync.emulator.app import create_app
from jhe_sync.emulator.faults import DroppedConnection, FaultConfig

logger = logging.getLogger("jhe_sync.emulator.server")

IDLE_CONNECTION_SECONDS = 60
"""A kept-alive connection with no request for this long is closed (its thread ends)."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _ServerHandler(ServerHandler):
    http_version = "1.1"

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DroppedConnection):
            raise  # up to _RequestHandler.handle, which drops the connection
        super().handle_error()

    def close(self) -> None:
        if getattr(self, "status", None) is None:  # nothing was answered: nothing to log
            SimpleHandler.close(self)
        else:
            super().close()


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's handler, serving every request of a kept-alive connection; a
    DroppedConnection closes the socket without an answer."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS
    wbufsize = io.DEFAULT_BUFFER_SIZE  # the status line, headers and body in one send

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        self.close_connection = True
        self._handle_one()
        while not self.close_connection:
            self._handle_one()

    def _handle_one(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile,
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        try:
            handler.run(self.server.get_app())  # type: ignore[attr-defined]
            self.wfile.flush()
        except DroppedConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # method and path only: query strings can hold patients' emails
        logger.debug("%s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("http server: %s %s", self.command, urlsplit(getattr(self, "path", "")).path)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    db: str = ":memory:",
    faults: FaultConfig | None = None,
    ready: Callable[[str, int], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve an emulator on ``host:port`` until interrupted (or until ``stop`` is set).

    Binds only where told, 127.0.0.1 by default. ``port=0`` picks a free port;
    ``ready(host, port)`` is called with the bound port once the socket listens.
    """
    app = create_app(db=db, faults=faults)
    try:
        server = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler
        )
    except BaseException:
        app.close()
        raise
    finished = threading.Event()
    if stop is not None:

        def watch() -> None:
            while not stop.wait(0.05):
                if finished.is_set():
                    return
            server.shutdown()

        threading.Thread(target=watch, name="emulator-stop", daemon=True).start()
    try:
        if ready is not None:
            ready(host, server.server_port)
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        finished.set()
        server.server_close()
        app.close()
