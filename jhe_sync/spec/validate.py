"""Expanded studies into models, and pydantic's errors into located ``Problem``s.

pydantic reports a location as a tuple of keys and indexes into the data it was given
(plus, for a union, the member it tried). Each expanded study is turned into plain data
together with a map from the path of every value to where it was written, so each
error can name its file, line, column and path, in words a spec author understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from jhe_sync.errors import Problem, SourceLocation
from jhe_sync.resources import LINKS
from jhe_sync.spec.expand import ExpandedOrganization, ExpandedStudy
from jhe_sync.spec.located import to_plain
from jhe_sync.spec.models import (
    EMAIL_PATTERN,
    KEY_PATTERN,
    SCOPE_PATTERN,
    URL_PATTERN,
    OrganizationSettings,
    StudySpec,
    slug,
)
from jhe_sync.spec.suggest import did_you_mean

LINK_LISTS = tuple(link.spec_field for link in LINKS)
"""Omitted: not managed; []: none. Written as null, they are a mistake either way."""

_PATTERN_MESSAGES = {
    EMAIL_PATTERN: "{value!r} is not an email address",
    URL_PATTERN: "{value!r} is not an http(s) URL",
    KEY_PATTERN: "{value!r} is not a study key: use letters, digits, '.', '_' and '-' "
    "(or omit key to use a slug of the name)",
    SCOPE_PATTERN: "{value!r} is not a scope code of the form the exchange uses "
    "(namespace:name:version, e.g. omh:blood-pressure:4.0) nor display text without ':' "
    "(e.g. Blood pressure)",
}
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def validate_study(study: ExpandedStudy, problems: list[Problem]) -> StudySpec | None:
    """The study as a model with its locations attached, or None (problems appended)."""
    locations: dict[str, SourceLocation] = {}
    key_locations: dict[str, SourceLocation] = {}
    data = to_plain(study.body, "", locations, key_locations)
    assert isinstance(data, dict)
    if "key" not in data:
        name = data.get("name")
        # No usable name: the name's own error says so; a made-up key avoids a second one.
        data["key"] = slug(name) if isinstance(name, str) else "study"
        if "name" in locations:
            locations["key"] = locations["name"]
    nulls = [field for field in LINK_LISTS if field in data and data[field] is None]
    for field in nulls:
        problems.append(
            Problem(
                f"{field} is empty (null): write [] for none, or leave the key out "
                "to leave them as they are on the exchange",
                locations[field],
                f"{study.path}.{field}",
            )
        )
        del data[field]
    try:
        model = StudySpec.model_validate(data)
    except ValidationError as error:
        context = _TemplateContext(study.template, study.from_template)
        problems.extend(
            problems_from(
                error, data, locations, key_locations, study.origin, study.path, StudySpec, context
            )
        )
        return None
    if nulls:
        return None
    return model.with_locations(study.origin, locations)


def validate_organization(
    entry: ExpandedOrganization, problems: list[Problem]
) -> OrganizationSettings | None:
    """One ``organizations:`` entry as a model, or None (problems appended)."""
    locations: dict[str, SourceLocation] = {}
    key_locations: dict[str, SourceLocation] = {}
    data = to_plain(entry.body, "", locations, key_locations)
    try:
        model = OrganizationSettings.model_validate(data)
    except ValidationError as error:
        problems.extend(
            problems_from(
                error,
                data,
                locations,
                key_locations,
                entry.origin,
                entry.path,
                OrganizationSettings,
                None,
            )
        )
        return None
    return model.with_origin(entry.origin)


class _TemplateContext:
    """Says which template set a field, so the author knows which of the two to fix."""

    def __init__(self, template: str | None, from_template: Mapping[str, str]) -> None:
        self._template = template
        self._from = from_template

    def note(self, field: str, missing: bool) -> str:
        if missing:
            return (
                f" (neither the entry nor template {self._template!r} sets it)"
                if self._template
                else ""
            )
        template = self._from.get(field)
        return f" (from template {template!r})" if template else ""


def problems_from(
    error: ValidationError,
    data: object,
    locations: Mapping[str, SourceLocation],
    key_locations: Mapping[str, SourceLocation],
    origin: SourceLocation,
    prefix: str,
    model: type[BaseModel],
    context: _TemplateContext | None,
) -> list[Problem]:
    """One problem per wrong value (a union's several complaints become one)."""
    # Errors about one value are one problem; a missing key is a problem of its own.
    grouped: dict[tuple[str, str], list[ErrorDetails]] = {}
    values: dict[str, Any] = {}
    for detail in error.errors(include_url=False):
        path, value, rest = _follow(data, detail["loc"])
        grouped.setdefault((path, rest if detail["type"] == "missing" else ""), []).append(detail)
        values[path] = value
    problems = []
    for (path, rest), details in grouped.items():
        value = values[path]
        detail = details[0]
        kind = detail["type"]
        field = path.split(".", 1)[0].split("[", 1)[0] or rest
        if kind == "missing":
            full = f"{path}.{rest}" if path else rest
            location = locations.get(path, origin)
            message = f"missing required key {rest!r}"
            note = context.note(rest, missing=True) if context and not path else ""
        elif kind == "extra_forbidden":
            full = path
            location = key_locations.get(path, locations.get(path, origin))
            key = path.rsplit(".", 1)[-1]
            message = f"unknown key {key!r}{did_you_mean(key, _known_keys(model, path))}"
            note = context.note(field, missing=False) if context else ""
        else:
            full = path
            location = locations.get(path, origin)
            message = _message(details, value)
            note = context.note(field, missing=False) if context else ""
        problems.append(Problem(message + note, location, _join(prefix, full)))
    return problems


def _follow(data: object, loc: tuple[int | str, ...]) -> tuple[str, Any, str]:
    """How far ``loc`` goes into ``data``: the path reached, the value there, what is left.

    What is left is a missing key's name, or a union member's tag (``int``, ``str``).
    """
    path = ""
    value = data
    for index, part in enumerate(loc):
        if isinstance(value, dict) and isinstance(part, str) and part in value:
            value = value[part]
            path = f"{path}.{part}" if path else part
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
            path = f"{path}[{part}]"
        else:
            rest = loc[index]
            return path, value, str(rest)
    return path, value, ""


def _message(details: list[ErrorDetails], value: object) -> str:
    # A union tried several types. A constraint that failed (an empty name, a
    # malformed email) says more than "expected a number or text"; say that one.
    constraint = [d for d in details if d["type"] not in _EXPECTED]
    if constraint:
        return _one_message(constraint[0], value)
    expected = " or ".join(dict.fromkeys(_EXPECTED[d["type"]] for d in details))
    return f"expected {expected}, not {_describe(value)}"


def _one_message(detail: ErrorDetails, value: object) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        template = _PATTERN_MESSAGES.get(
            str(ctx.get("pattern")), "{value!r} is not in the expected form"
        )
        return template.format(value=value)
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, not {value!r}"
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    return detail["msg"][:1].lower() + detail["msg"][1:]


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _known_keys(model: type[BaseModel], path: str) -> list[str]:
    """The keys allowed where an unknown one sits, in ``model`` or a model nested in it."""
    parts = [p.split("[", 1)[0] for p in path.split(".")[:-1]]
    for part in parts:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        nested = _nested_model(annotation)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _nested_model(argument)
        if found is not None:
            return found
    return None


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"
