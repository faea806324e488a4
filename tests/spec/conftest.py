"""Helpers for the spec tests: load specs given as text, read their problems, and run
the command line in process (``jhe``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from jhe_sync.cli import main
from jhe_sync.errors import Problem, SpecError
from jhe_sync.spec import Desired, SpecSource, load_desired

LoadText = Callable[..., Desired]
ProblemsOf = Callable[..., tuple[Problem, ...]]


def _sources(texts: Sequence[str] | Mapping[str, str]) -> list[SpecSource]:
    if isinstance(texts, Mapping):
        return [SpecSource.from_text(text, name) for name, text in texts.items()]
    return [SpecSource.from_text(text, "s.yaml") for text in texts]


@pytest.fixture
def load_text() -> LoadText:
    """``load_text(text, ...)`` or ``load_text({"a.yaml": text, ...})``: the Desired."""

    def load(texts: str | Mapping[str, str], **options: Any) -> Desired:
        options.setdefault("environ", {})
        return load_desired(_sources([texts] if isinstance(texts, str) else texts), **options)

    return load


@pytest.fixture
def problems_of(load_text: LoadText) -> ProblemsOf:
    """The problems that loading the text raises (fails the test if it loads)."""

    def problems(texts: str | Mapping[str, str], **options: Any) -> tuple[Problem, ...]:
        with pytest.raises(SpecError) as raised:
            load_text(texts, **options)
        return raised.value.problems

    return problems


@dataclass
class Run:
    code: int
    out: str
    err: str


Jhe = Callable[..., Run]


@pytest.fixture
def jhe(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Jhe:
    """Run ``jhe-sync ARGS`` in process, as the console script does."""
    for name in ("JHE_URL", "JHE_TOKEN", "JHE_CLIENT_ID", "JHE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: object) -> Run:
        with pytest.raises(SystemExit) as exited:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(int(exited.value.code or 0), captured.out, captured.err)

    return run
