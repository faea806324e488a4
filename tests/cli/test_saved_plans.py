"""Saved plans over HTTP: bound to the exchange they were made for, signed with
JHE_PLAN_KEY, and every refusal to apply one exits 3 having written nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apply.served import Served

from jhe_sync.emulator import SEED_PASSWORD
from jhe_sync.plan.serialize import content_digest

from .conftest import EXAMPLES, Run

KEY = "k" * 40
OTHER_KEY = "o" * 40
QUICKSTART = EXAMPLES / "quickstart"


@pytest.fixture
def member(monkeypatch: pytest.MonkeyPatch, jhe: Callable[..., Run]) -> Callable[..., Run]:
    """``jhe`` acting as manager_mary through the environment, as CI would."""
    monkeypatch.setenv("JHE_CLIENT_ID", "manager_mary")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    return jhe


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "staging.db")
    yield server
    server.close()


@pytest.fixture
def production(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "production.db")
    yield server
    server.close()


def _planned(jhe: Callable[..., Run], served: Served, out: Path) -> Path:
    run = jhe("plan", QUICKSTART, "--url", served.url, "--out", out)
    assert run.code == 0, run.err
    return out


def _nothing_written(jhe: Callable[..., Run], served: Served) -> None:
    run = jhe("plan", QUICKSTART, "--url", served.url, "--detailed-exitcode")
    assert run.code == 2, run.err


def test_a_saved_plan_records_the_exchange_and_the_user_and_show_prints_them(
    member: Callable[..., Run], staging: Served, tmp_path: Path
) -> None:
    saved = _planned(member, staging, tmp_path / "plan.json")
    data = json.loads(saved.read_text())
    assert (data["exchange"], data["planned_as"]) == (staging.url, "manager_mary@example.com")
    shown = member("show", saved)
    assert shown.code == 0
    assert shown.out.startswith(
        f"Saved plan, made against {staging.url} as manager_mary@example.com; not signed."
    )


def test_a_plan_for_one_exchange_is_refused_by_another_naming_both(
    member: Callable[..., Run], staging: Served, production: Served, tmp_path: Path
) -> None:
    saved = _planned(member, staging, tmp_path / "plan.json")
    run = member("apply", "--plan", saved, "--url", production.url, "--auto-approve")
    assert run.code == 3
    assert f"made for {staging.url}, and this is {production.url}" in run.err
    _nothing_written(member, production)


def test_with_a_plan_key_the_plan_is_signed_and_applies(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    saved = _planned(member, staging, tmp_path / "plan.json")
    assert json.loads(saved.read_text())["signature"].startswith("hmac-sha256:")
    assert "the signature matches JHE_PLAN_KEY" in member("show", saved).out
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 0, run.err


def test_with_a_plan_key_an_unsigned_plan_is_refused(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _planned(member, staging, tmp_path / "plan.json")
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 3
    assert "not signed" in run.err
    _nothing_written(member, staging)


def test_a_plan_signed_with_another_key_is_refused(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_PLAN_KEY", OTHER_KEY)
    saved = _planned(member, staging, tmp_path / "plan.json")
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 3
    assert "signature does not match" in run.err
    _nothing_written(member, staging)


def _forged(saved: Path) -> None:
    """Change a study's description and recompute the unkeyed digest, as anyone can."""
    data = json.loads(saved.read_text())
    for change in data["changes"]:
        for field in change["fields"]:
            if field["name"] == "description":
                field["after"] = "A description no spec ever said."
        if change["call"]["body"] and "description" in change["call"]["body"]:
            change["call"]["body"]["description"] = "A description no spec ever said."
    data["digest"] = content_digest(data)
    saved.write_text(json.dumps(data, indent=2))


def test_an_edit_with_a_recomputed_digest_is_refused_when_plans_are_signed(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    saved = _planned(member, staging, tmp_path / "plan.json")
    _forged(saved)
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 3
    assert "signature does not match" in run.err
    _nothing_written(member, staging)


def test_without_a_plan_key_the_digest_does_not_stop_a_recomputed_forgery(
    member: Callable[..., Run], staging: Served, tmp_path: Path
) -> None:
    # What README and SECURITY.md say plainly: the digest catches accidents, not tampering.
    saved = _planned(member, staging, tmp_path / "plan.json")
    _forged(saved)
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 0, run.err


def test_a_signed_plan_applied_without_the_key_says_its_signature_was_not_checked(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_PLAN_KEY", KEY)
    saved = _planned(member, staging, tmp_path / "plan.json")
    monkeypatch.delenv("JHE_PLAN_KEY")
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 0, run.err
    assert "signature was not checked" in run.err


def test_a_stale_saved_plan_exits_3_and_writes_nothing(
    member: Callable[..., Run], staging: Served, tmp_path: Path
) -> None:
    saved = _planned(member, staging, tmp_path / "plan.json")
    other = tmp_path / "other.yaml"
    other.write_text(
        "version: 1\nstudies:\n  - key: other\n    name: Another Study\n"
        "    description: d\n    organization: Lifespan Lab\n",
        encoding="utf-8",
    )
    assert member("apply", other, "--url", staging.url, "--auto-approve").code == 0
    run = member("apply", "--plan", saved, "--url", staging.url, "--auto-approve")
    assert run.code == 3
    assert "stale" in run.err and "organization 20003" in run.err
    _nothing_written(member, staging)


def test_a_short_plan_key_is_an_error_that_does_not_repeat_it(
    member: Callable[..., Run], staging: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_PLAN_KEY", "hunter2")
    run = member("plan", QUICKSTART, "--url", staging.url, "--out", tmp_path / "plan.json")
    assert run.code == 1
    assert "JHE_PLAN_KEY has 7 characters" in run.err
    assert "hunter2" not in run.out + run.err
    assert not (tmp_path / "plan.json").exists()
