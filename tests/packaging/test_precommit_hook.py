"""The pre-commit hook runs on spec files only, and checks them the way ``jhe-sync validate`` does.

pre-commit selects files with ``re.search(files, path)`` and then drops those matching
``exclude``; with ``pass_filenames: false`` it runs ``entry`` plus ``args`` once, from
the repository root. These tests apply the same rules to the hook as published.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
)
[HOOK] = [hook for hook in HOOKS if hook["id"] == "jhe-sync-validate"]


def triggers(path: str, hook: dict[str, Any] = HOOK) -> bool:
    """Whether pre-commit would run ``hook`` for a commit touching ``path``."""
    return bool(re.search(hook.get("files", ""), path)) and not re.search(
        hook.get("exclude", "^$"), path
    )


@pytest.mark.parametrize(
    "path",
    ["studies/hypertension.yaml", "studies/sites/lifespan.yml", "studies/templates.yaml"],
)
def test_a_spec_file_under_studies_triggers_the_hook(path: str) -> None:
    assert triggers(path)


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        "docker-compose.yaml",
        ".pre-commit-config.yaml",
        "deploy/studies/values.yaml",
        "studies/prod.vars.yaml",
        "studies/dev.vars.yml",
        "studies/README.md",
    ],
)
def test_other_yaml_files_and_var_files_do_not_trigger_it(path: str) -> None:
    assert not triggers(path)


def test_the_hook_validates_the_folder_as_a_whole_not_the_changed_files_one_by_one() -> None:
    # One file's templates and variables serve the others; a var file is no spec.
    assert HOOK["pass_filenames"] is False
    assert HOOK["args"] == ["studies/"]
    assert HOOK["language"] == "python"


def test_the_documented_override_for_another_folder_triggers_there() -> None:
    override = {**HOOK, "files": r"^specs/.*\.ya?ml$", "args": ["specs/"]}

    assert triggers("specs/study.yaml", override)
    assert not triggers("studies/study.yaml", override)


def test_the_documented_per_environment_entry_runs_when_its_var_file_changes() -> None:
    prod = {**HOOK, "exclude": "^$", "args": ["studies/", "--var-file", "studies/prod.vars.yaml"]}

    assert triggers("studies/prod.vars.yaml", prod)


def run_hook(repo: Path, hook: dict[str, Any] = HOOK) -> subprocess.CompletedProcess[str]:
    """Run the hook's command in ``repo`` as pre-commit does (with the installed console script)."""
    [program, *entry_args] = shlex.split(hook["entry"])
    script = Path(sys.executable).with_name(program)
    command = [str(script), *entry_args, *hook["args"]]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)


@pytest.fixture
def spec_repo(tmp_path: Path) -> Path:
    """A user's repository: the multi-site example under studies/, var files beside the specs."""
    shutil.copytree(ROOT / "examples" / "multi-site", tmp_path / "studies")
    return tmp_path


def test_the_hook_passes_a_valid_spec_folder_with_var_files_beside_the_specs(
    spec_repo: Path,
) -> None:
    result = run_hook(spec_repo)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


def test_the_hook_fails_a_broken_spec_naming_file_and_line(spec_repo: Path) -> None:
    (spec_repo / "studies" / "broken.yaml").write_text(
        "version: 1\nstudies:\n  - key: x\n    nme: typo\n", encoding="utf-8"
    )

    result = run_hook(spec_repo)

    assert result.returncode == 1
    assert "studies/broken.yaml:4:5" in result.stderr


def test_the_per_environment_entry_checks_its_var_file(spec_repo: Path) -> None:
    (spec_repo / "studies" / "prod.vars.yaml").write_text("sites: Lifespan Lab\n", encoding="utf-8")
    prod = {**HOOK, "args": ["studies/", "--var-file", "studies/prod.vars.yaml"]}

    assert run_hook(spec_repo).returncode == 0
    assert run_hook(spec_repo, prod).returncode == 1
