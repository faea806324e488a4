"""Helpers for the lifecycle tests: specs from text, plans against the emulator, applies.

The emulator (``emulator``, ``connect``, ``scripted``) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jhe_sync.apply import apply_plan
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.snapshot import read_live
from jhe_sync.spec.loader import SpecSource, load_desired
from jhe_sync.spec.models import Desired

PETER = "ll_patient_peter@example.com"
PAMELA = "ll_patient_pamela@example.com"

SEEDED_PERSONAL_DATA = (
    # names, birth dates and phones of the seeded patients of Lifespan Lab (142)
    "Taylor",
    "LlPatientPeter",
    "1992-12-22",
    "+1-581-073-5472",
    "Hogan",
    "LlPatientPamela",
    "1991-08-09",
    "+1-466-101-5116",
)


def spec(files: Mapping[str, str]) -> Desired:
    """The desired state of spec files given as name -> text."""
    return load_desired(
        [SpecSource.from_text(text, name) for name, text in files.items()], environ={}
    )


def spec_text(text: str, name: str = "studies.yaml") -> Desired:
    return spec({name: text})


def plan(exchange: Exchange, desired: Desired) -> Plan:
    """What ``jhe-sync plan`` computes: read what the spec needs, then diff."""
    return build_plan(desired, read_live(exchange, desired))


def apply(exchange: Exchange, desired: Desired) -> None:
    """Bring the exchange to ``desired``; the test fails if any change fails."""
    result = apply_plan(exchange, plan(exchange, desired), SafetyPolicy())
    assert result.ok, result.summary()


def requests(app: Any, method: str, path: str) -> int:
    """How many requests the emulator saw with this method and path."""
    return sum(1 for r in app.request_log if (r.method, r.path) == (method, path))
