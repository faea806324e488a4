"""The pull-request hand-off over HTTP: a viewer's plan is whole and refused only for its
role; the merge applies a fresh plan whose destructive changes must be among those the
reviewed plan showed (``apply --reviewed``); a destructive interactive apply takes "yes"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apply.served import Served

from jhe_sync.commands import ApplyRequest, Connection, Safeguards, SpecFiles, Terminal
from jhe_sync.emulator import SEED_PASSWORD
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.serialize import content_digest
from jhe_sync.workflow import apply_command

from .conftest import PAMELA, PETER, Run

KEY = "r" * 40


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "exchange.db")
    yield server
    server.close()


@pytest.fixture
def as_user(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, served: Served
) -> Callable[..., Run]:
    """``as_user(client_id, *args)``: jhe-sync against the served exchange as that user."""

    def run(client_id: str, *args: object) -> Run:
        monkeypatch.setenv("JHE_URL", served.url)
        monkeypatch.setenv("JHE_CLIENT_ID", client_id)
        monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
        return jhe(*args)

    return run


def _spec(
    folder: Path,
    patients: list[str],
    name: str = "spec.yaml",
    scopes: str = "omh:blood-pressure:4.0",
) -> Path:
    listed = ", ".join(patients)
    path = folder / name
    path.write_text(
        "version: 1\nstudies:\n  - key: pilot\n    name: Review Pilot\n"
        "    description: A study reviewed in pull requests.\n    organization: Lifespan Lab\n"
        f"    scope_requests: [{scopes}]\n    patients: [{listed}]\n",
        encoding="utf-8",
    )
    return path


def _console(served: Served) -> Exchange:
    """The exchange as a coordinator in the console acts on it (manager_mary)."""
    return Exchange(served.url, client_id="manager_mary", client_secret=SEED_PASSWORD)


def _pilot(exchange: Exchange) -> int:
    listed = exchange.get("/api/v1/organizations/20003/studies")
    [study] = [s for s in listed if s["name"] == "Review Pilot"]
    return int(study["id"])


def _enrolled(served: Served) -> set[int]:
    with _console(served) as exchange:
        return {p["id"] for p in exchange.get_all(f"/api/v1/studies/{_pilot(exchange)}/patients")}


# -- read-only credentials ---------------------------------------------------------------


def test_a_viewer_gets_the_whole_plan_and_exit_3_saying_which_role_apply_needs(
    as_user: Callable[..., Run], tmp_path: Path
) -> None:
    run = as_user(
        "viewer_victor", "plan", _spec(tmp_path, [PETER]), "--detailed-exitcode", "--format", "json"
    )
    assert run.code == 3, run.err
    document = json.loads(run.out)
    assert document["changes"][0]["kind"] == "create_study"
    [refusal] = document["refusals"]
    assert refusal["reason"] == "role"
    assert 'has the role "viewer" in organization Lifespan Lab (20003)' in refusal["message"]
    assert "needs the member or manager role" in refusal["message"]


def test_a_viewers_saved_plan_is_applied_by_a_member(
    as_user: Callable[..., Run], tmp_path: Path, served: Served
) -> None:
    saved = tmp_path / "plan.json"
    planned = as_user("viewer_victor", "plan", _spec(tmp_path, [PETER]), "--out", saved)
    assert planned.code == 0, planned.err
    assert json.loads(saved.read_text())["planned_as"] == "viewer_victor@example.com"
    refused = as_user("viewer_victor", "apply", "--plan", saved, "--auto-approve")
    assert refused.code == 3 and "needs the member or manager role" in refused.err
    applied = as_user("member_megan", "apply", "--plan", saved, "--auto-approve")
    assert applied.code == 0, applied.err
    assert _enrolled(served) == {40001}


def test_a_viewers_apply_of_the_spec_is_refused_before_any_write(
    as_user: Callable[..., Run], tmp_path: Path
) -> None:
    spec = _spec(tmp_path, [PETER])
    run = as_user("viewer_victor", "apply", spec, "--auto-approve")
    assert run.code == 3
    assert "nothing was written" in run.err
    assert as_user("manager_mary", "plan", spec, "--detailed-exitcode").code == 2


# -- apply --reviewed ----------------------------------------------------------------------


def _reviewed_unenrollment(as_user: Callable[..., Run], tmp_path: Path) -> tuple[Path, Path]:
    """Peter and Pamela enrolled; a pull request's spec drops Pamela, planned as a viewer."""
    assert as_user("manager_mary", "apply", _spec(tmp_path, [PETER, PAMELA]), "--auto-approve")
    merged = _spec(tmp_path, [PETER], "merged.yaml")
    reviewed = tmp_path / "reviewed.json"
    assert as_user("viewer_victor", "plan", merged, "--out", reviewed).code == 0
    return merged, reviewed


def test_a_fresh_plan_destroying_only_what_was_reviewed_applies(
    as_user: Callable[..., Run], tmp_path: Path, served: Served
) -> None:
    merged, reviewed = _reviewed_unenrollment(as_user, tmp_path)
    run = as_user(
        "member_megan",
        *("apply", merged, "--reviewed", reviewed, "--allow-destroy", "--auto-approve"),
    )
    assert run.code == 0, run.err
    assert _enrolled(served) == {40001}


def test_an_unenrollment_nobody_reviewed_is_refused_even_with_allow_destroy(
    as_user: Callable[..., Run], tmp_path: Path, served: Served
) -> None:
    assert as_user("manager_mary", "apply", _spec(tmp_path, [PETER]), "--auto-approve").code == 0
    # The pull request adds a scope request; the reviewer sees nothing destructive.
    merged = _spec(tmp_path, [PETER], "merged.yaml", "omh:blood-pressure:4.0, omh:heart-rate:2.0")
    reviewed = tmp_path / "reviewed.json"
    assert as_user("viewer_victor", "plan", merged, "--out", reviewed).code == 0
    # Between review and merge a coordinator enrolls Pamela from the console.
    with _console(served) as console:
        path = f"/api/v1/studies/{_pilot(console)}/patients"
        console.write("POST", path, {"patient_ids": [40002]})
    run = as_user(
        "member_megan",
        *("apply", merged, "--reviewed", reviewed, "--allow-destroy", "--auto-approve"),
    )
    assert run.code == 3
    assert "unenroll 1 patient: #40002" in run.err
    assert "not among the changes of the reviewed plan" in run.err
    assert _enrolled(served) == {40001, 40002}


def test_a_reviewed_change_still_needs_allow_destroy(
    as_user: Callable[..., Run], tmp_path: Path
) -> None:
    merged, reviewed = _reviewed_unenrollment(as_user, tmp_path)
    run = as_user("member_megan", "apply", merged, "--reviewed", reviewed, "--auto-approve")
    assert run.code == 3
    assert "--allow-destroy" in run.err


def test_a_reviewed_plan_of_another_exchange_is_refused(
    as_user: Callable[..., Run], tmp_path: Path
) -> None:
    merged, reviewed = _reviewed_unenrollment(as_user, tmp_path)
    data = json.loads(reviewed.read_text())
    data["exchange"] = "https://staging.example.org"
    data["digest"] = content_digest(data)
    reviewed.write_text(json.dumps(data))
    run = as_user(
        "member_megan",
        *("apply", merged, "--reviewed", reviewed, "--allow-destroy", "--auto-approve"),
    )
    assert run.code == 3
    assert "made for https://staging.example.org" in run.err


def test_with_a_plan_key_an_unsigned_reviewed_plan_is_refused(
    as_user: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged, reviewed = _reviewed_unenrollment(as_user, tmp_path)
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    run = as_user(
        "member_megan",
        *("apply", merged, "--reviewed", reviewed, "--allow-destroy", "--auto-approve"),
    )
    assert run.code == 3
    assert "not signed" in run.err


def test_reviewed_takes_a_spec_not_a_saved_plan(
    as_user: Callable[..., Run], tmp_path: Path
) -> None:
    _, reviewed = _reviewed_unenrollment(as_user, tmp_path)
    run = as_user("member_megan", "apply", "--plan", reviewed, "--reviewed", reviewed)
    assert run.code == 1
    assert "--reviewed" in run.err


# -- a destructive interactive apply takes the literal "yes" -------------------------------


def _interactive(answer: str, asked: list[str]) -> Terminal:
    def ask(question: str) -> str:
        asked.append(question)
        return answer

    return Terminal(interactive=True, ask=ask, confirm=lambda question: True)


@pytest.mark.parametrize(("answer", "applied"), [("y", False), ("Y", False), ("yes", True)])
def test_a_destructive_interactive_apply_needs_the_word_yes(
    answer: str, applied: bool, as_user: Callable[..., Run], tmp_path: Path, served: Served
) -> None:
    assert as_user("manager_mary", "apply", _spec(tmp_path, [PETER, PAMELA]), "--auto-approve")
    asked: list[str] = []
    request = ApplyRequest(
        connection=Connection(url=served.url, client_id="manager_mary"),
        spec=SpecFiles((str(_spec(tmp_path, [PETER], "fewer.yaml")),)),
        safeguards=Safeguards(allow_destroy=("*",)),
    )
    code = apply_command(_interactive(answer, asked), request)
    assert code == (0 if applied else 1)
    assert asked and 'Type "yes" to apply' in asked[0]
    assert _enrolled(served) == ({40001} if applied else {40001, 40002})


def test_an_interactive_apply_that_destroys_nothing_asks_yes_or_no(
    tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    asked: list[str] = []
    request = ApplyRequest(
        connection=Connection(url=served.url, client_id="manager_mary"),
        spec=SpecFiles((str(_spec(tmp_path, [PETER])),)),
    )
    assert apply_command(_interactive("no", asked), request) == 0
    assert asked == []
    assert _enrolled(served) == {40001}
