"""One spec file's layout: ``version``, ``vars``, ``organizations``, ``templates``, ``studies``.

Checks what can be checked before templates and variables are applied (the top-level
keys, the version, the shape of each section, the keys of templates and study
entries) and hands the sections on as located nodes. The key descriptions here are
also the documentation of those keys in the JSON Schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jhe_sync.errors import Problem, SourceLocation
from jhe_sync.spec.located import MappingNode, Node, ScalarNode, SequenceNode, kind_of
from jhe_sync.spec.models import StudySpec
from jhe_sync.spec.suggest import unknown_key
from jhe_sync.spec.variables import VARIABLE_NAME, Variable, not_a_variable_name

SPEC_VERSION = 1

FILE_KEYS = {
    "version": "The spec format version. Always 1; required in every file.",
    "vars": "Variables for ${name} references in this file. --var-file and --var override them.",
    "organizations": "Settings per organization, such as prune.",
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
    """A template as written: its fields and where its name is."""

    name: str
    body: MappingNode
    location: SourceLocation


@dataclass
class SpecDocument:
    """The sections of one spec file, shape-checked, not yet expanded."""

    file: str
    variables: dict[str, Variable] = field(default_factory=dict)
    templates: list[Template] = field(default_factory=list)
    studies: list[tuple[int, MappingNode]] = field(default_factory=list)
    organizations: list[tuple[int, MappingNode]] = field(default_factory=list)


def read_document(root: Node | None, file: str, problems: list[Problem]) -> SpecDocument:
    """The sections of a parsed spec file; shape problems are appended to ``problems``."""
    document = SpecDocument(file)
    if root is None:
        problems.append(
            Problem(
                "the file is empty; a spec file starts with 'version: 1'",
                SourceLocation(file, 1, 1),
            )
        )
        return document
    if not isinstance(root, MappingNode):
        problems.append(
            Problem(
                f"a spec file is a mapping that starts with 'version: 1', not {kind_of(root)}",
                root.location,
            )
        )
        return document
    for key in root:
        if key not in FILE_KEYS:
            problems.append(unknown_key(key, FILE_KEYS, root.key_location(key), key))
    if not _version_is_supported(root, file, problems):
        return document
    if "vars" in root.entries:
        document.variables = _variables(root.entries["vars"], problems)
    if "templates" in root.entries:
        document.templates = _templates(root.entries["templates"], problems)
    if "studies" in root.entries:
        document.studies = [
            (
                index,
                _known_keys_only(
                    entry, (*STUDY_FIELDS, *ENTRY_KEYS), f"studies[{index}]", problems
                ),
            )
            for index, entry in _entries(root.entries["studies"], "studies", problems)
        ]
    if "organizations" in root.entries:
        document.organizations = _entries(root.entries["organizations"], "organizations", problems)
    return document


def _version_is_supported(root: MappingNode, file: str, problems: list[Problem]) -> bool:
    node = root.entries.get("version")
    if node is None:
        problems.append(
            Problem(
                "missing 'version: 1': every spec file starts with it",
                SourceLocation(file, 1, 1),
                "version",
            )
        )
        return True
    value = node.value if isinstance(node, ScalarNode) else None
    if value == SPEC_VERSION and type(value) is int:
        return True
    problems.append(
        Problem(
            f"unsupported version {node.text if isinstance(node, ScalarNode) else kind_of(node)}: "
            f"this jhe-sync reads 'version: {SPEC_VERSION}'",
            node.location,
            "version",
        )
    )
    return False


def _variables(node: Node, problems: list[Problem]) -> dict[str, Variable]:
    if _is_null(node):
        return {}
    if not isinstance(node, MappingNode):
        problems.append(_not(node, "a mapping of variable names to values", "vars"))
        return {}
    return read_variables(node, "vars", f"vars: in {node.location.file}", problems)


def read_variables(
    node: MappingNode, path: str, source: str, problems: list[Problem]
) -> dict[str, Variable]:
    """Variables from a mapping (a file's ``vars:`` or a var file): scalars or lists of them."""
    variables: dict[str, Variable] = {}
    for name, value in node.entries.items():
        where = f"{path}.{name}" if path else name
        if not VARIABLE_NAME.fullmatch(name):
            problems.append(
                Problem(
                    not_a_variable_name(name),
                    node.key_location(name),
                    where,
                )
            )
        elif isinstance(value, MappingNode) or (
            isinstance(value, SequenceNode)
            and not all(isinstance(i, ScalarNode) for i in value.items)
        ):
            problems.append(_not(value, "text, a number, true/false, or a list of those", where))
        elif isinstance(value, ScalarNode) and value.value is None:
            problems.append(Problem(f"the variable {name!r} has no value", value.location, where))
        else:
            variables[name] = Variable.from_node(value, source)
    return variables


def _templates(node: Node, problems: list[Problem]) -> list[Template]:
    if _is_null(node):
        return []
    if not isinstance(node, MappingNode):
        problems.append(_not(node, "a mapping of template names to study fields", "templates"))
        return []
    templates = []
    for name, body in node.entries.items():
        path = f"templates.{name}"
        if not TEMPLATE_NAME.fullmatch(name):
            problems.append(
                Problem(
                    f"{name!r} is not a template name: use letters, digits, '.', '_' and '-'",
                    node.key_location(name),
                    path,
                )
            )
        elif not isinstance(body, MappingNode):
            problems.append(_not(body, "a mapping of study fields", path))
        else:
            body = _known_keys_only(body, (*STUDY_FIELDS, *TEMPLATE_KEYS), path, problems)
            templates.append(Template(name, body, node.key_location(name)))
    return templates


def _entries(node: Node, section: str, problems: list[Problem]) -> list[tuple[int, MappingNode]]:
    if _is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        problems.append(_not(node, "a list of entries", section))
        return []
    entries = []
    for index, item in enumerate(node.items):
        if isinstance(item, MappingNode):
            entries.append((index, item))
        else:
            problems.append(_not(item, "a mapping of fields", f"{section}[{index}]"))
    return entries


def _known_keys_only(
    body: MappingNode, known: tuple[str, ...], path: str, problems: list[Problem]
) -> MappingNode:
    """The mapping without unknown keys, each reported once here (not again per study)."""
    unknown = [key for key in body if key not in known]
    if not unknown:
        return body
    for key in unknown:
        problems.append(unknown_key(key, known, body.key_location(key), f"{path}.{key}"))
    entries = {key: value for key, value in body.entries.items() if key in known}
    return MappingNode(entries, body.location, body.key_locations)


def _is_null(node: Node) -> bool:
    # "studies:" with nothing after it: an empty section, not a mistake.
    return isinstance(node, ScalarNode) and node.value is None


def _not(node: Node, expected: str, path: str) -> Problem:
    return Problem(f"expected {expected}, not {kind_of(node)}", node.location, path)
