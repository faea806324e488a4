"""Templates, for_each and variables, as the spec reference describes them."""

from __future__ import annotations

from jhe_sync.errors import SourceLocation

TEMPLATED = """\
version: 1
vars:
  stage: test
templates:
  bp:
    description: BP at ${site} (${stage}).
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    data_sources: [CareX, iHealth]
studies:
  - use: bp
    for_each:
      site: [Lifespan Lab, Saturn School of Data Science]
    name: BP - ${site}
    organization: ${site}
"""


def test_a_template_is_stamped_once_per_for_each_value(load_text) -> None:
    desired = load_text(TEMPLATED)
    assert [(s.key, s.organization, s.description) for s in desired.studies] == [
        ("bp-lifespan-lab", "Lifespan Lab", "BP at Lifespan Lab (test)."),
        (
            "bp-saturn-school-of-data-science",
            "Saturn School of Data Science",
            "BP at Saturn School of Data Science (test).",
        ),
    ]
    assert desired.studies[0].data_sources == ["CareX", "iHealth"]


def test_for_each_over_several_variables_takes_their_product_first_variable_outermost(
    load_text,
) -> None:
    spec = TEMPLATED.replace(
        "      site: [Lifespan Lab, Saturn School of Data Science]\n",
        "      site: [Lifespan Lab, Saturn School of Data Science]\n      arm: [a, b]\n",
    ).replace("name: BP - ${site}", "name: BP ${arm} - ${site}")
    assert [s.name for s in load_text(spec).studies] == [
        "BP a - Lifespan Lab",
        "BP b - Lifespan Lab",
        "BP a - Saturn School of Data Science",
        "BP b - Saturn School of Data Science",
    ]


def test_a_field_the_entry_sets_replaces_the_templates_and_lists_are_not_merged(load_text) -> None:
    spec = TEMPLATED.replace(
        "    organization: ${site}\n", "    organization: ${site}\n    data_sources: [Dexcom]\n"
    )
    assert {tuple(s.data_sources or ()) for s in load_text(spec).studies} == {("Dexcom",)}


def test_an_omitted_link_list_stays_unmanaged_and_an_empty_one_means_none(load_text) -> None:
    spec = "version: 1\nstudies:\n  - {name: A, description: d, organization: 1, clients: []}\n"
    (study,) = load_text(spec).studies
    assert study.clients == []
    assert study.data_sources is None
    assert study.scope_requests is None
    assert study.patients is None


def test_templates_can_use_templates_the_nearer_one_winning(load_text) -> None:
    spec = (
        "version: 1\n"
        "templates:\n"
        "  base: {description: base, data_sources: [CareX]}\n"
        "  child: {use: base, description: child}\n"
        "studies:\n"
        "  - {use: child, name: A, organization: 1}\n"
    )
    (study,) = load_text(spec).studies
    assert (study.description, study.data_sources) == ("child", ["CareX"])


def test_templates_are_shared_across_files(load_text) -> None:
    templates = "version: 1\ntemplates:\n  t: {description: d, organization: Lifespan Lab}\n"
    studies = "version: 1\nstudies:\n  - {use: t, name: A}\n"
    (study,) = load_text({"templates.yaml": templates, "studies.yaml": studies}).studies
    assert study.organization == "Lifespan Lab"


def test_var_files_override_file_vars_and_var_flags_override_both(load_text, tmp_path) -> None:
    first = tmp_path / "one.vars.yaml"
    first.write_text("stage: one\nsite: Lifespan Lab\n")
    second = tmp_path / "two.vars.yaml"
    second.write_text("stage: two\n")
    spec = "version: 1\nvars: {stage: file, site: x}\nstudies:\n  - {name: '${stage} ${site}', description: d, organization: 1}\n"
    assert load_text(spec, var_files=[first]).studies[0].name == "one Lifespan Lab"
    assert load_text(spec, var_files=[first, second]).studies[0].name == "two Lifespan Lab"
    assert (
        load_text(spec, var_files=[first, second], variables={"stage": "flag"}).studies[0].name
        == "flag Lifespan Lab"
    )


def test_for_each_values_shadow_every_other_variable(load_text) -> None:
    spec = TEMPLATED.replace("    name: BP - ${site}", "    name: BP - ${site}")
    names = [s.name for s in load_text(spec, variables={"site": "ignored"}).studies]
    assert names == ["BP - Lifespan Lab", "BP - Saturn School of Data Science"]


def test_a_file_s_vars_apply_to_that_file_only(problems_of) -> None:
    one = "version: 1\nvars: {site: A}\nstudies: []\n"
    two = "version: 1\nstudies:\n  - {name: '${site}', description: d, organization: 1}\n"
    (problem,) = problems_of({"one.yaml": one, "two.yaml": two})
    assert problem.location == SourceLocation("two.yaml", 3, 13)
    assert "undefined variable ${site}" in problem.message


def test_for_each_takes_a_list_from_a_variable(load_text, tmp_path) -> None:
    var_file = tmp_path / "prod.vars.yaml"
    var_file.write_text("sites: [Lifespan Lab, Planetary Research Institute]\n")
    spec = TEMPLATED.replace(
        "      site: [Lifespan Lab, Saturn School of Data Science]", "      site: ${sites}"
    )
    assert [s.organization for s in load_text(spec, var_files=[var_file]).studies] == [
        "Lifespan Lab",
        "Planetary Research Institute",
    ]


def test_a_whole_value_reference_keeps_the_variables_type(load_text) -> None:
    spec = (
        "version: 1\n"
        "studies:\n"
        "  - for_each: {org: [20003]}\n"
        "    name: Study in ${org}\n"
        "    description: d\n"
        "    organization: ${org}\n"
        "    protect: ${locked}\n"
        "    id: ${pin}\n"
    )
    (study,) = load_text(spec, variables={"locked": "true", "pin": "30001"}).studies
    assert (study.name, study.organization, study.protect, study.id) == (
        "Study in 20003",
        20003,
        True,
        30001,
    )


def test_environment_variables_are_read_with_the_env_prefix(load_text) -> None:
    spec = "version: 1\nstudies:\n  - {name: A, description: 'by ${env:TEAM}', organization: 1}\n"
    assert load_text(spec, environ={"TEAM": "cardio"}).studies[0].description == "by cardio"


def test_substitution_is_text_only_and_never_rescanned(load_text) -> None:
    spec = "version: 1\nstudies:\n  - {name: 'A ${x}', description: '${y}', organization: 1}\n"
    study = load_text(spec, variables={"x": "${env:SECRET}", "y": "$${x}"}).studies[0]
    assert study.name == "A ${env:SECRET}"
    assert study.description == "$${x}"


def test_a_doubled_dollar_writes_a_literal_reference(load_text) -> None:
    spec = "version: 1\nstudies:\n  - {name: A, description: 'write $${site} for the site', organization: 1}\n"
    assert load_text(spec).studies[0].description == "write ${site} for the site"


def test_the_key_defaults_to_a_slug_of_the_expanded_name(load_text) -> None:
    spec = (
        "version: 1\nstudies:\n  - {name: 'BP & HR — ${where}!', description: d, organization: 1}\n"
    )
    assert (
        load_text(spec, variables={"where": "Lifespan Lab"}).studies[0].key == "bp-hr-lifespan-lab"
    )


def test_a_number_where_text_goes_is_read_as_text(load_text) -> None:
    spec = "version: 1\nstudies:\n  - for_each: {year: [2024]}\n    name: ${year}\n    description: d\n    organization: 1\n"
    assert load_text(spec).studies[0].name == "2024"


def test_digits_where_a_name_or_id_goes_are_an_id(load_text) -> None:
    spec = "version: 1\nstudies:\n  - {name: A, description: d, organization: '20003', data_sources: ['70001', Dexcom]}\n"
    study = load_text(spec).studies[0]
    assert (study.organization, study.data_sources) == (20003, [70001, "Dexcom"])


def test_patients_are_given_by_email_identifier_or_id(load_text) -> None:
    spec = (
        "version: 1\n"
        "studies:\n"
        "  - name: A\n"
        "    description: d\n"
        "    organization: Lifespan Lab\n"
        "    patients:\n"
        "      - LL_Patient_Pamela@example.com\n"
        "      - identifier: {system: 'urn:oid:1.2.3.4', value: E1234}\n"
        "      - 40001\n"
        "      - {id: 40002, key: pamela-again}\n"
    )
    labels = [p.label for p in load_text(spec).studies[0].patients or ()]
    assert labels == [
        "ll_patient_pamela@example.com",
        "urn:oid:1.2.3.4|E1234",
        "#40001",
        "pamela-again",
    ]


def test_every_study_knows_where_each_of_its_values_was_written(load_text) -> None:
    study = load_text(TEMPLATED).studies[1]
    assert study.origin == SourceLocation("s.yaml", 10, 5)
    assert study.locate("data_sources", 1) == SourceLocation("s.yaml", 8, 27)
    assert study.locate("organization") == SourceLocation("s.yaml", 14, 19)
    assert study.locate("key") == study.locate("name")
    assert study.locate("clients") == study.origin


def test_nested_values_are_located_too(load_text) -> None:
    spec = "version: 1\nstudies:\n  - name: A\n    description: d\n    organization: 1\n    patients:\n      - identifier: {system: s, value: v}\n"
    study = load_text(spec).studies[0]
    assert study.locate("patients[0].identifier.value") == SourceLocation("s.yaml", 7, 40)


def test_organization_settings_are_read_with_their_origin(load_text) -> None:
    spec = "version: 1\nvars: {org: Lifespan Lab}\norganizations:\n  - organization: ${org}\n    prune: true\n"
    (settings,) = load_text(spec).organizations
    assert (settings.organization, settings.prune) == ("Lifespan Lab", True)
    assert settings.origin == SourceLocation("s.yaml", 4, 5)
