"""Flags that never surprise (issue 18): an option that swallowed the spec path says so,
a refusal is printed once, an ``--allow-destroy KEY`` that allowed nothing is said,
``--token`` on the command line is warned about, ``apply --help`` reads as ``plan
--help`` for what they share, and the shell completes study keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from jhe_sync.cli import cli

from .conftest import EXAMPLES, PAMELA, PETER, Run, write

QUICKSTART = EXAMPLES / "quickstart"


def _spec(tmp_path: Path, patients: list[str], key: str = "bp") -> Path:
    return write(
        tmp_path,
        "spec.yaml",
        f"version: 1\nstudies:\n  - key: {key}\n    name: BP\n    description: d\n"
        f"    organization: Lifespan Lab\n    patients: {json.dumps(patients)}\n",
    )


# -- a path taken as an option's value ---------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("option", ["--allow-destroy", "--target"])
def test_an_option_that_swallowed_the_spec_path_says_so(
    jhe: Callable[..., Run], command: str, option: str
) -> None:
    run = jhe(command, option, QUICKSTART, "--url", "local")

    assert run.code == 1
    assert (
        f"{option} took '{QUICKSTART}' as a study key, so no spec PATHS were given; put the "
        f"PATHS first"
    ) in run.err


def test_without_paths_and_nothing_swallowed_apply_asks_for_paths_or_a_plan(
    jhe: Callable[..., Run],
) -> None:
    run = jhe("apply", "--url", "local")

    assert run.code == 1 and "give spec PATHS, or --plan FILE" in run.err


def test_a_target_that_is_a_path_says_target_takes_a_key(
    jhe: Callable[..., Run], local: str
) -> None:
    run = jhe("plan", QUICKSTART, "--target", QUICKSTART, "--url", local)

    assert run.code == 1
    assert "names no study or organization key in the spec" in run.err
    assert f"'{QUICKSTART}' is a path: --target takes a study or organization key" in run.err


# -- refusals and allowances ----------------------------------------------------------------


def test_apply_prints_a_refusal_once(jhe: Callable[..., Run], local: str, tmp_path: Path) -> None:
    assert (
        jhe("apply", _spec(tmp_path, [PETER, PAMELA]), "--url", local, "--auto-approve").code == 0
    )

    run = jhe("apply", _spec(tmp_path, [PETER]), "--url", local, "--auto-approve")

    assert run.code == 3
    said = run.out + run.err
    assert said.count('study "bp": unenroll 1 patient: destructive; allow it') == 1
    assert "--allow-destroy bp (this study)" in run.err


def test_an_allow_destroy_key_that_allowed_nothing_is_said(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, [PETER])
    for command in (["plan"], ["apply", "--auto-approve"]):
        run = jhe(*command, spec, "--url", local, "--allow-destroy", "bp")

        assert run.code == 0, run.err
        assert (
            "Note: --allow-destroy bp allowed nothing: the plan has no destructive change in 'bp'"
        ) in run.err


def test_an_allow_destroy_key_that_allows_a_change_says_nothing_more(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert jhe("apply", _spec(tmp_path, [PETER]), "--url", local, "--auto-approve").code == 0

    run = jhe("plan", _spec(tmp_path, []), "--url", local, "--allow-destroy", "bp")

    assert "allowed nothing" not in run.err


# -- the token -----------------------------------------------------------------------------


def test_a_token_given_as_a_flag_is_warned_about(jhe: Callable[..., Run]) -> None:
    run = jhe("plan", QUICKSTART, "--url", "http://127.0.0.1:9", "--token", "t0k3n")

    assert run.err.startswith("Warning: --token puts the token in your shell history")
    assert "set JHE_TOKEN instead" in run.err
    assert "t0k3n" not in run.err


def test_a_token_from_the_environment_is_not_warned_about(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_TOKEN", "t0k3n")

    run = jhe("plan", QUICKSTART, "--url", "http://127.0.0.1:9")

    assert "Warning: --token" not in run.err


# -- help --------------------------------------------------------------------------------


def _options(name: str) -> dict[str, tuple[str, str]]:
    command = cli.commands[name]
    context = click.Context(command)
    return {
        param.name: (", ".join(param.opts), param.get_help_record(context)[1])  # type: ignore[index]
        for param in command.params
        if isinstance(param, click.Option) and param.get_help_record(context)
    }


def test_apply_help_describes_every_option_it_shares_with_plan_as_plan_does() -> None:
    plan, apply = _options("plan"), _options("apply")
    # --format is two options under one name: a plan's renderings, an apply's result.
    shared = (plan.keys() & apply.keys()) - {"output_format"}

    assert {"url", "token", "targets", "allow_destroy", "max_destroy", "color"} <= shared
    assert {name: apply[name] for name in shared} == {name: plan[name] for name in shared}


def test_help_says_what_vv_adds_over_v(jhe: Callable[..., Run]) -> None:
    run = jhe("plan", "--help")

    assert "-vv: also each answer's size, retries and their waits" in " ".join(run.out.split())


# -- shell completion ----------------------------------------------------------------------


def _complete(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, words: list[str]
) -> list[str]:
    monkeypatch.setenv("_JHE_SYNC_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", " ".join(["jhe-sync", *words]))
    monkeypatch.setenv("COMP_CWORD", str(len(words)))
    run = jhe()
    assert run.code == 0, run.err
    return [line.split(",", 1)[1] for line in run.out.splitlines() if line]


@pytest.mark.parametrize("option", ["--target", "--allow-destroy"])
def test_the_shell_completes_study_keys_from_the_spec(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, option: str
) -> None:
    write(
        tmp_path,
        "spec.yaml",
        "version: 1\nstudies:\n"
        "  - {key: cardio-a, name: A, description: d, organization: Lifespan Lab}\n"
        "  - {key: cardio-b, name: B, description: d, organization: Lifespan Lab}\n"
        "  - {key: sleep, name: S, description: d, organization: Lifespan Lab}\n",
    )

    found = _complete(jhe, monkeypatch, ["plan", str(tmp_path), option, "card"])

    assert found == ["cardio-a", "cardio-b"]


def test_the_shell_completes_nothing_from_a_spec_it_cannot_read(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, "spec.yaml", "version: 1\nstudies: [oops\n")

    assert _complete(jhe, monkeypatch, ["plan", str(tmp_path), "--target", ""]) == []
