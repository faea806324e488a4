"""Every example in examples/ validates, alone and with each of its variable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhe_sync.spec import SpecSource, load_desired

EXAMPLES = Path(__file__).parents[2] / "examples"
SCHEMA_LINE = "# yaml-language-server: $schema="


def _spec_files() -> list[Path]:
    return sorted(
        path
        for path in EXAMPLES.rglob("*.y*ml")
        if not path.name.endswith((".vars.yaml", ".vars.yml")) and "version: 1" in path.read_text()
    )


def _example_dirs() -> list[Path]:
    return sorted({EXAMPLES / path.relative_to(EXAMPLES).parts[0] for path in _spec_files()})


@pytest.mark.parametrize("example", _example_dirs(), ids=lambda p: p.name)
def test_the_example_validates(example: Path) -> None:
    assert load_desired([example], environ={}).studies


@pytest.mark.parametrize(
    "var_file", sorted(EXAMPLES.glob("*/*.vars.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_the_example_validates_with_its_variable_file(var_file: Path) -> None:
    assert load_desired([var_file.parent], var_files=[var_file], environ={}).studies


@pytest.mark.parametrize("spec", _spec_files(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_each_example_file_names_the_schema_for_editors(spec: Path) -> None:
    first_line = spec.read_text().splitlines()[0]
    assert first_line.startswith(SCHEMA_LINE)
    schema = (spec.parent / first_line.removeprefix(SCHEMA_LINE)).resolve()
    assert schema == (EXAMPLES.parent / "specs" / "jhe-sync.schema.json").resolve()
    assert schema.is_file()


def test_the_multi_site_variable_files_select_different_organizations() -> None:
    folder = EXAMPLES / "multi-site"
    dev = load_desired([folder], var_files=[folder / "dev.vars.yaml"], environ={})
    prod = load_desired([folder], var_files=[folder / "prod.vars.yaml"], environ={})
    assert {s.organization for s in dev.studies} != {s.organization for s in prod.studies}
    # The local exchange's practitioner manages these three organizations only.
    managed = {"Lifespan Lab", "Saturn School of Data Science", "Planetary Research Institute"}
    assert {s.organization for s in [*dev.studies, *prod.studies]} <= managed


def _reference_specs() -> list[str]:
    text = (EXAMPLES.parent / "specs" / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]
    return [block for block in blocks if "version: 1" in block and "studies:" in block]


@pytest.mark.parametrize("spec", _reference_specs())
def test_the_complete_specs_in_the_reference_validate(spec: str) -> None:
    assert load_desired([SpecSource.from_text(spec)], environ={}).studies
