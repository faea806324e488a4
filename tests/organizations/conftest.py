"""Organizations as code, end to end: the CLI against the emulator served over HTTP, as
manager_mary with her API client's credentials.

- ``served``: a fresh seeded emulator on a free loopback port (``reliability.helpers``);
- ``mary``: the environment of a CI job that applies as manager_mary to it;
- ``jhe``: the CLI run in process through ``main()`` (``reliability.conftest``);
- ``spec``: writes a spec file; ``writes``: the write lines of a ``--journal``;
- ``exchange``: a raw ``httpx`` client with mary's token, to look at the server itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apply.served import Served
from reliability.conftest import jhe  # noqa: F401  (the fixture, shared)
from reliability.helpers import token_for

from jhe_sync.emulator import SEED_PASSWORD, create_app


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    db = tmp_path / "exchange.db"
    create_app(db=str(db)).close()
    server = Served(db)
    yield server
    server.close()


@pytest.fixture
def mary(served: Served, monkeypatch: pytest.MonkeyPatch) -> Served:
    monkeypatch.setenv("JHE_URL", served.url)
    monkeypatch.setenv("JHE_CLIENT_ID", "manager_mary")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    return served


@pytest.fixture
def spec(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "spec.yaml"
        path.write_text("version: 1\n" + text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal.jsonl"


def writes(journal: Path) -> list[dict[str, Any]]:
    """The write attempts a ``--journal`` recorded (none when it was never written)."""
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def exchange(mary: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mary.url) as client:
        client.headers["Authorization"] = f"Bearer {token_for(client)}"
        yield client
