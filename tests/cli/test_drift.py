"""``jhe-sync drift`` as a scheduled job runs it: the spec at HEAD against the exchange,
with the spec at the last applied commit (a checkout of it) to tell the sides apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci.fake_github import REPO, TOKEN, FakeGitHub

from cli.conftest import Run
from jhe_sync.local import open_exchange

APPLIED = """\
version: 1
studies:
  - key: bp
    id: 30002
    name: Lifespan Study on BP
    description: Blood Pressure
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure:4.0]
"""
HEAD = APPLIED.replace(
    "scope_requests: [omh:blood-pressure:4.0]",
    "scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]",
)


@dataclass
class Repo:
    """A working tree at HEAD (the current directory), a checkout of the last applied
    commit beside it, and a local exchange the applied spec was applied to."""

    head: Path
    applied: Path
    url: str

    def console_edit(self, path: str, body: dict[str, object]) -> None:
        with open_exchange(url=self.url, environ={}) as exchange:
            exchange.write("PATCH", path, body)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jhe: Callable[..., Run]) -> Repo:
    head, applied = tmp_path / "head", tmp_path / "applied"
    for root, text in ((head, APPLIED), (applied, APPLIED)):
        (root / "studies").mkdir(parents=True)
        (root / "studies" / "lifespan.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(head)
    url = f"local:{tmp_path / 'exchange.db'}"
    assert jhe("apply", "studies", "--url", url, "--auto-approve", "--allow-destroy").code == 0
    return Repo(head, applied, url)


def test_a_console_edit_and_an_unapplied_spec_change_are_told_apart(
    repo: Repo, jhe: Callable[..., Run]
) -> None:
    repo.console_edit("/api/v1/studies/30002", {"description": "Edited in the console"})
    (repo.head / "studies" / "lifespan.yaml").write_text(HEAD, encoding="utf-8")
    run = jhe(
        *("drift", "studies", "--url", repo.url, "--applied-root", repo.applied),
        *("--applied-ref", "abc1234", "--detailed-exitcode"),
    )
    assert run.code == 2, run.err
    assert "Compared with the spec at the last applied commit abc1234:" in run.out
    assert '  the exchange  bp: update study "Lifespan Study on BP"' in run.out
    assert '  the spec      bp: add scope request "omh:heart-rate:2.0"' in run.out


def test_with_the_same_spec_as_applied_every_difference_came_from_the_exchange(
    repo: Repo, jhe: Callable[..., Run]
) -> None:
    repo.console_edit("/api/v1/studies/30002", {"name": "Renamed in the console"})
    run = jhe(
        *("drift", "studies", "--url", repo.url, "--applied-root", repo.applied),
        *("--applied-ref", "abc1234", "--format", "json"),
    )
    document = json.loads(run.out)
    assert document["sides"] == {"live": 1, "spec": 0, "both": 0, "unknown": 0}


def test_without_the_applied_commit_the_sides_are_unknown(
    repo: Repo, jhe: Callable[..., Run]
) -> None:
    (repo.head / "studies" / "lifespan.yaml").write_text(HEAD, encoding="utf-8")
    run = jhe("drift", "studies", "--url", repo.url)
    assert run.code == 0
    assert "cannot be told: no applied commit was given (--applied-root)" in run.out
    assert "  unknown  bp: add scope request" in run.out


def test_a_spec_file_the_applied_commit_did_not_have_is_all_spec_side(
    repo: Repo, jhe: Callable[..., Run]
) -> None:
    (repo.head / "studies" / "pilot.yaml").write_text(
        "version: 1\nstudies:\n  - key: pilot\n    name: Pilot\n    description: New.\n"
        "    organization: Lifespan Lab\n",
        encoding="utf-8",
    )
    run = jhe(
        *("drift", "studies/lifespan.yaml", "studies/pilot.yaml", "--url", repo.url),
        *("--applied-root", repo.applied, "--applied-ref", "abc1234"),
    )
    assert '  the spec  pilot: create study "Pilot"' in run.out, run.out + run.err


def test_an_exchange_that_matches_git_is_no_drift(repo: Repo, jhe: Callable[..., Run]) -> None:
    run = jhe(
        *("drift", "studies", "--url", repo.url, "--applied-root", repo.applied),
        "--detailed-exitcode",
    )
    assert (run.code, run.out) == (0, "The exchange matches the spec: no drift.\n")


# -- keeping the issue, in a GitHub Actions job ----------------------------------------------


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The job's environment, and GitHub's API answered by a fake."""
    fake = FakeGitHub()
    for name, value in {
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_RUN_ID": "77",
        "GITHUB_SHA": "0123456789abcdef",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("jhe_sync.workflow.GitHub", lambda settings: fake.client())
    return fake


def test_a_scheduled_check_opens_the_issue_then_closes_it_once_applied(
    repo: Repo, jhe: Callable[..., Run], github: FakeGitHub
) -> None:
    repo.console_edit("/api/v1/studies/30002", {"description": "Edited in the console"})
    check = ("drift", "studies", "--url", repo.url, "--applied-root", repo.applied)
    opened = jhe(*check, "--applied-ref", "abc1234", "--keep-issue", "production")
    assert opened.code == 0, opened.err
    assert opened.err == f"drift issue #1 created https://github.com/{REPO}/issues/1\n"
    [issue] = github.open()
    assert issue["title"] == "Drift: production differs from git"
    assert "| the exchange | `bp` | update study" in issue["body"]
    assert "[run 77](https://github.com/lab/studies/actions/runs/77)" in issue["body"]
    assert jhe("apply", "studies", "--url", repo.url, "--auto-approve").code == 0
    closed = jhe(*check, "--keep-issue", "production")
    assert closed.err == f"drift issue #1 closed https://github.com/{REPO}/issues/1\n"
    assert github.open() == []


def test_without_a_github_token_nothing_is_read_and_the_error_says_what_to_set(
    repo: Repo, jhe: Callable[..., Run], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    run = jhe("drift", "studies", "--url", "local:/nonexistent/dir/x.db", "--keep-issue", "prod")
    assert run.code == 1
    assert run.err.startswith("Error: GITHUB_TOKEN is not set")
    assert github.seen == []
