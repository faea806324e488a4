"""One spec file's layout: ``version``, ``vars``, ``organizations``, ``templates``, ``studies``.

Checks what can be checked before templates and variables are applied (the top-level
keys, the version, the shape of each section, the keys of templates and study
entries) and hands the sections on as plain values with their places (``Where``).
The key descriptions here are also the documentation of those keys in the JSON Schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jhe_sync.errors import SourceLocation
from jhe_sync.spec.locator import Problems
from jhe_sync.spec.models import StudySpec
from jhe_sync.spec.suggest import unknown_key
from jhe_sync.spec.values import Typed, Value, Where, is_null, is_scalar, kind_of, show_path
from jhe_sync.spec.variables import (
    VARIABLE_NAME,
    Variable,
    not_a_variable_name,
    shape_problem,
)

SPEC_VERSION = 1

FILE_KEYS = {
    "version": "The spec format version. Always 1; required in every file.",
    "vars": "Variables for ${name} references in this file. --var-file and --var override them.",
    "organizations": "The organizations of the spec: settings such as prune, and when listed "
    "their practitioners' roles, patient members, parent and type.",
    "templates": "Named study templates. A study entry with use: takes every field of the template.",
    "studies": "The studies this spec manages.",
}
ENTRY_KEYS = {
    "use": "The name of a template: its fields, overridden by the fields this entry sets "
    "(lists are replaced, not merged).",
    "for_each": "Variables with lists of values: one study per combination (their product). "
    "Each value is usable as ${name} in this entry and its template.",
}
TEMPLATE_KEYS = {"use": "The name of another template this one extends."}

STUDY_FIELDS = tuple(StudySpec.model_fields)
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class Template:
    """A template as written: its fields and where they are."""

    name: str
    body: dict[str, Value]
    where: Where


@dataclass
class Entry:
    """A study or organization entry as written: its place in its file, and its fields."""

    index: int
    body: dict[str, Value]
    where: Where


@dataclass
class SpecDocument:
    """The sections of one spec file, shape-checked, not yet expanded."""

    file: str
    variables: dict[str, Variable] = field(default_factory=dict)
    templates: list[Template] = field(default_factory=list)
    studies: list[Entry] = field(default_factory=list)
    organizations: list[Entry] = field(default_factory=list)


def read_document(root: Value | None, file: str, problems: Problems) -> SpecDocument:
    """The sections of a parsed spec file; shape problems are added to ``problems``."""
    document = SpecDocument(file)
    top = Where(file)
    if root is None:
        problems.add(
            "the file is empty; a spec file starts with 'version: 1'", SourceLocation(file, 1, 1)
        )
        return document
    if not isinstance(root, dict):
        problems.add(
            f"a spec file is a mapping that starts with 'version: 1', not {kind_of(root)}", top
        )
        return document
    for key in root:
        if key not in FILE_KEYS:
            problems.add(unknown_key(key, FILE_KEYS), (top / key).key_of(), key)
    if not _version_is_supported(root, file, problems):
        return document
    if "vars" in root:
        document.variables = _variables(root["vars"], top / "vars", problems)
    if "templates" in root:
        document.templates = _templates(root["templates"], top / "templates", problems)
    if "studies" in root:
        document.studies = [
            Entry(
                entry.index,
                _known_keys_only(
                    entry.body,
                    (*STUDY_FIELDS, *ENTRY_KEYS),
                    entry.where,
                    f"studies[{entry.index}]",
                    problems,
                ),
                entry.where,
            )
            for entry in _entries(root["studies"], top / "studies", "studies", problems)
        ]
    if "organizations" in root:
        document.organizations = _entries(
            root["organizations"], top / "organizations", "organizations", problems
        )
    return document


def _version_is_supported(root: dict[str, Value], file: str, problems: Problems) -> bool:
    value = root.get("version")
    if value is None:
        problems.add(
            "missing 'version: 1': every spec file starts with it",
            SourceLocation(file, 1, 1),
            "version",
        )
        return True
    if isinstance(value, Typed) and value.value == SPEC_VERSION and type(value.value) is int:
        return True
    written = (
        value.text if isinstance(value, Typed) else value if is_scalar(value) else kind_of(value)
    )
    problems.add(
        f"unsupported version {written}: this jhe-sync reads 'version: {SPEC_VERSION}'",
        Where(file, ("version",)),
        "version",
    )
    return False


def _variables(value: Value, where: Where, problems: Problems) -> dict[str, Variable]:
    if is_null(value):
        return {}
    if not isinstance(value, dict):
        problems.add(*_not(value, "a mapping of variable names to values", where, "vars"))
        return {}
    return read_variables(value, where, "vars", f"vars: in {where.file}", problems)


def read_variables(
    mapping: dict[str, Value], where: Where, path: str, source: str, problems: Problems
) -> dict[str, Variable]:
    """Variables from a mapping (a file's ``vars:`` or a var file): scalars, lists of
    them, or mappings of those (``shape_problem``)."""
    variables: dict[str, Variable] = {}
    for name, value in mapping.items():
        at = where / name
        shown = f"{path}.{name}" if path else name
        if not VARIABLE_NAME.fullmatch(name):
            problems.add(not_a_variable_name(name), at.key_of(), shown)
        elif (bad := shape_problem(value)) is not None:
            parts, part, expected = bad
            problems.add(*_not(part, expected, at.joined(parts), show_path(shown, parts)))
        elif is_null(value):
            problems.add(f"the variable {name!r} has no value", at, shown)
        else:
            variables[name] = Variable.from_value(value, source, at)
    return variables


def _templates(value: Value, where: Where, problems: Problems) -> list[Template]:
    if is_null(value):
        return []
    if not isinstance(value, dict):
        problems.add(
            *_not(value, "a mapping of template names to study fields", where, "templates")
        )
        return []
    templates = []
    for name, body in value.items():
        path = f"templates.{name}"
        at = where / name
        if not TEMPLATE_NAME.fullmatch(name):
            problems.add(
                f"{name!r} is not a template name: use letters, digits, '.', '_' and '-'",
                at.key_of(),
                path,
            )
        elif not isinstance(body, dict):
            problems.add(*_not(body, "a mapping of study fields", at, path))
        else:
            body = _known_keys_only(body, (*STUDY_FIELDS, *TEMPLATE_KEYS), at, path, problems)
            templates.append(Template(name, body, at))
    return templates


def _entries(value: Value, where: Where, section: str, problems: Problems) -> list[Entry]:
    if is_null(value):
        return []
    if not isinstance(value, list):
        problems.add(*_not(value, "a list of entries", where, section))
        return []
    entries = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            entries.append(Entry(index, item, where / index))
        else:
            problems.add(*_not(item, "a mapping of fields", where / index, f"{section}[{index}]"))
    return entries


def _known_keys_only(
    body: dict[str, Value], known: tuple[str, ...], where: Where, path: str, problems: Problems
) -> dict[str, Value]:
    """The mapping without unknown keys, each reported once here (not again per study)."""
    unknown = [key for key in body if key not in known]
    if not unknown:
        return body
    for key in unknown:
        problems.add(unknown_key(key, known), (where / key).key_of(), f"{path}.{key}")
    return {key: value for key, value in body.items() if key in known}


def _not(value: Value, expected: str, where: Where, path: str) -> tuple[str, Where, str]:
    return f"expected {expected}, not {kind_of(value)}", where, path
