"""``validate --format json`` and ``--format github``: every problem with its file,
line, column, path and message, for scripts and for the pull request's files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from plan.schema_check import errors

from jhe_sync.spec import json_schema
from jhe_sync.spec.report import Validation, validation_github

Jhe = Callable[..., Any]
ROOT = Path(__file__).parents[2]
VALIDATE_SCHEMA = json.loads((ROOT / "specs" / "validate.schema.json").read_text())

BROKEN = """\
version: 1
studies:
  - name: BP
    description: d
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure]
  - name: Other
    organization: Lifespan Lab
"""


def _broken(tmp_path: Path) -> Path:
    spec = tmp_path / "studies.yaml"
    spec.write_text(BROKEN)
    return spec


def test_json_gives_every_problem_with_its_place_on_stdout_alone(jhe: Jhe, tmp_path: Path) -> None:
    spec = _broken(tmp_path)
    run = jhe("validate", spec, "--format", "json")
    assert (run.code, run.err) == (1, "")
    document = json.loads(run.out)
    assert errors(document, VALIDATE_SCHEMA) == []
    assert (document["valid"], document["studies"]) == (False, None)
    assert document["problems"] == [
        {
            "file": str(spec),
            "line": 6,
            "column": 22,
            "path": "studies[0].scope_requests[0]",
            "message": "'omh:blood-pressure' is not a scope code of the form the exchange uses "
            "(namespace:name:version, e.g. omh:blood-pressure:4.0) nor display text without "
            "':' (e.g. Blood pressure)",
        },
        {
            "file": str(spec),
            "line": 7,
            "column": 5,
            "path": "studies[1].description",
            "message": "missing required key 'description'",
        },
    ]


def test_json_of_a_valid_spec_counts_what_it_holds(jhe: Jhe) -> None:
    run = jhe("validate", ROOT / "examples" / "organizations", "--format", "json")
    assert run.code == 0
    document = json.loads(run.out)
    assert errors(document, VALIDATE_SCHEMA) == []
    assert document == {
        "format_version": 1,
        "valid": True,
        "studies": 1,
        "organizations": 2,
        "problems": [],
    }


def test_json_gives_a_problem_of_the_command_line_without_a_place(jhe: Jhe) -> None:
    run = jhe(
        "validate", ROOT / "examples" / "quickstart", "--var", "stge=prod", "--format", "json"
    )
    assert run.code == 1
    (problem,) = json.loads(run.out)["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == (None, None, None)
    assert problem["message"].startswith("--var stge=...: no spec file uses ${stge}")


def test_github_writes_one_error_command_per_problem(jhe: Jhe, tmp_path: Path) -> None:
    spec = _broken(tmp_path)
    run = jhe("validate", spec, "--format", "github")
    assert run.code == 1
    assert run.out.splitlines() == [
        f"::error file={spec},line=6,col=22::studies[0].scope_requests[0]: 'omh:blood-pressure' "
        "is not a scope code of the form the exchange uses (namespace:name:version, e.g. "
        "omh:blood-pressure:4.0) nor display text without ':' (e.g. Blood pressure)",
        f"::error file={spec},line=7,col=5::studies[1].description: missing required key "
        "'description'",
    ]


def test_github_says_ok_for_a_valid_spec(jhe: Jhe) -> None:
    run = jhe("validate", ROOT / "examples" / "quickstart", "--format", "github")
    assert (run.code, run.out) == (0, "OK: 1 studies in 1 path(s) are valid.\n")


def test_github_commands_escape_what_would_end_them() -> None:
    from jhe_sync.errors import Problem, SourceLocation

    validation = Validation.failed(
        [
            Problem("100% wrong\nsecond line", SourceLocation("a,b:c.yaml", 2, 3), "vars.x"),
            Problem("--var x=...: no spec file uses ${x}"),
        ]
    )
    assert validation_github(validation).splitlines() == [
        "::error file=a%2Cb%3Ac.yaml,line=2,col=3::vars.x: 100%25 wrong%0Asecond line",
        "::error::--var x=...: no spec file uses ${x}",
    ]


# -- the published schema of spec files -------------------------------------------------


def test_the_spec_schema_has_an_id_as_the_other_schemas_do() -> None:
    assert json_schema()["$id"] == (
        "https://github.com/jupyterhealth/jhe-sync/specs/jhe-sync.schema.json"
    )


def _example_files() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "examples").rglob("*.yaml")
        if not path.name.endswith(".vars.yaml") and "version: 1" in path.read_text()
    )


@pytest.mark.parametrize("spec", _example_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_fits_the_published_schema(spec: Path) -> None:
    assert errors(yaml.safe_load(spec.read_text()), json_schema()) == []


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nstudies:\n  - {name: N, organization: 1}\n",
        "version: 1\norganizations:\n  - {organization: A, practitioners: {mary: manager}}\n",
        "version: 1\norganizations:\n  - {organization: A, practitioners: {m@x.org: admin}}\n",
    ],
    ids=["a study without description", "a practitioner who is no email", "an unknown role"],
)
def test_the_schema_refuses_what_validate_refuses(text: str) -> None:
    assert errors(yaml.safe_load(text), json_schema()) != []
