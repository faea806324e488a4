"""load_desired over files and directories, variables from files and flags, and the digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhe_sync.errors import SourceLocation, SpecError
from jhe_sync.spec import SpecSource, load_desired

ONE = "version: 1\nstudies:\n  - {name: One, description: d, organization: Lifespan Lab}\n"
TWO = "version: 1\nstudies:\n  - {name: Two, description: d, organization: Lifespan Lab}\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def problems(*args: object, **kwargs: object) -> tuple:
    with pytest.raises(SpecError) as raised:
        load_desired(*args, **kwargs)  # type: ignore[arg-type]
    return raised.value.problems


def test_a_directory_is_every_yaml_file_below_it_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, {"b.yaml": TWO, "a/z.yml": ONE.replace("One", "Three"), "a.yaml": ONE})
    assert [s.name for s in load_desired([tmp_path]).studies] == ["One", "Three", "Two"]


def test_variable_files_and_hidden_files_in_a_directory_are_not_specs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": ONE,
            "prod.vars.yaml": "x: 1\n",
            ".github/ci.yml": "on: push\n",
            "notes.txt": "hi",
        },
    )
    assert [s.name for s in load_desired([tmp_path]).studies] == ["One"]


def test_files_and_directories_can_be_given_together_each_file_read_once(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": ONE, "b.yaml": TWO})
    assert len(load_desired([tmp_path / "a.yaml", tmp_path]).studies) == 2


def test_problems_name_files_as_the_user_gave_their_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"specs/a.yaml": ONE.replace("description: d, ", "")})
    monkeypatch.chdir(tmp_path)
    (problem,) = problems(["specs"])
    assert problem.location == SourceLocation(str(Path("specs/a.yaml")), 3, 5)


def test_a_missing_path_and_an_empty_directory_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found = problems([tmp_path / "nowhere.yaml", tmp_path / "empty"])
    assert [p.message.split(": ", 1)[1] for p in found] == [
        "no such file or directory",
        "no *.yaml or *.yml spec files in this directory",
    ]


def test_problems_of_every_file_are_reported_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"a.yaml": "version: 1\nstudies: [\n", "b.yaml": ONE.replace("version: 1", "version: 3")},
    )
    assert sorted(p.location.file for p in problems([tmp_path]) if p.location) == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]


def test_a_variable_file_is_a_mapping_of_names_to_values(tmp_path: Path) -> None:
    write(tmp_path, {"bad.vars.yaml": "- a\n- b\n"})
    (problem,) = problems([SpecSource.from_text(ONE)], var_files=[tmp_path / "bad.vars.yaml"])
    assert "a variable file is a mapping of names to values, not a list" in problem.message


def test_a_variable_file_value_must_be_text_a_list_or_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, {"bad.vars.yaml": "ok: 1\nsite: [[x]]\n"})
    spec = ONE.replace("name: One", "name: 'One ${ok}'")
    (problem,) = problems([SpecSource.from_text(spec)], var_files=[tmp_path / "bad.vars.yaml"])
    assert problem.location == SourceLocation(str(tmp_path / "bad.vars.yaml"), 2, 8)
    assert problem.path == "site[0]"


def test_a_var_flag_must_name_a_variable() -> None:
    (problem,) = problems([SpecSource.from_text(ONE)], variables={"site name": "x"})
    assert problem.message.startswith("--var site name=...: 'site name' is not a variable name")


def test_the_digest_changes_with_the_files_and_the_variables(tmp_path: Path) -> None:
    spec = write(tmp_path, {"a.yaml": ONE, "b.yaml": TWO})
    digest = load_desired([spec]).digest
    assert len(digest) == 64
    assert load_desired([spec]).digest == digest
    (spec / "c.yaml").write_text(
        ONE.replace("name: One", "name: 'Three ${x}'").replace(
            "version: 1", "version: 1\nvars: {x: 0}"
        )
    )
    digest = load_desired([spec]).digest
    assert load_desired([spec], variables={"x": "1"}).digest != digest
    (spec / "b.yaml").write_text(TWO + "# a comment\n")
    assert load_desired([spec]).digest != digest


def test_the_digest_does_not_depend_on_where_the_repository_is_or_the_order_of_paths(
    tmp_path: Path,
) -> None:
    one = write(tmp_path / "one", {"a.yaml": ONE, "b.yaml": TWO})
    two = write(tmp_path / "two", {"a.yaml": ONE, "b.yaml": TWO})
    assert (
        load_desired([one / "a.yaml", one / "b.yaml"]).digest
        == load_desired([two / "b.yaml", two / "a.yaml"]).digest
    )


def test_the_digest_covers_the_environment_variables_the_spec_reads() -> None:
    spec = [SpecSource.from_text(ONE.replace("description: d", "description: '${env:TEAM}'"))]
    assert (
        load_desired(spec, environ={"TEAM": "a"}).digest
        != load_desired(spec, environ={"TEAM": "b"}).digest
    )


def test_an_empty_spec_file_is_a_problem_but_an_empty_studies_list_is_not() -> None:
    (problem,) = problems([SpecSource.from_text("", "empty.yaml")])
    assert "the file is empty" in problem.message
    assert load_desired([SpecSource.from_text("version: 1\nstudies:\n")]).studies == []
