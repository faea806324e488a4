"""Fixtures for the emulator's own tests: apps in process (closed afterwards) and a client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulator.helpers import MakeApp, client_for
from jhe_sync.emulator import EmulatorApp, FaultConfig, create_app


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """``make_app(faults=FaultConfig(...), db=...)``."""
    apps: list[EmulatorApp] = []

    def make(db: str = ":memory:", faults: FaultConfig | None = None) -> EmulatorApp:
        app = create_app(db=db, faults=faults)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def app(make_app: MakeApp) -> EmulatorApp:
    return make_app()


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[httpx.Client]:
    with client_for(app) as client:
        yield client
