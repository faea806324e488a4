"""Helpers for the spec tests: load specs given as text, and read their problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

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
