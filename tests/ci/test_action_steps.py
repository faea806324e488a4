"""The action's steps end to end, as a runner runs them: the pull request's job plans
(as a viewer), keeps one comment and saves the plan; the merge job finds what the
merged pull request reviewed and applies exactly that. Over HTTP against the emulator,
with a fake GitHub and the runner's files (event, outputs, summary)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from apply.served import Served

from jhe_sync.ci.review import ALLOW_DESTROY_LABEL, artifact_name
from jhe_sync.ci.steps import (
    ci_apply_command,
    ci_comment_command,
    ci_plan_command,
    ci_review_command,
)
from jhe_sync.commands import (
    CiApplyRequest,
    CiCommentRequest,
    CiPlanRequest,
    CiReviewRequest,
    Connection,
    SpecFiles,
    Terminal,
)
from jhe_sync.emulator import SEED_PASSWORD
from jhe_sync.exchange.client import Exchange

from .fake_pulls import REPO, TOKEN, FakePulls

HEAD, MERGE = "a" * 40, "m" * 40
PETER, PAMELA = "ll_patient_peter@example.com", "ll_patient_pamela@example.com"
KEY = "p" * 40


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "exchange.db")
    yield server
    server.close()


@pytest.fixture
def github() -> FakePulls:
    return FakePulls()


class Runner:
    """One job's runner: its files, environment and the steps it runs."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, served: Served) -> None:
        self.tmp, self.monkeypatch, self.served = tmp, monkeypatch, served
        self.out = tmp / "out"
        self.outputs_file = tmp / "outputs"
        self.summary_file = tmp / "summary.md"
        for name in ("JHE_URL", "JHE_TOKEN", "JHE_CLIENT_ID", "JHE_CLIENT_SECRET", "JHE_PLAN_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_OUTPUT", str(self.outputs_file))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(self.summary_file))
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("JHE_PLAN_KEY", KEY)

    def as_user(self, client_id: str) -> Connection:
        self.monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
        return Connection(url=self.served.url, client_id=client_id)

    def event(self, labels: tuple[str, ...] = ()) -> str:
        path = self.tmp / "event.json"
        path.write_text(
            json.dumps(
                {
                    "pull_request": {
                        "number": 7,
                        "head": {"sha": HEAD},
                        "labels": [{"name": label} for label in labels],
                    }
                }
            )
        )
        return str(path)

    def outputs(self) -> dict[str, str]:
        """The outputs the last step wrote (later values win, as on a runner)."""
        found: dict[str, str] = {}
        lines = self.outputs_file.read_text().splitlines() if self.outputs_file.exists() else []
        index = 0
        while index < len(lines):
            line = lines[index]
            if "<<" in line and "=" not in line.split("<<")[0]:
                name, delimiter = line.split("<<", 1)
                end = lines.index(delimiter, index + 1)
                found[name] = "\n".join(lines[index + 1 : end])
                index = end + 1
                continue
            name, _, value = line.partition("=")
            found[name] = value
            index += 1
        self.outputs_file.write_text("")
        return found

    # -- the steps ------------------------------------------------------------------------

    def plan(self, spec: Path, client_id: str, labels: tuple[str, ...] = ()) -> dict[str, str]:
        request = CiPlanRequest(
            spec=SpecFiles((str(spec),)),
            connection=self.as_user(client_id),
            out_dir=str(self.out),
            event=self.event(labels),
        )
        assert ci_plan_command(Terminal(), request) == 0
        return self.outputs()

    def comment(self, github: FakePulls) -> None:
        self.monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        request = CiCommentRequest(out_dir=str(self.out), event=str(self.tmp / "event.json"))
        assert ci_comment_command(Terminal(), request, lambda settings: github.client()) == 0
        self.monkeypatch.delenv("GITHUB_TOKEN")

    def upload(self, github: FakePulls, at: str = "2026-12-01T09:30:00Z") -> None:
        """What actions/upload-artifact does with the saved plan."""
        github.upload(artifact_name("default"), HEAD, (self.out / "plan.json").read_text(), at)

    def review(self, github: FakePulls) -> dict[str, str]:
        self.monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        request = CiReviewRequest(sha=MERGE, out_dir=str(self.out))
        assert ci_review_command(Terminal(), request, lambda settings: github.client()) == 0
        self.monkeypatch.delenv("GITHUB_TOKEN")
        return self.outputs()

    def apply(self, spec: Path, client_id: str, source: str = "fresh") -> dict[str, str]:
        request = CiApplyRequest(
            spec=SpecFiles((str(spec),)),
            connection=self.as_user(client_id),
            out_dir=str(self.out),
            source=source,
            journal=str(self.tmp / "journal.jsonl"),
        )
        assert ci_apply_command(Terminal(), request) == 0
        return self.outputs()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: Served) -> Runner:
    return Runner(tmp_path, monkeypatch, served)


def _spec(
    folder: Path, patients: list[str], name: str, scopes: str = "omh:blood-pressure:4.0"
) -> Path:
    path = folder / name
    path.write_text(
        "version: 1\nstudies:\n  - key: pilot\n    name: Action Pilot\n"
        "    description: Planned in pull requests.\n    organization: Lifespan Lab\n"
        f"    scope_requests: [{scopes}]\n    patients: [{', '.join(patients)}]\n",
        encoding="utf-8",
    )
    return path


def _console(served: Served) -> Exchange:
    return Exchange(served.url, client_id="manager_mary", client_secret=SEED_PASSWORD)


def _pilot_patients(served: Served) -> set[int]:
    with _console(served) as exchange:
        listed = exchange.get("/api/v1/organizations/20003/studies")
        [study] = [s for s in listed if s["name"] == "Action Pilot"]
        return {p["id"] for p in exchange.get_all(f"/api/v1/studies/{study['id']}/patients")}


def _deployed(runner: Runner, patients: list[str]) -> None:
    """The state on main before the pull request: applied by the deploy job."""
    runner.review(FakePulls())  # a push that merged no pull request
    assert (
        runner.apply(_spec(runner.tmp, patients, "main.yaml"), "member_megan")["exit-code"] == "0"
    )


def _merged(github: FakePulls, labelled: bool = True) -> None:
    github.merged(7, HEAD, MERGE, "2026-12-01T10:00:00Z")
    if labelled:
        github.label(7, ALLOW_DESTROY_LABEL, "2026-12-01T09:00:00Z")


# -- the pull request's job ----------------------------------------------------------------


def test_a_viewer_plans_the_pull_request_and_the_job_passes_saying_apply_needs_a_member(
    runner: Runner, github: FakePulls, served: Served
) -> None:
    outputs = runner.plan(_spec(runner.tmp, [PETER], "pr.yaml"), "viewer_victor")
    assert outputs["exit-code"] == "2" and outputs["has-changes"] == "true"
    assert (outputs["refused"], outputs["read-only"], outputs["failed"]) == (
        "false",
        "true",
        "false",
    )
    comment = (runner.out / "comment.md").read_text()
    assert "Planned with read-only credentials" in comment
    assert "Lifespan Lab (20003)" in comment
    assert "Apply would refuse" not in comment
    saved = json.loads((runner.out / "plan.json").read_text())
    assert saved["planned_as"] == "viewer_victor@example.com" and "signature" in saved
    assert "## jhe-sync plan" in runner.summary_file.read_text()
    assert _spec_not_applied(served)


def _spec_not_applied(served: Served) -> bool:
    with _console(served) as exchange:
        listed = exchange.get("/api/v1/organizations/20003/studies")
        return all(s["name"] != "Action Pilot" for s in listed)


def test_every_push_keeps_one_plan_comment(runner: Runner, github: FakePulls) -> None:
    runner.plan(_spec(runner.tmp, [PETER], "pr.yaml"), "viewer_victor")
    runner.comment(github)
    runner.plan(_spec(runner.tmp, [PETER, PAMELA], "pr.yaml"), "viewer_victor")
    runner.comment(github)
    [comment] = github.bot_comments(7)
    assert comment.startswith("<!-- jhe-sync:plan default -->")
    assert "enroll 2 patients" in comment


def test_a_destructive_change_fails_the_pull_request_until_the_label_allows_it(
    runner: Runner,
) -> None:
    _deployed(runner, [PETER, PAMELA])
    pr = _spec(runner.tmp, [PETER], "pr.yaml")
    unlabelled = runner.plan(pr, "viewer_victor")
    assert (unlabelled["exit-code"], unlabelled["refused"], unlabelled["failed"]) == (
        "3",
        "true",
        "true",
    )
    assert "applied on merge only if" in (runner.out / "comment.md").read_text()
    labelled = runner.plan(pr, "viewer_victor", labels=(ALLOW_DESTROY_LABEL,))
    assert (labelled["exit-code"], labelled["failed"]) == ("2", "false")
    assert "these, and only these, are applied" in (runner.out / "comment.md").read_text()


def test_a_plan_that_cannot_be_made_is_commented_and_fails_the_job(runner: Runner) -> None:
    broken = runner.tmp / "broken.yaml"
    broken.write_text("version: 1\nstudies:\n  - key: x\n    name: X\n    organization: Nowhere\n")
    outputs = runner.plan(broken, "viewer_victor")
    assert (outputs["exit-code"], outputs["failed"]) == ("1", "true")
    assert "No plan: jhe-sync stopped with exit code 1" in (runner.out / "comment.md").read_text()


# -- the merge job -------------------------------------------------------------------------


def test_the_merge_applies_the_reviewed_destructive_change(
    runner: Runner, github: FakePulls, served: Served
) -> None:
    _deployed(runner, [PETER, PAMELA])
    pr = _spec(runner.tmp, [PETER], "pr.yaml")
    runner.plan(pr, "viewer_victor", labels=(ALLOW_DESTROY_LABEL,))
    runner.upload(github)
    _merged(github)
    found = runner.review(github)
    assert (found["pull-request"], found["allow-destroy"], found["reviewed"]) == (
        "7",
        "true",
        "true",
    )
    applied = runner.apply(pr, "member_megan")
    assert (applied["exit-code"], applied["has-changes"], applied["failed"]) == (
        "0",
        "true",
        "false",
    )
    assert _pilot_patients(served) == {40001}
    assert "jhe-sync apply: complete" in runner.summary_file.read_text()


def test_a_patient_enrolled_after_the_review_is_never_unenrolled_by_the_merge(
    runner: Runner, github: FakePulls, served: Served
) -> None:
    _deployed(runner, [PETER])
    pr = _spec(runner.tmp, [PETER], "pr.yaml", "omh:blood-pressure:4.0, omh:heart-rate:2.0")
    runner.plan(pr, "viewer_victor", labels=(ALLOW_DESTROY_LABEL,))
    runner.upload(github)
    with _console(served) as console:
        listed = console.get("/api/v1/organizations/20003/studies")
        [study] = [s for s in listed if s["name"] == "Action Pilot"]
        console.write("POST", f"/api/v1/studies/{study['id']}/patients", {"patient_ids": [40002]})
    _merged(github)
    runner.review(github)
    refused = runner.apply(pr, "member_megan")
    assert (refused["exit-code"], refused["refused"], refused["failed"]) == ("3", "true", "true")
    assert _pilot_patients(served) == {40001, 40002}


def test_without_the_label_at_merge_the_reviewed_destructive_change_is_refused(
    runner: Runner, github: FakePulls, served: Served
) -> None:
    _deployed(runner, [PETER, PAMELA])
    pr = _spec(runner.tmp, [PETER], "pr.yaml")
    runner.plan(pr, "viewer_victor")
    runner.upload(github)
    _merged(github, labelled=False)
    assert runner.review(github)["allow-destroy"] == "false"
    assert runner.apply(pr, "member_megan")["exit-code"] == "3"
    assert _pilot_patients(served) == {40001, 40002}


def test_a_push_that_merged_no_pull_request_applies_what_destroys_nothing(
    runner: Runner, served: Served
) -> None:
    runner.review(FakePulls())
    applied = runner.apply(_spec(runner.tmp, [PETER], "main.yaml"), "member_megan")
    assert applied["exit-code"] == "0"
    assert _pilot_patients(served) == {40001}


def test_the_saved_source_applies_the_reviewed_plan_itself_and_refuses_it_once_stale(
    runner: Runner, github: FakePulls, served: Served
) -> None:
    _deployed(runner, [PETER])
    pr = _spec(runner.tmp, [PETER, PAMELA], "pr.yaml")
    runner.plan(pr, "viewer_victor")
    runner.upload(github)
    _merged(github)
    runner.review(github)
    assert runner.apply(pr, "member_megan", source="saved")["exit-code"] == "0"
    assert _pilot_patients(served) == {40001, 40002}
    stale = runner.apply(pr, "member_megan", source="saved")
    assert (stale["exit-code"], stale["failed"]) == ("3", "true")
