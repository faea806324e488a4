"""A tiny structural JSON Schema check: the subset ``specs/plan.schema.json`` uses.

Enough to keep the published schema and the json form honest with each other,
without a jsonschema dependency: type, const, enum, properties, required,
additionalProperties, propertyNames, items, minimum, minLength, minProperties, pattern,
oneOf, anyOf, and ``$ref`` to a ``$defs`` entry of the same schema or of another one in
``specs/`` (``plan.schema.json#/$defs/change``); ``default`` and ``format`` are notes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[2] / "specs"

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}

KNOWN_KEYWORDS = {
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "pattern",
    "oneOf",
    "anyOf",
    "propertyNames",
    "minLength",
    "minProperties",
    "default",
    "format",
}


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


def errors(
    value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, path: str = "$"
) -> list[str]:
    """Every way ``value`` breaks ``schema``, as ``path: what`` lines (empty: it fits)."""
    root = root if root is not None else schema
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        return [f"{path}: the checker does not know {sorted(unknown)}"]
    if "$ref" in schema:
        document, _, pointer = schema["$ref"].partition("#")
        if document:  # another published schema, beside this one in specs/
            root = json.loads((SPECS / document).read_text(encoding="utf-8"))
        if not pointer:
            return errors(value, root, root, path)
        name = pointer.removeprefix("/$defs/")
        return errors(value, root["$defs"][name], root, path)
    found: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, name) for name in names):
            return [f"{path}: expected {' or '.join(names)}, found {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        found.append(f"{path}: {value} is below {schema['minimum']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if "minLength" in schema and isinstance(value, str) and len(value) < schema["minLength"]:
        found.append(f"{path}: {value!r} is shorter than {schema['minLength']}")
    if "anyOf" in schema and all(errors(value, option, root, path) for option in schema["anyOf"]):
        found.append(f"{path}: fits none of the anyOf options")
    if "oneOf" in schema:
        fits = [option for option in schema["oneOf"] if not errors(value, option, root, path)]
        if len(fits) != 1:
            found.append(f"{path}: fits {len(fits)} of the oneOf options, not exactly one")
    if isinstance(value, dict):
        if len(value) < schema.get("minProperties", 0):
            found.append(f"{path}: fewer than {schema['minProperties']} keys")
        for key in value:
            if "propertyNames" in schema:
                found += errors(key, schema["propertyNames"], root, f"{path}.{key} (key)")
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{path}: missing {key!r}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found += errors(item, properties[key], root, f"{path}.{key}")
            elif extra is False:
                found.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                found += errors(item, extra, root, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += errors(item, schema["items"], root, f"{path}[{index}]")
    return found
