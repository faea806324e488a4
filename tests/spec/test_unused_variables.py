"""A variable given for the command that no spec file uses is refused (exit 1), with
its name and a did-you-mean: a typo must not let the wrong text reach the exchange."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
MULTI_SITE = EXAMPLES / "multi-site"


def test_a_var_flag_no_spec_uses_is_refused_with_a_did_you_mean(jhe: Callable[..., Any]) -> None:
    run = jhe("validate", MULTI_SITE, "--var", "stge=prod")
    assert run.code == 1
    assert run.err.splitlines()[1:] == [
        "  --var stge=...: no spec file uses ${stge}; did you mean ${stage}?"
    ]


def test_a_var_file_name_no_spec_uses_is_refused_at_its_line(
    jhe: Callable[..., Any], tmp_path: Path
) -> None:
    var_file = tmp_path / "prod.vars.yaml"
    var_file.write_text("stage: prod\nsits: [Lifespan Lab]\n")
    run = jhe("validate", MULTI_SITE, "--var-file", var_file)
    assert run.code == 1
    assert run.err.splitlines()[1:] == [
        f"  {var_file}:2:1: sits: no spec file uses ${{sits}}; did you mean ${{sites}}?"
    ]


def test_a_name_like_nothing_the_spec_uses_says_what_to_do(jhe: Callable[..., Any]) -> None:
    run = jhe("validate", EXAMPLES / "quickstart", "--var", "region=eu")
    assert run.code == 1
    assert "no spec file uses ${region}; remove it, or give the spec files that use it" in run.err


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_environments_var_files_hold_only_names_the_shared_spec_uses(
    jhe: Callable[..., Any], environment: str
) -> None:
    var_file = MULTI_SITE / f"{environment}.vars.yaml"
    assert jhe("validate", MULTI_SITE, "--var-file", var_file, "--var", "stage=qa").code == 0


def test_a_variable_used_only_by_a_template_counts_as_used(
    jhe: Callable[..., Any], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\n"
        "templates:\n"
        "  later: {description: 'for ${team}'}\n"
        "studies:\n"
        "  - {name: A, description: d, organization: 1}\n"
    )
    assert jhe("validate", spec, "--var", "team=cardio").code == 0


def test_each_var_file_is_checked_for_its_own_names(
    jhe: Callable[..., Any], tmp_path: Path
) -> None:
    common = tmp_path / "common.vars.yaml"
    common.write_text("sites: [Lifespan Lab]\n")
    prod = tmp_path / "prod.vars.yaml"
    prod.write_text("stage: prod\nsites: [Saturn School of Data Science]\nregion: eu\n")
    run = jhe("validate", MULTI_SITE, "--var-file", common, "--var-file", prod)
    assert run.code == 1
    assert run.err.splitlines()[1:] == [
        f"  {prod}:3:1: region: no spec file uses ${{region}}; "
        "remove it, or give the spec files that use it"
    ]


def test_a_spec_file_that_cannot_be_read_does_not_make_its_variables_unused(
    jhe: Callable[..., Any], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nstudies: [\n")
    run = jhe("validate", spec, "--var", "site=x")
    assert run.code == 1
    assert "no spec file uses" not in run.err
