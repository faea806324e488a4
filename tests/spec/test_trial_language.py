"""What a careful user asked of the language in a trial (issue 18), through
``jhe-sync validate``: list variables where a list goes, ``for_each`` over mappings,
a slug filter for keys, and ``state: absent`` needing only what names the study.
Misuse of each is one located problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jhe_sync.errors import SourceLocation
from jhe_sync.spec import load_desired

Jhe = Callable[..., Any]

SITE_STUDY = """\
version: 1
studies:
  - name: Cardio Lifespan Lab
    description: Remote cardiology.
    organization: Lifespan Lab
    patients: ${site_patients}
"""


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    return paths


def _problems(run: Any) -> list[str]:
    assert run.code == 1, run.out + run.err
    return [line.strip() for line in run.err.splitlines()[1:]]


# -- list variables where a list is expected -------------------------------------------


def test_a_patient_list_comes_from_the_var_file_of_each_environment(
    jhe: Jhe, tmp_path: Path
) -> None:
    spec, dev, prod = _write(
        tmp_path,
        {
            "studies.yaml": SITE_STUDY,
            "dev.vars.yaml": "site_patients: [ll_patient_peter@example.com]\n",
            "prod.vars.yaml": "site_patients:\n"
            "  - ll_patient_peter@example.com\n"
            "  - ll_patient_pamela@example.com\n",
        },
    )
    assert jhe("validate", spec, "--var-file", dev).code == 0
    assert jhe("validate", spec, "--var-file", prod).code == 0
    (study,) = load_desired([spec], var_files=[prod], environ={}).studies
    assert [p.email for p in study.patients or ()] == [
        "ll_patient_peter@example.com",
        "ll_patient_pamela@example.com",
    ]


def test_a_bad_item_of_a_list_variable_is_shown_in_the_var_file(jhe: Jhe, tmp_path: Path) -> None:
    spec, prod = _write(
        tmp_path,
        {
            "studies.yaml": SITE_STUDY,
            "prod.vars.yaml": "site_patients:\n  - ll_patient_peter@example.com\n  - pamela\n",
        },
    )
    assert _problems(jhe("validate", spec, "--var-file", prod)) == [
        f"{prod}:3:5: studies[0].patients[1]: 'pamela' is not an email address "
        "(from the variable ${site_patients})"
    ]


def test_a_list_variable_where_text_goes_is_shown_at_the_reference(
    jhe: Jhe, tmp_path: Path
) -> None:
    (spec,) = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nvars: {sites: [A, B]}\nstudies:\n"
            "  - {name: '${sites}', description: d, organization: 1}\n"
        },
    )
    assert _problems(jhe("validate", spec)) == [
        f"{spec}:4:12: studies[0].name: expected text, not a list (the value of ${{sites}})"
    ]


def test_a_list_variable_inside_text_says_where_a_list_may_go(jhe: Jhe, tmp_path: Path) -> None:
    (spec,) = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nvars: {sites: [A, B]}\nstudies:\n"
            "  - {name: 'BP ${sites}', description: d, organization: 1}\n"
        },
    )
    (problem,) = _problems(jhe("validate", spec))
    assert problem.startswith(f"{spec}:4:16: studies[0].name: the variable 'sites' is a list")
    assert "a whole value where a list is expected (patients: ${name})" in problem


# -- for_each over mappings ------------------------------------------------------------

BY_SITE = """\
version: 1
studies:
  - for_each:
      site:
        Lifespan Lab: {code: LL, organization: 20003}
        Saturn School of Data Science: {code: SS, organization: 20002}
    name: Cardio ${site.code}
    description: Remote cardiology at ${site}.
    organization: ${site.organization}
"""


def test_for_each_over_a_mapping_gives_each_key_and_its_fields(load_text: Any) -> None:
    studies = load_text(BY_SITE).studies
    assert [(s.key, s.name, s.description, s.organization) for s in studies] == [
        ("cardio-ll", "Cardio LL", "Remote cardiology at Lifespan Lab.", 20003),
        ("cardio-ss", "Cardio SS", "Remote cardiology at Saturn School of Data Science.", 20002),
    ]


def test_for_each_over_a_mapping_of_plain_values_gives_them_as_value(load_text: Any) -> None:
    spec = (
        "version: 1\nstudies:\n"
        "  - for_each: {site: {Lifespan Lab: 20003, Saturn School of Data Science: 20002}}\n"
        "    name: Cardio ${site}\n    description: d\n    organization: ${site.value}\n"
    )
    assert [s.organization for s in load_text(spec).studies] == [20003, 20002]


def test_the_mapping_and_each_sites_patients_can_come_from_a_var_file(
    jhe: Jhe, tmp_path: Path
) -> None:
    spec, prod = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nstudies:\n"
            "  - for_each: {site: '${sites}'}\n"
            "    name: Cardio ${site}\n    description: d\n    organization: ${site}\n"
            "    patients: ${site.patients}\n",
            "prod.vars.yaml": "sites:\n"
            "  Lifespan Lab: {patients: [ll_patient_peter@example.com]}\n"
            "  Saturn School of Data Science: {patients: []}\n",
        },
    )
    assert jhe("validate", spec, "--var-file", prod).code == 0
    studies = load_desired([spec], var_files=[prod], environ={}).studies
    assert [(s.organization, s.patients) for s in studies] == [
        ("Lifespan Lab", ["ll_patient_peter@example.com"]),
        ("Saturn School of Data Science", []),
    ]


@pytest.mark.parametrize(
    ("line", "at", "says"),
    [
        (
            "    name: Cardio ${site.cod}\n",
            "8:18",
            "studies[0].name: ${site} has no field 'cod'; did you mean 'code'?",
        ),
        (
            "    name: Cardio ${stage.code}\n",
            "8:18",
            "studies[0].name: ${stage} has no fields to read with ${stage.code}",
        ),
        (
            "    name: Cardio ${site.organization.id}\n",
            "8:18",
            "is not a variable reference",
        ),
    ],
    ids=["unknown field", "field of a scalar", "field of a field"],
)
def test_a_field_that_is_not_there_is_a_located_problem(
    jhe: Jhe, tmp_path: Path, line: str, at: str, says: str
) -> None:
    text = BY_SITE.replace("    name: Cardio ${site.code}\n", line).replace(
        "version: 1\n", "version: 1\nvars: {stage: dev}\n"
    )
    (spec,) = _write(tmp_path, {"studies.yaml": text})
    (problem,) = _problems(jhe("validate", spec))
    assert problem.startswith(f"{spec}:{at}: ")
    assert says in problem


def test_a_mapping_inside_a_sites_fields_is_refused_where_it_is(jhe: Jhe, tmp_path: Path) -> None:
    text = BY_SITE.replace("{code: LL, organization: 20003}", "{code: {x: 1}, organization: 1}")
    (spec,) = _write(tmp_path, {"studies.yaml": text})
    assert _problems(jhe("validate", spec)) == [
        f"{spec}:5:30: studies[0].for_each.site.Lifespan Lab.code: expected text, a number, "
        "true/false or a list of those in a for_each value, not a mapping"
    ]


def test_a_mapping_variable_where_text_goes_is_shown_at_the_reference(
    jhe: Jhe, tmp_path: Path
) -> None:
    (spec,) = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nvars: {lab: {code: LL}}\nstudies:\n"
            "  - {name: '${lab}', description: d, organization: 1}\n"
        },
    )
    assert _problems(jhe("validate", spec)) == [
        f"{spec}:4:12: studies[0].name: expected text, not a mapping (the value of ${{lab}})"
    ]


# -- the slug filter -------------------------------------------------------------------


def test_the_slug_filter_makes_a_key_of_any_text(load_text: Any) -> None:
    spec = BY_SITE.replace(
        "    name: Cardio ${site.code}\n",
        "    key: cardio-${slug:site}\n    name: Cardio ${site.code}\n",
    )
    assert [s.key for s in load_text(spec).studies] == [
        "cardio-lifespan-lab",
        "cardio-saturn-school-of-data-science",
    ]


def test_the_slug_filter_reads_fields_and_the_environment(load_text: Any) -> None:
    spec = BY_SITE.replace(
        "    name: Cardio ${site.code}\n",
        "    key: ${slug:env:TEAM}-${slug:site.code}\n    name: Cardio ${site.code}\n",
    )
    keys = [s.key for s in load_text(spec, environ={"TEAM": "Heart Team"}).studies]
    assert keys == ["heart-team-ll", "heart-team-ss"]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("${slug:sites}", "${slug:...} makes a slug of text; ${sites} is a list"),
        ("x-${slug:}", "'${slug:}' is not a variable reference"),
        ("${slug:nowhere}", "undefined variable ${nowhere}"),
    ],
)
def test_misusing_the_slug_filter_is_a_located_problem(
    jhe: Jhe, tmp_path: Path, key: str, says: str
) -> None:
    (spec,) = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nvars: {sites: [A]}\nstudies:\n"
            f"  - {{key: '{key}', name: N, description: d, organization: 1}}\n"
        },
    )
    (problem,) = _problems(jhe("validate", spec))
    assert problem.startswith(f"{spec}:4:")
    assert says in problem


# -- state: absent ---------------------------------------------------------------------


def test_a_study_to_delete_needs_only_its_name_and_organization(jhe: Jhe, tmp_path: Path) -> None:
    (spec,) = _write(
        tmp_path,
        {
            "studies.yaml": "version: 1\nstudies:\n"
            "  - {name: Old Pilot, organization: Lifespan Lab, state: absent}\n"
        },
    )
    assert jhe("validate", spec).code == 0
    (study,) = load_desired([spec], environ={}).studies
    assert (study.key, study.state, study.description) == ("old-pilot", "absent", None)


def test_a_study_to_delete_still_needs_what_identifies_it(jhe: Jhe, tmp_path: Path) -> None:
    (spec,) = _write(
        tmp_path, {"studies.yaml": "version: 1\nstudies:\n  - {name: Old Pilot, state: absent}\n"}
    )
    assert _problems(jhe("validate", spec)) == [
        f"{spec}:3:5: studies[0].organization: missing required key 'organization'"
    ]


def test_a_study_to_keep_still_needs_its_description(problems_of: Any) -> None:
    (problem,) = problems_of(
        "version: 1\nstudies:\n  - name: N\n    organization: 1\n    description:\n"
    )
    assert (problem.path, problem.location) == (
        "studies[0].description",
        SourceLocation("s.yaml", 5, 17),
    )
    assert problem.message == "expected text, not nothing (null)"
