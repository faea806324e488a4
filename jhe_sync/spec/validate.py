"""Expanded studies into models, and pydantic's errors into located ``Problem``s.

pydantic reports a location as a tuple of keys and indexes into the data it was given
(plus, for a union, the member it tried). An expanded study is plain data whose
``Places`` turn such a path into the file and path where the value was written, and
that into a line and column: so each error names its file, line, column and path, in
words a spec author understands, while a valid study costs no location at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from jhe_sync.resources import LINKS
from jhe_sync.spec.expand import ExpandedOrganization, ExpandedStudy
from jhe_sync.spec.locator import Places, Problems
from jhe_sync.spec.models import (
    EMAIL_PATTERN,
    KEY_PATTERN,
    ORGANIZATION_TYPE_PATTERN,
    SCOPE_PATTERN,
    URL_PATTERN,
    OrganizationSettings,
    StudySpec,
    slug,
)
from jhe_sync.spec.suggest import did_you_mean
from jhe_sync.spec.values import PathPart, show_path

LINK_LISTS = tuple(link.spec_field for link in LINKS)
"""Omitted: not managed; []: none. Written as null, they are a mistake either way."""
_ORGANIZATION_LISTS = {"practitioners": "{}", "patients": "[]"}
"""An organization's managed sets, as each is written empty."""

_PATTERN_MESSAGES = {
    EMAIL_PATTERN: "{value!r} is not an email address",
    URL_PATTERN: "{value!r} is not an http(s) URL",
    KEY_PATTERN: "{value!r} is not a key: use letters, digits, '.', '_' and '-' "
    "(or omit key to use a slug of the name)",
    ORGANIZATION_TYPE_PATTERN: "{value!r} is not an organization type key: write the key "
    "in lower case, as the exchange's /organizations/types lists them (e.g. laboratory, "
    "dept, team)",
    SCOPE_PATTERN: "{value!r} is not a scope code of the form the exchange uses "
    "(namespace:name:version, e.g. omh:blood-pressure:4.0) nor display text without ':' "
    "(e.g. Blood pressure)",
}
_KEY = "[key]"
"""Where pydantic's location of an error in a mapping's key ends."""
_HINTS = {
    "practitioners": "; write each practitioner as email: role (manager, member or viewer), "
    "e.g. manager_mary@example.com: manager",
}
"""What to write instead, for a value of the wrong kind where its form is not obvious."""
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


def validate_study(study: ExpandedStudy, problems: Problems) -> StudySpec | None:
    """The study as a model that knows its places, or None (problems added)."""
    data = dict(study.body)
    places = study.places
    if "key" not in data:
        name = data.get("name")
        # No usable name: the name's own error says so; a made-up key avoids a second one.
        data["key"] = slug(name) if isinstance(name, str) else "study"
        places = _key_where(places, "name", data)
    nulls = _nulls(data, dict.fromkeys(LINK_LISTS, "[]"), places, study.path, problems)
    context = _TemplateContext(study.template, study.from_template)
    # A study to delete needs only what identifies it: no description.
    undescribed = data.get("state") != "absent" and data.get("description") is None
    if undescribed:
        problems.add(
            "missing required key 'description'" + context.note("description", missing=True)
            if "description" not in data
            else "expected text, not nothing (null)" + context.note("description", missing=False),
            places.where(("description",)),
            f"{study.path}.description",
        )
    try:
        model = StudySpec.model_validate(data)
    except ValidationError as error:
        add_problems(error, data, places, study.path, StudySpec, context, problems)
        return None
    if nulls or undescribed:
        return None
    return model.with_places(places)


def validate_organization(
    entry: ExpandedOrganization, problems: Problems
) -> OrganizationSettings | None:
    """One ``organizations:`` entry as a model that knows its places, or None (problems
    added)."""
    data = dict(entry.body)
    places = entry.places
    if "key" not in data:  # the model makes it from the organization
        places = _key_where(places, "organization", data)
    nulls = _nulls(data, _ORGANIZATION_LISTS, places, entry.path, problems)
    try:
        model = OrganizationSettings.model_validate(data)
    except ValidationError as error:
        add_problems(error, data, places, entry.path, OrganizationSettings, None, problems)
        return None
    return None if nulls else model.with_places(places)


def _key_where(places: Places, source: str, data: dict[str, object]) -> Places:
    """A key made from another field is shown where that field is written."""
    if source not in data:
        return places
    return replace(places, fields={**places.fields, "key": places.where((source,))})


def _nulls(
    data: dict[str, object],
    empties: Mapping[str, str],
    places: Places,
    path: str,
    problems: Problems,
) -> list[str]:
    """Managed lists written as null: a mistake either way (none, or not managed?).
    ``empties`` says how each is written empty."""
    nulls = [field for field in empties if field in data and data[field] is None]
    for field in nulls:
        problems.add(
            f"{field} is empty (null): write {empties[field]} for none, "
            "or leave the key out to leave them as they are on the exchange",
            places.where((field,)),
            f"{path}.{field}",
        )
        del data[field]
    return nulls


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


def add_problems(
    error: ValidationError,
    data: object,
    places: Places,
    prefix: str,
    model: type[BaseModel],
    context: _TemplateContext | None,
    problems: Problems,
) -> None:
    """One problem per wrong value (a union's several complaints become one)."""
    # Errors about one value are one problem; a missing key is a problem of its own.
    grouped: dict[tuple[tuple[PathPart, ...], str], list[ErrorDetails]] = {}
    values: dict[tuple[PathPart, ...], Any] = {}
    for detail in error.errors(include_url=False):
        parts, value, rest = _follow(data, detail["loc"])
        if rest == _KEY:  # a mapping's key is wrong, not its value
            rest, value = _KEY, detail["input"]
        elif detail["type"] != "missing":
            rest = ""
        grouped.setdefault((parts, rest), []).append(detail)
        values[parts] = value
    for (parts, rest), details in _deepest(grouped).items():
        value = values[parts]
        detail = details[0]
        kind = detail["type"]
        field = str(parts[0]) if parts else rest
        if kind == "missing":
            full = (*parts, rest)
            where = places.where(parts)
            message = f"missing required key {rest!r}"
            note = context.note(rest, missing=True) if context and not parts else ""
        elif rest == _KEY:
            full = parts
            where = places.key_where(parts)
            message = _message(details, value)
            note = ""
        elif kind == "extra_forbidden":
            full = parts
            where = places.key_where(parts)
            key = str(parts[-1])
            message = f"unknown key {key!r}{did_you_mean(key, _known_keys(model, parts))}"
            note = context.note(field, missing=False) if context else ""
        else:
            full = parts
            where = places.where(parts)
            message = _message(details, value)
            note = context.note(field, missing=False) if context else ""
        hint = _HINTS.get(str(full[-1]), "") if full and kind in _EXPECTED else ""
        problems.add(
            message + note + _from_variable(places, parts) + hint, where, show_path(prefix, full)
        )


def _from_variable(places: Places, parts: tuple[PathPart, ...]) -> str:
    """Says that a value is (or is in) a list or mapping that came whole from a variable."""
    if parts in places.spliced:
        return f" (the value of ${{{places.spliced[parts][0]}}})"
    name = places.variable_of(parts)
    return f" (from the variable ${{{name}}})" if name else ""


def _follow(data: object, loc: tuple[int | str, ...]) -> tuple[tuple[PathPart, ...], Any, str]:
    """How far ``loc`` goes into ``data``: the path reached, the value there, what is left.

    What is left is a missing key's name, or a union member's tag (``int``, ``str``).
    A member's tag in the middle (``PatientRef`` in ``patients.0.PatientRef.email``) is
    stepped over.
    """
    parts: list[PathPart] = []
    value: Any = data
    rest = ""
    for part in loc:
        if not _has(value, part):
            rest = rest or str(part)
            continue
        value = value[part]
        parts.append(part)
        rest = ""
    return tuple(parts), value, rest


def _has(value: object, part: int | str) -> bool:
    if isinstance(value, dict):
        return isinstance(part, str) and part in value
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def _deepest(
    grouped: dict[tuple[tuple[PathPart, ...], str], list[ErrorDetails]],
) -> dict[tuple[tuple[PathPart, ...], str], list[ErrorDetails]]:
    """Without a value's "not the right type" errors when one member of a union got
    further into it: a mapping that is not text, with a mistake inside, is that mistake."""
    paths = {parts for parts, _ in grouped}
    return {
        (parts, rest): details
        for (parts, rest), details in grouped.items()
        if not (
            all(d["type"] in _EXPECTED for d in details)
            and any(len(other) > len(parts) and other[: len(parts)] == parts for other in paths)
        )
    }


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


def _known_keys(model: type[BaseModel], parts: tuple[PathPart, ...]) -> list[str]:
    """The keys allowed where an unknown one sits, in ``model`` or a model nested in it."""
    for part in parts[:-1]:
        if isinstance(part, int):
            continue
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
