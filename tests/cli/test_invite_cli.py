"""``invite`` as a careful user meets it: no link issued that nobody receives, a question
before links are replaced (``--yes`` for scripts), and per patient what the new link
replaced (issue 18)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import EXAMPLES, PAMELA, PETER, Run

HYPERTENSION = EXAMPLES / "hypertension"
POST_INVITATION = "POST /api/v1/invitation"


def _with_client(tmp_path: Path, jhe: Callable[..., Run], local: str) -> tuple[str, ...]:
    """The hypertension study applied with a client, and the invite command for it."""
    folder = tmp_path / "spec"
    folder.mkdir()
    text = (HYPERTENSION / "hypertension.yaml").read_text(encoding="utf-8")
    (folder / "hypertension.yaml").write_text(text + "    clients: [CareX]\n", encoding="utf-8")
    assert jhe("apply", folder, "--url", local, "--auto-approve").code == 0
    return ("invite", str(folder), "--study", "hypertension", "--url", local)


def test_invite_refuses_links_that_would_be_neither_shown_nor_sent(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    invite = _with_client(tmp_path, jhe, local)

    run = jhe(*invite, "--yes", "-v")

    assert run.code == 1
    assert "reach nobody" in run.err and "--send-email" in run.err and "--show-links" in run.err
    assert POST_INVITATION not in run.err
    assert " -> " not in run.err  # refused before any request


def test_invite_without_a_terminal_needs_yes_and_issues_nothing(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    invite = _with_client(tmp_path, jhe, local)

    run = jhe(*invite, "--send-email", "-v")

    assert run.code == 1
    assert "invite needs --yes when it cannot ask" in run.err
    assert POST_INVITATION not in run.err


def test_on_a_terminal_invite_asks_first_and_a_no_issues_nothing(
    jhe: Callable[..., Run],
    local: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invite = _with_client(tmp_path, jhe, local)
    monkeypatch.setattr("jhe_sync.cli._on_a_terminal", lambda to_stderr=False: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))

    run = jhe(*invite, "--send-email", "-v")

    assert run.code == 1
    assert (
        "Issue 2 new invitation links for study hypertension through CareX? Each replaces "
        "the patient's earlier link for CareX, which then no longer works."
    ) in run.out
    assert "Nobody invited." in run.out
    assert POST_INVITATION not in run.err


def test_on_a_terminal_a_yes_issues_one_link_per_patient_saying_what_it_replaced(
    jhe: Callable[..., Run],
    local: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invite = _with_client(tmp_path, jhe, local)
    monkeypatch.setattr("jhe_sync.cli._on_a_terminal", lambda to_stderr=False: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))

    run = jhe(*invite, "--send-email", "-v")

    assert run.code == 0, run.err
    assert run.err.count(POST_INVITATION) == 2
    replaced = [line for line in run.out.splitlines() if "replaces any earlier link" in line]
    assert [line.split()[1] for line in replaced] == [f"{PETER}:", f"{PAMELA}:"]
    assert all(
        "emailed by the exchange; it replaces any earlier link for CareX not yet used, which "
        "no longer works" in line
        for line in replaced
    )


def test_yes_issues_the_links_without_asking(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    invite = _with_client(tmp_path, jhe, local)

    run = jhe(*invite, "--show-links", "--yes")

    assert run.code == 0, run.err
    assert run.out.count("          link: ") == 2
    assert "Issue 2 new invitation links" not in run.out
