"""A local JupyterHealth Exchange that answers like the real one, quirks included.

A WSGI application over SQLite, seeded with the upstream reference data, reproducing the
real server's recorded behaviour (``../shared/jhe-contract/``): status codes, shapes,
pagination, the role model and its holes, and the 500s. Faults can be injected.

    app = create_app(db=":memory:")               # or a file path, kept between runs
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost")
    serve(host="127.0.0.1", port=8000)            # the same over HTTP
"""

from jhe_sync.emulator.app import EmulatorApp, RequestRecord, create_app
from jhe_sync.emulator.faults import DroppedConnection, FaultConfig
from jhe_sync.emulator.seed import SEED_PASSWORD, seeded_credentials
from jhe_sync.emulator.server import serve

__all__ = [
    "SEED_PASSWORD",
    "DroppedConnection",
    "EmulatorApp",
    "FaultConfig",
    "RequestRecord",
    "create_app",
    "seeded_credentials",
    "serve",
]
