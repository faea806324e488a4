"""export: live studies as spec files that plan back to no changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jhe_sync.errors import ConfigError
from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle.export import export_specs, study_keys, write_export
from jhe_sync.lifecycle.references import References
from jhe_sync.lifecycle.spec_text import DEFAULT_SCHEMA_URL
from jhe_sync.live import (
    Caller,
    Client,
    DataSource,
    Live,
    Organization,
    Patient,
    PatientIdentifier,
    ScopeCode,
    Study,
)

from .conftest import PAMELA, PETER, apply, plan, requests, spec, spec_text

Connect = Callable[..., Exchange]

TEMPLATED = """
version: 1
vars:
  sites: [Lifespan Lab, Saturn School of Data Science, Planetary Research Institute]
templates:
  remote-bp:
    description: Remote blood pressure monitoring at ${site}, cohort ${cohort}.
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    data_sources: [CareX, iHealth]
    clients: [CareX]
studies:
  - use: remote-bp
    for_each:
      site: ${sites}
      cohort: [A, B]
    name: Remote BP ${cohort} - ${site}
    organization: ${site}
  - use: remote-bp
    key: lifespan-pilot
    name: Remote BP Pilot
    organization: Lifespan Lab
    description: "Costs $${budget}: a pilot with two patients."
    icon_url: https://example.org/icons/bp.png
    patients: [ll_patient_peter@example.com, ll_patient_pamela@example.com]
"""


# -- the round trip ----------------------------------------------------------------------


def test_an_export_of_the_seeded_exchange_plans_no_changes(exchange: Exchange) -> None:
    exported = spec(export_specs(exchange).files)
    assert plan(exchange, exported).empty


def test_an_export_of_templated_studies_plans_no_changes(exchange: Exchange) -> None:
    apply(exchange, spec_text(TEMPLATED))
    exported = spec(export_specs(exchange).files)
    assert len(exported.studies) == 2 + 7
    assert plan(exchange, exported).empty


@pytest.mark.parametrize("caller", ["manager_mark", "three_org_tom", "viewer_victor"])
def test_every_callers_export_plans_no_changes(
    emulator: Any, connect: Connect, caller: str
) -> None:
    exchange = connect(emulator, client_id=caller)
    assert plan(exchange, spec(export_specs(exchange).files)).empty


def test_exported_files_validate_as_a_spec(exchange: Exchange) -> None:
    apply(exchange, spec_text(TEMPLATED))
    for name, text in export_specs(exchange).files.items():
        assert spec({name: text}).studies


def test_an_export_is_the_same_every_time(exchange: Exchange) -> None:
    apply(exchange, spec_text(TEMPLATED))
    assert export_specs(exchange).files == export_specs(exchange, parallelism=1).files


def test_text_that_looks_like_a_variable_is_exported_as_written(exchange: Exchange) -> None:
    apply(exchange, spec_text(TEMPLATED))
    pilot = spec(export_specs(exchange).files).study("remote-bp-pilot")
    assert pilot.description == "Costs ${budget}: a pilot with two patients."


def test_text_yaml_would_misread_is_exported_as_written(exchange: Exchange) -> None:
    awkward = {
        "name": "2024: yes # not a comment",
        "description": "First line.\nSecond line, ${not a variable}: 'quoted' \"too\".",
        "organization": 20003,
    }
    exchange.write("POST", "/api/v1/studies", awkward)
    exported = spec(export_specs(exchange).files)
    study = next(s for s in exported.studies if s.name == awkward["name"])
    assert study.description == awkward["description"]
    assert plan(exchange, exported).empty


# -- what a file holds -------------------------------------------------------------------


def test_each_file_starts_with_the_schema_line_then_the_personal_data_warning(
    exchange: Exchange,
) -> None:
    text = export_specs(exchange).files["lifespan-lab.yaml"]
    first, second, *_ = text.splitlines()
    assert first == f"# yaml-language-server: $schema={DEFAULT_SCHEMA_URL}"
    assert second.startswith("# Patient emails in this file are personal data")
    assert "--no-patients" in text.split("version: 1")[0]


def test_one_file_per_organization_named_after_it(emulator: Any, connect: Connect) -> None:
    files = export_specs(connect(emulator, client_id="three_org_tom")).files
    assert list(files) == [
        "cosmic-cardio-lab.yaml",
        "lifespan-lab.yaml",
        "neptunian-pulse-lab.yaml",
    ]


def test_a_study_is_pinned_and_named_by_its_links_names(exchange: Exchange) -> None:
    study = spec(export_specs(exchange).files).study("lifespan-study-on-bp-hr")
    assert study.id == 30001
    assert study.organization == "Lifespan Lab"
    assert study.scope_requests == [
        "omh:blood-pressure:4.0",
        "omh:heart-rate:2.0",
        "QuestionnaireResponse",
    ]
    assert study.data_sources == ["CareX", "Questionnaire"]
    assert study.clients == ["CareX", "Patient Access"]
    assert [p.email for p in study.patients or ()] == [PAMELA, PETER]


def test_an_icon_url_is_written_only_when_set(exchange: Exchange) -> None:
    apply(exchange, spec_text(TEMPLATED))
    exported = spec(export_specs(exchange).files)
    assert exported.study("remote-bp-pilot").icon_url == "https://example.org/icons/bp.png"
    assert export_specs(exchange).files["lifespan-lab.yaml"].count("icon_url:") == 1


def test_an_icon_url_the_spec_cannot_hold_is_left_out_with_a_note(exchange: Exchange) -> None:
    exchange.write("PATCH", "/api/v1/studies/30001", {"iconUrl": "not a url"})  # accepted (077)
    text = export_specs(exchange).files["lifespan-lab.yaml"]
    assert "# the live icon URL is not an http(s) URL" in text
    assert "not a url" not in text
    assert spec({"lifespan-lab.yaml": text}).study("lifespan-study-on-bp-hr").icon_url is None


def test_without_patients_no_study_lists_patients(exchange: Exchange) -> None:
    files = export_specs(exchange, include_patients=False).files
    assert "\n    patients:" not in "".join(files.values())
    assert all(study.patients is None for study in spec(files).studies)


def test_without_patients_the_file_says_enrollments_are_unmanaged(exchange: Exchange) -> None:
    text = export_specs(exchange, include_patients=False).files["lifespan-lab.yaml"]
    assert "enrollments are left unmanaged" in text.split("version: 1")[0]
    assert "@" not in text


def test_without_patients_an_export_plans_no_changes(exchange: Exchange) -> None:
    assert plan(exchange, spec(export_specs(exchange, include_patients=False).files)).empty


# -- choosing studies --------------------------------------------------------------------


def test_an_organization_selects_its_studies(emulator: Any, connect: Connect) -> None:
    files = export_specs(
        connect(emulator, client_id="three_org_tom"), organizations=["Cosmic Cardio Lab"]
    ).files
    assert list(files) == ["cosmic-cardio-lab.yaml"]


def test_an_organization_can_be_given_by_id(emulator: Any, connect: Connect) -> None:
    files = export_specs(connect(emulator, client_id="three_org_tom"), organizations=[20007]).files
    assert list(files) == ["neptunian-pulse-lab.yaml"]


def test_a_study_id_selects_that_study(exchange: Exchange) -> None:
    exported = spec(export_specs(exchange, study_ids=[30002]).files)
    assert [s.id for s in exported.studies] == [30002]


def test_organizations_and_study_ids_add_up(emulator: Any, connect: Connect) -> None:
    exchange = connect(emulator, client_id="three_org_tom")
    exported = spec(
        export_specs(exchange, organizations=["Cosmic Cardio Lab"], study_ids=[30001]).files
    )
    assert sorted(s.id for s in exported.studies) == [30001, 30005]


def test_an_unknown_organization_is_refused(exchange: Exchange) -> None:
    with pytest.raises(ConfigError, match="Nowhere Lab"):
        export_specs(exchange, organizations=["Nowhere Lab"])


def test_a_study_the_caller_cannot_see_is_refused(exchange: Exchange) -> None:
    with pytest.raises(ConfigError, match="30003"):
        export_specs(exchange, study_ids=[30003])


# -- requests ----------------------------------------------------------------------------


def test_an_export_reads_five_lists_then_four_sets_per_study(
    emulator: Any, connect: Connect
) -> None:
    export_specs(connect(emulator))
    api_requests = [r for r in emulator.request_log if r.path != "/o/token/"]
    assert len(api_requests) == 5 + 4 * 2
    assert requests(emulator, "GET", "/api/v1/studies") == 1


def test_without_patients_enrollments_are_not_read(emulator: Any, connect: Connect) -> None:
    export_specs(connect(emulator), include_patients=False)
    assert requests(emulator, "GET", "/api/v1/studies/30001/patients") == 0


# -- writing files -----------------------------------------------------------------------


def test_files_are_written_into_the_directory(tmp_path: Path) -> None:
    written = write_export({"a.yaml": "version: 1\n"}, tmp_path / "out")
    assert written == [tmp_path / "out" / "a.yaml"]
    assert written[0].read_text(encoding="utf-8") == "version: 1\n"


def test_an_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="overwrite"):
        write_export({"a.yaml": "version: 1\n", "b.yaml": "version: 1\n"}, tmp_path)
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "b.yaml").exists()


def test_overwrite_replaces_existing_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("mine\n", encoding="utf-8")
    write_export({"a.yaml": "version: 1\n"}, tmp_path, overwrite=True)
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == "version: 1\n"


# -- names that would not read back ------------------------------------------------------


def _live(**fields: Any) -> Live:
    return Live(caller=Caller(1, "m@example.com"), **fields)


def test_study_keys_that_would_clash_get_the_study_id() -> None:
    studies = [Study(1, "Pilot", "d", 10), Study(2, "pilot", "d", 11), Study(3, "Main", "d", 10)]
    assert study_keys(studies) == {1: "pilot-1", 2: "pilot-2", 3: "main"}


def test_an_organization_whose_name_is_not_unique_is_written_as_its_path() -> None:
    live = _live(
        organizations={
            1: Organization(1, "North", "edu", 0),
            2: Organization(2, "South", "edu", 0),
            3: Organization(3, "Lab", "laboratory", 1),
            4: Organization(4, "Lab", "laboratory", 2),
        }
    )
    assert References(live).organization(4) == "South/Lab"


def test_a_data_source_whose_name_is_not_unique_is_written_as_its_id() -> None:
    live = _live(
        data_sources={1: DataSource(1, "Oura", "device"), 2: DataSource(2, "Oura", "device")}
    )
    assert References(live).data_source(2) == 2


def test_a_client_named_with_digits_is_written_as_its_id() -> None:
    live = _live(clients={7: Client(7, "2024")})
    assert References(live).client(7) == 7


def test_a_scope_is_written_as_its_code() -> None:
    live = _live(
        scopes={5: ScopeCode(5, "https://w3id.org/openmhealth", "omh:heart-rate:2.0", "Heart Rate")}
    )
    assert References(live).scope(5) == "omh:heart-rate:2.0"


def test_a_patient_without_email_is_written_by_identifier() -> None:
    patient = Patient(9, None, (PatientIdentifier("urn:oid:1.2.3.4", "E9"),))
    live = _live(patients={9: patient})
    assert References(live).patient(patient) == {
        "identifier": {"system": "urn:oid:1.2.3.4", "value": "E9"}
    }


def test_a_patient_without_email_or_unique_identifier_is_written_by_id() -> None:
    shared = (PatientIdentifier("urn:oid:1.2.3.4", "E9"),)
    live = _live(patients={9: Patient(9, None, shared), 10: Patient(10, None, shared)})
    assert References(live).patient(live.patients[9]) == {"id": 9}
