"""The JSON Schema of one spec file, as a user writes it.

Generated from the models (``StudySpec``, ``OrganizationSettings`` and those inside
them) and the file layout (``document.FILE_KEYS``), then adjusted to the file as
written rather than the expanded result: templates need no required field, a study
entry with ``use:`` neither, a patient may be a bare email or id, and wherever a value
can come from a variable a ``${...}`` string is accepted (it is checked once expanded).
``specs/jhe-sync.schema.json`` is this function's output; a test keeps it fresh.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel

from jhe_sync.resources import LINKS
from jhe_sync.spec.document import ENTRY_KEYS, FILE_KEYS, SPEC_VERSION, TEMPLATE_KEYS, TEMPLATE_NAME
from jhe_sync.spec.models import EMAIL_PATTERN, ROLES, OrganizationSettings, StudySpec
from jhe_sync.spec.variables import VARIABLE_NAME

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/jupyterhealth/jhe-sync/specs/jhe-sync.schema.json"
"""Where the schema is published, as the other schemas of specs/ name theirs."""
_SUBSTITUTION = {"$ref": "#/$defs/Substitution"}
_REQUIRED_WITHOUT_TEMPLATE = ["name", "description", "organization"]
_REQUIRED_TO_DELETE = ["name", "organization", "state"]
"""``state: absent`` needs only what identifies the study."""

Schema = dict[str, Any]


def json_schema() -> Schema:
    """The JSON Schema of one spec file (version, vars, organizations, templates, studies)."""
    defs: Schema = {}
    study = _model_schema(StudySpec, defs)
    organization = _model_schema(OrganizationSettings, defs)
    for name in list(defs):
        defs[name] = _allow_substitution(_without_titles(defs[name]))
        defs[name]["description"] = _first_paragraph(defs[name].get("description", ""))

    fields = _allow_substitution(_without_titles(study))["properties"]
    for name in (*(link.spec_field for link in LINKS), "description"):
        fields[name] = _not_nullable(fields[name])
    fields["patients"]["items"] = {"$ref": "#/$defs/Patient"}
    for name in (*(link.spec_field for link in LINKS), "previous_names"):
        fields[name] = _or_substitution(fields[name])

    defs["Patient"] = {
        "description": "A patient to enroll: an email, an id, or a mapping with exactly one of "
        "email, identifier or id.",
        "anyOf": [
            {"type": "string", "format": "email", "pattern": EMAIL_PATTERN},
            {"type": "integer"},
            _SUBSTITUTION,
            {"$ref": "#/$defs/PatientRef"},
        ],
    }
    defs["PatientRef"]["oneOf"] = [{"required": [key]} for key in ("email", "identifier", "id")]
    defs["Substitution"] = {
        "description": "A value with ${name}, ${name.field}, ${env:NAME} or ${slug:name} "
        "references, checked once substituted.",
        "type": "string",
        "pattern": r"\$\{[^{}]*\}",
    }
    defs["Study"] = {
        "description": _first_paragraph(study["description"])
        + " An entry with use: may leave out what its template sets.",
        "type": "object",
        "properties": {
            **fields,
            "use": {"description": ENTRY_KEYS["use"], "type": "string"},
            "for_each": {
                "description": ENTRY_KEYS["for_each"],
                "type": "object",
                "propertyNames": {"pattern": _anchored(VARIABLE_NAME.pattern)},
                "additionalProperties": {
                    "anyOf": [_list_of_scalars(), _mapping_of_values(), _SUBSTITUTION]
                },
                "minProperties": 1,
            },
        },
        "additionalProperties": False,
        "anyOf": [
            {"required": ["use"]},
            {"required": _REQUIRED_WITHOUT_TEMPLATE},
            {"required": _REQUIRED_TO_DELETE, "properties": {"state": {"const": "absent"}}},
        ],
    }
    defs["Template"] = {
        "description": "Study fields that study entries take with use:. "
        "${...} references are filled from each entry's variables.",
        "type": "object",
        "properties": {
            **copy.deepcopy(fields),
            "use": {"description": TEMPLATE_KEYS["use"], "type": "string"},
        },
        "additionalProperties": False,
    }
    entry = _allow_substitution(_without_titles(organization))
    entry["description"] = _first_paragraph(organization["description"])
    entry["required"] = ["organization"]  # key: from the name when omitted
    settings = entry["properties"]
    for name in ("practitioners", "patients"):
        settings[name] = _not_nullable(settings[name])
    settings["practitioners"] = {
        "description": settings["practitioners"]["description"],
        "type": "object",
        "propertyNames": {"pattern": EMAIL_PATTERN},
        "additionalProperties": {"enum": list(ROLES)},
    }
    settings["patients"]["items"] = {"$ref": "#/$defs/Patient"}
    for name in ("practitioners", "patients", "previous_names"):
        settings[name] = _or_substitution(settings[name])
    defs["OrganizationSettings"] = entry
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "jhe-sync spec file",
        "description": "Studies of a JupyterHealth Exchange, kept in YAML. "
        "Reference: specs/README.md.",
        "type": "object",
        "properties": {
            "version": {"description": FILE_KEYS["version"], "const": SPEC_VERSION},
            "vars": {
                "description": FILE_KEYS["vars"],
                "type": "object",
                "propertyNames": {"pattern": _anchored(VARIABLE_NAME.pattern)},
                "additionalProperties": {
                    "anyOf": [_scalar(), _list_of_scalars(), _mapping_of_values()]
                },
            },
            "organizations": {
                "description": FILE_KEYS["organizations"],
                "type": "array",
                "items": {"$ref": "#/$defs/OrganizationSettings"},
            },
            "templates": {
                "description": FILE_KEYS["templates"],
                "type": "object",
                "propertyNames": {"pattern": _anchored(TEMPLATE_NAME.pattern)},
                "additionalProperties": {"$ref": "#/$defs/Template"},
            },
            "studies": {
                "description": FILE_KEYS["studies"],
                "type": "array",
                "items": {"$ref": "#/$defs/Study"},
            },
        },
        "required": ["version"],
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def json_schema_text() -> str:
    """The schema as ``specs/jhe-sync.schema.json`` holds it (what ``jhe-sync schema`` prints)."""
    return json.dumps(json_schema(), indent=2) + "\n"


def _model_schema(model: type[BaseModel], defs: Schema) -> Schema:
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    return schema


def _first_paragraph(docstring: str) -> str:
    """What a model's docstring says to a spec author; the rest is for developers."""
    return docstring.strip().split("\n\n")[0].replace("\n", " ")


def _anchored(pattern: str) -> str:
    return f"^{pattern}$"


def _scalar() -> Schema:
    return {"type": ["string", "number", "boolean"]}


def _list_of_scalars() -> Schema:
    return {"type": "array", "items": _scalar()}


def _mapping_of_values() -> Schema:
    """What a mapping variable or a for_each over a mapping holds: names to scalars,
    lists of them, or mappings of those (``{Lifespan Lab: {code: ll}}``)."""
    values = [_scalar(), _list_of_scalars()]
    record = {"type": "object", "additionalProperties": {"anyOf": values}}
    return {"type": "object", "additionalProperties": {"anyOf": [*values, record]}}


def _or_substitution(schema: Schema) -> Schema:
    """A list, or a ``${variable}`` holding one (``patients: ${site_patients}``)."""
    outer = {k: v for k, v in schema.items() if k in ("description", "default")}
    inner = {k: v for k, v in schema.items() if k not in ("description", "default")}
    return {**outer, "anyOf": [inner, _SUBSTITUTION]}


def _not_nullable(schema: Schema) -> Schema:
    """``X | None`` as ``X``: a link list written as null is an error (``[]`` means none)."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**rest, **branches[0]}


def _without_titles(schema: Any) -> Any:
    """pydantic's generated titles ("Icon Url") add nothing to the descriptions."""
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in ("properties", "$defs"):
            result[key] = {name: _without_titles(item) for name, item in value.items()}
        else:
            result[key] = _without_titles(value)
    return result


def _takes_substitution(schema: Schema) -> bool:
    """A value a ${...} string would not satisfy as written: typed or patterned."""
    return (
        schema.get("type") in ("integer", "number", "boolean")
        or "pattern" in schema
        or "enum" in schema
        or "const" in schema
    )


def _allow_substitution(schema: Schema, in_union: bool = False) -> Schema:
    """Accept a ${...} string wherever a typed or patterned value stands."""
    if "anyOf" in schema:
        branches = [_allow_substitution(b, in_union=True) for b in schema["anyOf"]]
        if any(_takes_substitution(b) for b in schema["anyOf"]):
            branches.append(_SUBSTITUTION)
        return {**schema, "anyOf": branches}
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _allow_substitution(schema["items"])}
    if "properties" in schema:
        return {
            **schema,
            "properties": {
                name: _allow_substitution(value) for name, value in schema["properties"].items()
            },
        }
    if _takes_substitution(schema) and not in_union:
        outer = {k: v for k, v in schema.items() if k in ("description", "default")}
        inner = {k: v for k, v in schema.items() if k not in ("description", "default")}
        return {**outer, "anyOf": [inner, _SUBSTITUTION]}
    return schema
