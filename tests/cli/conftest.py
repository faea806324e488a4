"""Running ``jhe-sync`` in process, as the console script does, against a local exchange.

- ``jhe(*args)``: run the command line; returns its exit code, stdout and stderr.
- ``local``: a fresh ``--url local:FILE`` exchange for one test.
- ``write(tmp_path, name, text)``: a spec file.
- ``estate_url``: a copy of an exchange with 300 studies stamped from one template
  (``estate_spec(folder, scope)`` writes that spec, its second scope given), built once
  per test module.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jhe_sync.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PETER, PAMELA = "ll_patient_peter@example.com", "ll_patient_pamela@example.com"
SITES = 300
ENVIRONMENT = (
    "JHE_URL",
    "JHE_TOKEN",
    "JHE_CLIENT_ID",
    "JHE_CLIENT_SECRET",
    "JHE_TOKEN_URL",
    "JHE_PLAN_KEY",
    "NO_COLOR",
    "TERM",
)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def jhe(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``jhe-sync ARGS`` in process, as the console script does. The log handler
    ``-v`` adds is taken off after each run (it writes to the stream of that moment)."""
    for name in ENVIRONMENT:
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
def local(tmp_path: Path) -> str:
    """A fresh local exchange for one test."""
    return f"local:{tmp_path / 'exchange.db'}"


def write(folder: Path, name: str, text: str) -> Path:
    """A spec (or variable) file ``name`` in ``folder``, holding ``text``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def estate_spec(folder: Path, scope: str) -> Path:
    sites = ", ".join(str(n) for n in range(SITES))
    write(
        folder,
        "templates.yaml",
        "version: 1\ntemplates:\n  bp:\n    description: Remote BP at site ${n}\n"
        f"    scope_requests: [omh:blood-pressure:4.0, {scope}]\n"
        f"    data_sources: [CareX]\n    patients: [{PETER}]\n",
    )
    write(
        folder,
        "studies.yaml",
        f"version: 1\nstudies:\n  - use: bp\n    for_each:\n      n: [{sites}]\n"
        "    key: bp-${n}\n    name: BP ${n}\n    organization: Lifespan Lab\n",
    )
    return folder


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An exchange with 300 studies applied from one template (built once: 1,500 calls)."""
    folder = tmp_path_factory.mktemp("estate")
    db = folder / "exchange.db"
    spec = estate_spec(folder / "spec", "omh:heart-rate:2.0")
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        with pytest.raises(SystemExit) as exited:
            main(["apply", str(spec), "--url", f"local:{db}", "--auto-approve"])
    assert exited.value.code == 0
    yield db


@pytest.fixture
def estate_url(estate: Path, tmp_path: Path) -> str:
    """A copy of the 300-study exchange for one test."""
    copy = tmp_path / "exchange.db"
    shutil.copy(estate, copy)
    return f"local:{copy}"
