"""action.yml and the example workflow stay thin and least-privileged: one `jhe-sync ci`
command per step, each step holding only the secret it needs, inputs never spliced into a
script, third-party actions pinned by commit, and the workflow's permissions per job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from jhe_sync.ci.review import ALLOW_DESTROY_LABEL, artifact_name
from jhe_sync.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ACTION_TEXT = (ROOT / "action.yml").read_text(encoding="utf-8")
ACTION: dict[str, Any] = yaml.safe_load(ACTION_TEXT)
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXAMPLE_TEXT = (ROOT / "examples" / "ci" / "github-actions.yml").read_text(encoding="utf-8")
EXAMPLE: dict[Any, Any] = yaml.safe_load(EXAMPLE_TEXT)
PINNED = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # v\d+(\.\d+)*$"
)
EXCHANGE_SECRETS = {"JHE_URL", "JHE_CLIENT_ID", "JHE_CLIENT_SECRET", "JHE_PLAN_KEY"}


def step_running(command: str) -> dict[str, Any]:
    [step] = [s for s in STEPS if re.search(rf"\bjhe-sync ci {command}\b", s.get("run", ""))]
    return step


def ci_command(name: str) -> click.Command:
    group = cli.commands["ci"]
    assert isinstance(group, click.Group)
    return group.commands[name]


def test_the_action_is_composite_with_the_inputs_and_outputs_the_issue_names() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"specs", "var-files", "mode", "python-version", "jhe-sync-version"} <= set(
        ACTION["inputs"]
    )
    assert {"exit-code", "has-changes", "refused"} <= set(ACTION["outputs"])
    assert ACTION["inputs"]["allow-destroy-label"]["default"] == ALLOW_DESTROY_LABEL


@pytest.mark.parametrize(
    ("mode", "commands"), [("plan", ["plan", "comment"]), ("apply", ["review", "apply"])]
)
def test_each_mode_is_one_jhe_sync_command_per_step(mode: str, commands: list[str]) -> None:
    run = [
        s for s in STEPS if s.get("if", "").startswith(f"inputs.mode == '{mode}'") and "run" in s
    ]
    assert [re.findall(r"jhe-sync ci (\w+)", s["run"]) for s in run] == [[c] for c in commands]
    for step in run:
        assert step["run"].strip().count("\n") == 0, "a mode's step runs one command, no script"


def test_the_exchange_credentials_reach_only_the_plan_and_apply_steps() -> None:
    holding = [s.get("name") for s in STEPS if EXCHANGE_SECRETS & set(s.get("env", {}))]
    assert holding == [step_running("plan")["name"], step_running("apply")["name"]]


def test_the_github_token_reaches_only_the_comment_and_review_steps() -> None:
    holding = [s.get("name") for s in STEPS if "GITHUB_TOKEN" in s.get("env", {})]
    assert holding == [step_running("comment")["name"], step_running("review")["name"]]
    for step in STEPS:
        assert "github-token" not in str(step.get("with", {})), "no action gets the token"


def test_no_input_or_event_text_is_spliced_into_a_script() -> None:
    for step in STEPS:
        assert "${{" not in step.get("run", ""), f"{step.get('name')}: use env, not ${{{{ }}}}"


def test_every_action_the_action_uses_is_pinned_by_commit_with_its_release() -> None:
    lines = [line for line in ACTION_TEXT.splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"not pinned by commit: {line.strip()}"


def test_jhe_sync_is_installed_from_the_actions_own_checkout_or_a_release_tag() -> None:
    [install] = [s for s in STEPS if "pip install" in s.get("run", "")]
    script = install["run"]
    assert 'pip install --disable-pip-version-check --quiet "$ACTION_PATH"' in script
    assert "git+https://github.com/jupyterhealth/jhe-sync@v${JHE_SYNC_VERSION}" in script
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"


def test_the_environment_the_steps_set_is_what_the_ci_commands_read() -> None:
    for command in ("plan", "comment", "review", "apply"):
        step = step_running(command)
        read = {p.envvar for p in ci_command(command).params if isinstance(p.envvar, str)}
        read |= {"JHE_CLIENT_SECRET", "JHE_PLAN_KEY", "GITHUB_TOKEN", "NO_COLOR"}
        assert set(step["env"]) <= read, f"ci {command} does not read {set(step['env']) - read}"


def test_the_plan_artifact_is_named_as_the_merge_job_looks_for_it() -> None:
    [upload] = [s for s in STEPS if s.get("name") == "Save the plan"]
    assert upload["with"]["name"] == "jhe-sync-plan-${{ inputs.name }}"
    assert artifact_name("production") == "jhe-sync-plan-production"
    assert upload["with"]["path"].endswith("/plan.json")


def test_the_job_fails_last_after_the_comment_and_the_artifacts() -> None:
    assert STEPS[-1]["name"] == "Result" and STEPS[-1]["if"] == "always()"


# -- the example workflow ------------------------------------------------------------------


def test_the_example_uses_the_action_for_both_jobs() -> None:
    jobs = EXAMPLE["jobs"]
    modes = {
        name: [s["with"]["mode"] for s in job["steps"] if "jhe-sync@" in s.get("uses", "")]
        for name, job in jobs.items()
    }
    assert modes == {"plan": ["plan"], "apply": ["apply"]}


def test_the_example_gives_each_job_only_the_permissions_it_needs() -> None:
    assert EXAMPLE["permissions"] == {}
    assert "env" not in EXAMPLE, "no secret at the workflow's level"
    jobs = EXAMPLE["jobs"]
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["apply"]["permissions"] == {
        "contents": "read",
        "pull-requests": "read",
        "actions": "read",
    }
    assert jobs["apply"]["environment"] == "production"
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False


def test_the_example_plans_with_other_credentials_than_it_applies_with() -> None:
    def credentials(job: str) -> str:
        [step] = [s for s in EXAMPLE["jobs"][job]["steps"] if "jhe-sync@" in s.get("uses", "")]
        return str(step["with"]["client-secret"])

    assert credentials("plan") != credentials("apply")


def test_the_example_plans_again_when_the_destroy_label_is_added_or_removed() -> None:
    types = EXAMPLE[True]["pull_request"]["types"]
    assert {"labeled", "unlabeled", "synchronize"} <= set(types)


def test_the_examples_third_party_actions_are_pinned_by_commit() -> None:
    for line in EXAMPLE_TEXT.splitlines():
        if re.match(r"^\s*(- )?uses: actions/", line):
            assert PINNED.match(line), line
