"""Fixtures of the reliability tests: the CLI as the console script runs it, a seeded
local exchange on disk, and that exchange behind a middleware that spoils answers.

The in-process emulator fixtures (``emulator``, ``connect``, ``scripted``) come from
``tests/conftest.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jhe_sync.cli import main
from reliability.helpers import Spoiling

ENVIRONMENT = (
    "JHE_URL",
    "JHE_TOKEN",
    "JHE_CLIENT_ID",
    "JHE_CLIENT_SECRET",
    "JHE_PLAN_KEY",
    "JHE_SYNC_DEBUG",
)


@dataclass
class Run:
    """One ``jhe-sync`` run: its exit code and what it wrote to stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def jhe(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``jhe-sync ARGS`` in process through ``main()``, as the console script does
    (so errors are mapped to exit codes and messages exactly as a user sees them).

    ``-v`` adds a log handler on the stream of that moment; it is taken off again after
    each run, so that a later run does not log into a stream pytest has closed.
    """
    for name in (*ENVIRONMENT, "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    loggers = [logging.getLogger("jhe_sync"), logging.getLogger("jhe_sync.emulator")]

    def run(*args: object) -> Run:
        saved = [(logger, list(logger.handlers), logger.level) for logger in loggers]
        try:
            with pytest.raises(SystemExit) as exited:
                main([str(a) for a in args])
        finally:
            for logger, handlers, level in saved:
                logger.handlers[:] = handlers
                logger.setLevel(level)
        captured = capsys.readouterr()
        return Run(int(exited.value.code or 0), captured.out, captured.err)

    return run


@pytest.fixture
def local_db(tmp_path: Path) -> Path:
    """A seeded emulator database file, as ``--url local:PATH`` would create it."""
    from jhe_sync.emulator import create_app

    path = tmp_path / "exchange.db"
    create_app(db=str(path)).close()
    return path


@pytest.fixture
def local(local_db: Path) -> str:
    """``--url`` of the seeded local exchange."""
    return f"local:{local_db}"


@pytest.fixture
def spoiling(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spoiling]:
    """Every ``--url local`` exchange opened during the test answers through this
    middleware; add spoils to it before running the CLI."""
    import jhe_sync.local as local_module

    opened = local_module.open_local_app
    middleware = Spoiling(app=lambda *_: [])

    def open_spoiled(db: Path) -> Any:
        middleware.app = opened(db)
        return middleware

    monkeypatch.setattr(local_module, "open_local_app", open_spoiled)
    yield middleware
