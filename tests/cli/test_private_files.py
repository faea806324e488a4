"""Saved plans, journals and exports hold patients' e-mails: each is created readable
by its owner only, whatever the umask, and an export that would overwrite a file names
``--overwrite`` (issue 18)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import EXAMPLES, Run

HYPERTENSION = EXAMPLES / "hypertension"


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The umask most systems start with: files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_saved_plan_is_readable_by_its_owner_only(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"

    assert jhe("plan", HYPERTENSION, "--url", local, "--out", saved).code == 0

    assert "ll_patient_peter@example.com" in saved.read_text()
    assert mode(saved) == 0o600


def test_a_saved_plan_replacing_a_readable_file_makes_it_private(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text("old")
    saved.chmod(0o644)

    assert jhe("plan", HYPERTENSION, "--url", local, "--out", saved).code == 0

    assert mode(saved) == 0o600


def test_a_journal_is_readable_by_its_owner_only(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    journal = tmp_path / "apply.jsonl"

    run = jhe("apply", HYPERTENSION, "--url", local, "--auto-approve", "--journal", journal)

    assert run.code == 0, run.err
    assert journal.read_text().count("\n") == 6
    assert mode(journal) == 0o600


def test_exported_files_are_readable_by_their_owner_only(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert jhe("apply", HYPERTENSION, "--url", local, "--auto-approve").code == 0
    out = tmp_path / "exported"

    assert jhe("export", "--url", local, "--out", out).code == 0

    written = sorted(out.iterdir())
    assert written and all(mode(path) == 0o600 for path in written)
    assert any("ll_patient_peter@example.com" in path.read_text() for path in written)


def test_an_export_that_would_overwrite_a_file_names_overwrite(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    assert jhe("export", "--url", local, "--out", out).code == 0

    again = jhe("export", "--url", local, "--out", out)

    assert again.code == 1
    assert "pass --overwrite to replace them" in again.err
    assert jhe("export", "--url", local, "--out", out, "--overwrite").code == 0
