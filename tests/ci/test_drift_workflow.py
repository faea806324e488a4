"""The drift recipe users copy (examples/ci/drift.yml): scheduled, least privilege,
actions pinned by commit, and calling jhe-sync with options it really has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from jhe_sync.cli import cli

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "drift.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _steps() -> list[dict[str, Any]]:
    [job] = _workflow()["jobs"].values()
    return list(job["steps"])


def test_it_runs_on_a_schedule_and_on_demand() -> None:
    triggers = _workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers


def test_it_asks_for_no_more_than_reading_code_and_runs_and_writing_issues() -> None:
    assert _workflow()["permissions"] == {"contents": "read", "issues": "write", "actions": "read"}


def test_every_action_is_pinned_by_commit() -> None:
    uses = [step["uses"] for step in _steps() if "uses" in step]
    assert uses and all(PINNED.match(u) for u in uses), uses


def test_it_keeps_the_issue_with_the_applied_commit_beside_head() -> None:
    script = _steps()[-1]["run"]
    assert "jhe-sync drift studies/ --keep-issue production" in script
    assert '--applied-root "$RUNNER_TEMP/applied" --applied-ref "$APPLIED"' in script
    assert _steps()[-1]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


def test_the_options_it_uses_are_the_commands() -> None:
    shown = CliRunner().invoke(cli, ["drift", "--help"]).output
    for option in ("--keep-issue", "--applied-root", "--applied-ref"):
        assert option in shown
