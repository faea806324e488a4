"""``serve()``: the emulator over real HTTP, on the standard library's threaded WSGI server."""

from __future__ import annotations

import contextlib
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


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ServerHandler(ServerHandler):
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
    """wsgiref's handler, but a DroppedConnection closes the socket without an answer."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
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
        except DroppedConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

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
