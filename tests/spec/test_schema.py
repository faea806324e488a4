"""The published JSON Schema: generated from the models, checked in, and coherent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jhe_sync.spec import json_schema, json_schema_text
from jhe_sync.spec.document import FILE_KEYS
from jhe_sync.spec.models import EMAIL_PATTERN, OrganizationSettings, StudySpec

CHECKED_IN = Path(__file__).parents[2] / "specs" / "jhe-sync.schema.json"


def test_the_checked_in_schema_is_what_the_models_generate() -> None:
    assert CHECKED_IN.read_text() == json_schema_text(), (
        "specs/jhe-sync.schema.json is stale: run 'jhe-sync schema > specs/jhe-sync.schema.json'"
    )


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def test_every_reference_in_the_schema_resolves() -> None:
    schema = json_schema()
    assert {ref.removeprefix("#/$defs/") for ref in _refs(schema)} <= set(schema["$defs"])


def test_the_schema_describes_the_file_layout_and_every_study_key() -> None:
    schema = json_schema()
    assert set(schema["properties"]) == set(FILE_KEYS)
    assert schema["required"] == ["version"]
    study = schema["$defs"]["Study"]["properties"]
    assert set(study) == {*StudySpec.model_fields, "use", "for_each"}
    assert all(field.get("description") for field in study.values())


def test_a_study_entry_needs_name_description_and_organization_unless_it_uses_a_template() -> None:
    assert json_schema()["$defs"]["Study"]["anyOf"] == [
        {"required": ["use"]},
        {"required": ["name", "description", "organization"]},
        {
            "required": ["name", "organization", "state"],
            "properties": {"state": {"const": "absent"}},
        },
    ]


def test_typed_values_also_accept_a_substitution() -> None:
    study = json_schema()["$defs"]["Study"]["properties"]
    assert {"$ref": "#/$defs/Substitution"} in study["protect"]["anyOf"]
    assert {"$ref": "#/$defs/Substitution"} in study["scope_requests"]["anyOf"][0]["items"]["anyOf"]


def test_a_list_also_accepts_a_variable_holding_one() -> None:
    study = json_schema()["$defs"]["Study"]["properties"]
    for name in ("scope_requests", "data_sources", "clients", "patients", "previous_names"):
        assert study[name]["anyOf"][1] == {"$ref": "#/$defs/Substitution"}, name


def test_the_schema_text_is_stable_json() -> None:
    assert json.loads(json_schema_text()) == json_schema()


def test_an_organization_entry_needs_only_its_organization() -> None:
    entry = json_schema()["$defs"]["OrganizationSettings"]
    assert entry["required"] == ["organization"]
    assert set(entry["properties"]) == set(OrganizationSettings.model_fields)


def test_practitioners_are_emails_with_one_of_three_roles() -> None:
    practitioners = json_schema()["$defs"]["OrganizationSettings"]["properties"]["practitioners"]
    mapping = practitioners["anyOf"][0]
    assert mapping["propertyNames"] == {"pattern": EMAIL_PATTERN}
    assert mapping["additionalProperties"] == {"enum": ["manager", "member", "viewer"]}
