"""Every mistake in a spec is one problem with its file, line, column and path.

Each row is a spec with exactly one mistake, where it is (line:column in s.yaml), the
path of the field, and words the message must hold.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from jhe_sync.errors import SourceLocation


class Case(NamedTuple):
    spec: str
    at: str
    path: str
    says: str


STUDY = """\
version: 1
studies:
  - name: Hypertension Study
    description: Remote monitoring.
    organization: Lifespan Lab
"""
"""A valid spec; rows add one line to its study (line 6) or change one."""


def study_with(line: str) -> str:
    return STUDY + f"    {line}\n"


CASES = {
    # file layout
    "unknown top-level key": Case(
        STUDY + "studys: []\n", "6:1", "studys", "unknown key 'studys'; did you mean 'studies'?"
    ),
    "version missing": Case(
        STUDY.replace("version: 1\n", ""), "1:1", "version", "missing 'version: 1'"
    ),
    "version unsupported": Case(
        STUDY.replace("version: 1", "version: 2"), "1:10", "version", "unsupported version 2"
    ),
    "section of the wrong shape": Case(
        "version: 1\nstudies:\n  name: x\n",
        "3:3",
        "studies",
        "expected a list of entries, not a mapping",
    ),
    "entry that is not a mapping": Case(
        "version: 1\nstudies:\n  - just text\n",
        "3:5",
        "studies[0]",
        "expected a mapping of fields, not text",
    ),
    # study fields
    "unknown study key": Case(
        study_with("scope_request: []"),
        "6:5",
        "studies[0].scope_request",
        "unknown key 'scope_request'; did you mean 'scope_requests'?",
    ),
    "name missing": Case(
        STUDY.replace("  - name: Hypertension Study\n    description", "  - description"),
        "3:5",
        "studies[0].name",
        "missing required key 'name'",
    ),
    "description missing": Case(
        STUDY.replace("    description: Remote monitoring.\n", ""),
        "3:5",
        "studies[0].description",
        "missing required key 'description'",
    ),
    "organization missing": Case(
        STUDY.replace("    organization: Lifespan Lab\n", ""),
        "3:5",
        "studies[0].organization",
        "missing required key 'organization'",
    ),
    "empty name": Case(
        STUDY.replace("name: Hypertension Study", 'name: ""'),
        "3:11",
        "studies[0].name",
        "must not be empty",
    ),
    "wrong type": Case(
        study_with("protect: maybe"),
        "6:14",
        "studies[0].protect",
        "expected true or false, not the text 'maybe'",
    ),
    "list where a name goes": Case(
        study_with("data_sources: [CareX, [1]]"),
        "6:27",
        "studies[0].data_sources[1]",
        "expected a whole number or text, not a list",
    ),
    "scope code not of the exchange's form": Case(
        study_with("scope_requests: [omh:heart-rate:2.0, omh:blood-pressure]"),
        "6:42",
        "studies[0].scope_requests[1]",
        "'omh:blood-pressure' is not a scope code",
    ),
    "scope code with a bad version": Case(
        study_with("scope_requests: [omh:heart-rate:v2]"),
        "6:22",
        "studies[0].scope_requests[0]",
        "namespace:name:version",
    ),
    "malformed email": Case(
        study_with("patients: [ll_patient_peter@example.com, pamela.example.com]"),
        "6:46",
        "studies[0].patients[1]",
        "'pamela.example.com' is not an email address",
    ),
    "malformed email in a mapping": Case(
        study_with("patients: [{email: 'peter@'}]"),
        "6:24",
        "studies[0].patients[0].email",
        "'peter@' is not an email address",
    ),
    "malformed URL": Case(
        study_with("icon_url: example.org/icon.png"),
        "6:15",
        "studies[0].icon_url",
        "'example.org/icon.png' is not an http(s) URL",
    ),
    "patient given two ways": Case(
        study_with("patients: [{id: 40001, email: ll_patient_peter@example.com}]"),
        "6:16",
        "studies[0].patients[0]",
        "exactly one of email, identifier or id (found email, id)",
    ),
    "unknown key in a patient": Case(
        study_with("patients: [{emial: ll_patient_peter@example.com}]"),
        "6:17",
        "studies[0].patients[0].emial",
        "unknown key 'emial'; did you mean 'email'?",
    ),
    "identifier without value": Case(
        study_with('patients: [{identifier: {system: "urn:oid:1.2.3.4"}}]'),
        "6:29",
        "studies[0].patients[0].identifier.value",
        "missing required key 'value'",
    ),
    "unknown state": Case(
        study_with("state: deleted"),
        "6:12",
        "studies[0].state",
        "expected 'present' or 'absent', not 'deleted'",
    ),
    "link list written as null": Case(
        study_with("clients:"),
        "6:13",
        "studies[0].clients",
        "write [] for none, or leave the key out",
    ),
    "key with a space": Case(
        study_with("key: bp study"), "6:10", "studies[0].key", "'bp study' is not a key"
    ),
    "thing listed twice": Case(
        study_with("data_sources: [CareX, iHealth, CareX]"),
        "6:36",
        "studies[0].data_sources[2]",
        "'CareX' is listed twice (first as data_sources[0])",
    ),
    "patient listed twice": Case(
        study_with("patients: [LL_Patient_Peter@example.com, ll_patient_peter@example.com]"),
        "6:46",
        "studies[0].patients[1]",
        "is listed twice",
    ),
    "protect and absent": Case(
        study_with("protect: true\n    state: absent"),
        "7:12",
        "studies[0].state",
        "state: absent contradicts protect: true",
    ),
    # clashes between studies
    "duplicate key": Case(
        study_with("key: bp")
        + "  - key: bp\n    name: Other\n    description: d\n    organization: Lifespan Lab\n",
        "7:10",
        "studies[1].key",
        "the study key 'bp' is already used by the study at s.yaml:6:10",
    ),
    "duplicate default key": Case(
        STUDY
        + "  - name: Hypertension Study\n    description: d\n    organization: Saturn School of Data Science\n",
        "6:11",
        "studies[1].key",
        "'hypertension-study' is already used by the study at s.yaml:3:11; a key defaults to a slug",
    ),
    "duplicate name in one organization": Case(
        STUDY
        + "  - key: other\n    name: Hypertension Study\n    description: d\n    organization: Lifespan Lab\n",
        "7:11",
        "studies[1].name",
        "another study in organization 'Lifespan Lab' is named 'Hypertension Study' (at s.yaml:3:11)",
    ),
    "id pinned twice": Case(
        study_with("id: 30001")
        + "  - name: Other\n    description: d\n    organization: Lifespan Lab\n    id: 30001\n",
        "10:9",
        "studies[1].id",
        "the study id 30001 is already pinned by the study at s.yaml:6:9",
    ),
    # variables
    "undefined variable": Case(
        STUDY.replace("name: Hypertension Study", "name: BP at ${site}"),
        "3:17",
        "studies[0].name",
        "undefined variable ${site}: no variables are defined here",
    ),
    "undefined variable close to a defined one": Case(
        "version: 1\nvars: {site: Lifespan Lab}\n"
        + STUDY[11:].replace("organization: Lifespan Lab", "organization: ${sites}"),
        "6:19",
        "studies[0].organization",
        "undefined variable ${sites}; did you mean ${site}?",
    ),
    "environment variable not set": Case(
        STUDY.replace("description: Remote monitoring.", "description: For ${env:TEAM_NAME}"),
        "4:22",
        "studies[0].description",
        "the environment variable TEAM_NAME is not set",
    ),
    "expression instead of a variable": Case(
        STUDY.replace("name: Hypertension Study", "name: Study ${site + 1}"),
        "3:17",
        "studies[0].name",
        "'${site + 1}' is not a variable reference",
    ),
    "unclosed reference": Case(
        STUDY.replace("name: Hypertension Study", "name: Study ${site"),
        "3:17",
        "studies[0].name",
        "'${' is not closed",
    ),
    "list variable inside text": Case(
        "version: 1\nvars: {sites: [A, B]}\n"
        + STUDY[11:].replace("name: Hypertension Study", "name: BP ${sites}"),
        "4:14",
        "studies[0].name",
        "the variable 'sites' is a list",
    ),
    "bad variable name": Case(
        "version: 1\nvars: {site-name: A}\n" + STUDY[11:],
        "2:8",
        "vars.site-name",
        "is not a variable name",
    ),
    "variable without value": Case(
        "version: 1\nvars:\n  site:\n" + STUDY[11:],
        "3:8",
        "vars.site",
        "the variable 'site' has no value",
    ),
    # for_each
    "for_each over text": Case(
        study_with("for_each: {site: Lifespan Lab}"),
        "6:22",
        "studies[0].for_each.site",
        "for_each.site must be a list of values",
    ),
    "for_each over a variable that is not a list": Case(
        "version: 1\nvars: {site: A}\n" + STUDY[11:] + "    for_each:\n      where: ${site}\n",
        "8:14",
        "studies[0].for_each.where",
        "for_each.where must be a list of values or a mapping, but ${site} is 'A'",
    ),
    "for_each giving every study the same key": Case(
        study_with("for_each: {site: [A, B]}"),
        "3:11",
        "studies[0].key",
        "for_each gives the key 'hypertension-study' to more than one study",
    ),
    "for_each too large": Case(
        study_with(
            "for_each: {a: ["
            + ", ".join(map(str, range(101)))
            + "], b: ["
            + ", ".join(map(str, range(101)))
            + "]}"
        ),
        "6:15",
        "studies[0].for_each",
        "for_each makes 10201 studies from one entry; the limit is 10000",
    ),
    # templates
    "unknown template": Case(
        study_with("use: bp-monitorin") + "templates:\n  bp-monitoring: {}\n",
        "6:10",
        "studies[0].use",
        "unknown template 'bp-monitorin'; did you mean 'bp-monitoring'?",
    ),
    "template using an unknown template": Case(
        study_with("use: a") + "templates:\n  a: {use: b}\n",
        "8:12",
        "templates.a.use",
        "unknown template 'b'",
    ),
    "templates in a cycle": Case(
        study_with("use: a") + "templates:\n  a: {use: b}\n  b:\n    use: a\n",
        "10:10",
        "templates.b.use",
        "templates use each other in a cycle: a -> b -> a",
    ),
    "unknown key in a template": Case(
        study_with("use: a") + "templates:\n  a:\n    datasources: [CareX]\n",
        "9:5",
        "templates.a.datasources",
        "unknown key 'datasources'; did you mean 'data_sources'?",
    ),
    "bad value set by a template": Case(
        study_with("use: a") + "templates:\n  a:\n    scope_requests: [omh:heart-rate]\n",
        "9:22",
        "studies[0].scope_requests[0]",
        "not a scope code of the form the exchange uses (namespace:name:version, e.g. omh:blood-pressure:4.0) "
        "nor display text without ':' (e.g. Blood pressure) (from template 'a')",
    ),
    "field that neither entry nor template sets": Case(
        "version: 1\ntemplates:\n  a: {data_sources: [CareX]}\nstudies:\n  - use: a\n    name: N\n    organization: 1\n",
        "5:5",
        "studies[0].description",
        "missing required key 'description' (neither the entry nor template 'a' sets it)",
    ),
    # organization settings
    "unknown key in organization settings": Case(
        STUDY + "organizations:\n  - organization: Lifespan Lab\n    prnue: true\n",
        "8:5",
        "organizations[0].prnue",
        "unknown key 'prnue'; did you mean 'prune'?",
    ),
    "organization listed twice": Case(
        STUDY + "organizations:\n  - organization: Lifespan Lab\n  - organization: Lifespan Lab\n",
        "8:19",
        "organizations[1].organization",
        "the organization 'Lifespan Lab' is listed twice (first at s.yaml:7:19); "
        "give each organization one entry",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_mistake_is_one_located_problem(case: Case, problems_of) -> None:
    problems = problems_of(case.spec)
    assert len(problems) == 1, "\n".join(map(str, problems))
    (problem,) = problems
    line, column = map(int, case.at.split(":"))
    assert problem.location == SourceLocation("s.yaml", line, column), str(problem)
    assert problem.path == case.path, str(problem)
    assert case.says in problem.message


def test_all_problems_are_reported_in_one_run(problems_of) -> None:
    spec = (
        study_with("protect: maybe")
        + "  - name: Other\n    organization: Lifespan Lab\n    state: gone\n"
    )
    problems = problems_of(spec)
    assert [p.path for p in problems] == [
        "studies[0].protect",
        "studies[1].description",
        "studies[1].state",
    ]


def test_problems_are_shown_one_per_line_with_file_line_column_and_path(problems_of) -> None:
    from jhe_sync.errors import SpecError

    text = str(SpecError(problems_of(study_with("state: deleted"))))
    assert text.splitlines() == [
        "1 spec problem:",
        "  s.yaml:6:12: studies[0].state: expected 'present' or 'absent', not 'deleted'",
    ]


def test_a_template_mistake_is_reported_once_for_all_its_studies(problems_of) -> None:
    spec = (
        "version: 1\n"
        "templates:\n"
        "  a: {description: d, organization: 1, scope_requests: [omh:x]}\n"
        "studies:\n"
        "  - {use: a, name: One}\n"
        "  - {use: a, name: Two}\n"
    )
    (problem,) = problems_of(spec)
    assert problem.location == SourceLocation("s.yaml", 3, 57)


def test_a_study_key_defined_in_two_files_names_both_places(problems_of) -> None:
    one = "version: 1\nstudies:\n  - {key: bp, name: A, description: d, organization: 1}\n"
    two = "version: 1\nstudies:\n  - {key: bp, name: B, description: d, organization: 2}\n"
    (problem,) = problems_of({"a.yaml": one, "b.yaml": two})
    assert problem.location == SourceLocation("b.yaml", 3, 11)
    assert "already used by the study at a.yaml:3:11" in problem.message


def test_a_template_defined_in_two_files_names_both_places(problems_of) -> None:
    text = "version: 1\ntemplates:\n  bp: {}\n"
    (problem,) = problems_of({"a.yaml": text, "b.yaml": text})
    assert problem.location == SourceLocation("b.yaml", 3, 3)
    assert "defined twice; first at a.yaml:3:3" in problem.message


def test_each_missing_key_is_a_problem_of_its_own(problems_of) -> None:
    spec = "version: 1\nstudies:\n  - key: bare\n"
    assert [p.path for p in problems_of(spec)] == [
        "studies[0].description",
        "studies[0].name",
        "studies[0].organization",
    ]
