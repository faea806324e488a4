"""The release workflow publishes what one build made, only from a version tag, with no stored token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
WORKFLOW: dict[Any, Any] = yaml.safe_load(TEXT)
JOBS: dict[str, dict[str, Any]] = WORKFLOW["jobs"]
PINNED = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # v\d+(\.\d+)*$"
)


def steps(job: str) -> list[dict[str, Any]]:
    return JOBS[job]["steps"]


def step_using(job: str, action: str) -> dict[str, Any]:
    [step] = [step for step in steps(job) if step.get("uses", "").startswith(f"{action}@")]
    return step


def uses(job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(job) if "uses" in step]


def test_it_runs_only_for_version_tags() -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert WORKFLOW[True] == {"push": {"tags": ["v*"]}}


def test_every_action_is_pinned_by_full_commit_sha_with_its_release_in_a_comment() -> None:
    lines = [line for line in TEXT.splitlines() if re.match(r"^\s*(- )?uses:", line)]

    assert lines
    for line in lines:
        assert PINNED.match(line), f"not pinned by commit with '# vX.Y.Z': {line.strip()}"


def test_only_the_publish_job_may_mint_an_oidc_token_and_it_runs_in_the_pypi_environment() -> None:
    assert WORKFLOW["permissions"] == {}
    assert JOBS["publish"]["permissions"] == {"id-token": "write"}
    assert JOBS["publish"]["environment"]["name"] == "pypi"
    for name in ("test", "build"):
        assert JOBS[name]["permissions"] == {"contents": "read"}


def test_publishing_waits_for_the_tests_and_the_one_build() -> None:
    assert set(JOBS["publish"]["needs"]) == {"test", "build"}
    assert uses("publish") == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert "actions/checkout" not in uses("publish"), (
        "publish uploads the build's files, it does not rebuild"
    )


def test_the_published_files_are_the_build_jobs_artifact() -> None:
    upload = step_using("build", "actions/upload-artifact")
    download = step_using("publish", "actions/download-artifact")
    publish = step_using("publish", "pypa/gh-action-pypi-publish")

    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["path"] == publish["with"]["packages-dir"] == upload["with"]["path"]
    assert "password" not in publish.get("with", {}), "trusted publishing needs no token"


def test_the_build_refuses_a_tag_that_is_not_the_package_version() -> None:
    runs = [step["run"] for step in steps("build") if "run" in step]

    assert any(
        run.startswith("bash .ci/package dist ")
        and '--expect-version "${GITHUB_REF_NAME#v}"' in run
        for run in runs
    )


def test_the_tests_run_on_the_tagged_commit() -> None:
    runs = [step["run"] for step in steps("test") if "run" in step]

    assert any(run.startswith("pytest") for run in runs)
