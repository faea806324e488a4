"""Variables and ``${...}`` substitution: text only, no expressions.

A reference is ``${name}`` (from ``for_each``, the file's ``vars:``, ``--var-file`` or
``--var``) or ``${env:NAME}`` (the environment); ``$${`` writes a literal ``${``. A
value that is exactly one reference takes the variable's value as it is (so a number
stays a number); a reference inside other text inserts the variable's text as written.
The result is never scanned again, so a value cannot smuggle in another reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from jhe_sync.errors import Problem, SourceLocation
from jhe_sync.spec.located import (
    MappingNode,
    Node,
    ScalarNode,
    ScalarValue,
    SequenceNode,
    join_path,
)
from jhe_sync.spec.suggest import closest

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def not_a_variable_name(name: str) -> str:
    """The message for a variable name that ``VARIABLE_NAME`` refuses."""
    return (
        f"{name!r} is not a variable name: use letters, digits and '_', not starting with a digit"
    )


_REFERENCE = re.compile(r"\$\$\{|\$\{([^{}]*)\}|\$\{")
_ENV_PREFIX = "env:"


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable's value, its text as written, and where it was set (for messages)."""

    value: ScalarValue
    text: str
    source: str
    items: tuple[Variable, ...] | None = None
    """Set for a list variable, which only a ``for_each`` value may use."""

    @classmethod
    def from_text(cls, text: str, source: str) -> Variable:
        """A variable given as text (``--var``, the environment)."""
        return cls(text, text, source)

    @classmethod
    def from_node(cls, node: ScalarNode | SequenceNode, source: str) -> Variable:
        """A variable written in YAML: a scalar, or a list of scalars."""
        if isinstance(node, ScalarNode):
            return cls(node.value, node.text, source)
        items = tuple(
            cls.from_node(item, source) for item in node.items if isinstance(item, ScalarNode)
        )
        return cls(None, "", source, items)


@dataclass(slots=True)
class Scope:
    """The variables visible at one place, and the environment.

    ``env_used`` is shared by a scope and its children: which environment variables the
    spec read, so that the spec digest changes when they do.
    """

    variables: dict[str, Variable]
    environ: Mapping[str, str]
    env_used: dict[str, str] = field(default_factory=dict)

    def with_variables(self, more: Mapping[str, Variable]) -> Scope:
        """A child scope where ``more`` shadows this scope's variables."""
        return Scope({**self.variables, **more}, self.environ, self.env_used)


def substitute_tree(node: Node, scope: Scope, path: str, problems: list[Problem]) -> Node:
    """The node with every scalar substituted; problems are appended, never raised."""
    if not node.has_references:
        return node
    if isinstance(node, ScalarNode):
        return substitute_scalar(node, scope, path, problems)
    if isinstance(node, SequenceNode):
        items = tuple(
            substitute_tree(item, scope, join_path(path, index), problems)
            for index, item in enumerate(node.items)
        )
        return (
            node
            if all(a is b for a, b in zip(items, node.items, strict=True))
            else SequenceNode(items, node.location)
        )
    entries = {
        key: substitute_tree(value, scope, join_path(path, key), problems)
        for key, value in node.entries.items()
    }
    if all(entries[key] is value for key, value in node.entries.items()):
        return node
    return MappingNode(entries, node.location, node.key_locations)


def substitute_scalar(
    node: ScalarNode, scope: Scope, path: str, problems: list[Problem]
) -> ScalarNode:
    """One scalar with its references replaced (unchanged when it has none)."""
    if not node.has_references:
        return node
    whole = _REFERENCE.fullmatch(node.text)
    if whole and whole.group(1) is not None:
        variable = _lookup(whole.group(1), node, 0, scope, path, problems)
        if variable is None:
            return node
        if variable.items is not None:
            problems.append(_list_in_text(whole.group(1), node, 0, path))
            return node
        return ScalarNode(variable.value, node.location, variable.text)
    found_problem = False
    pieces: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(node.text):
        pieces.append(node.text[last : match.start()])
        last = match.end()
        if match.group() == "$${":
            pieces.append("${")
            continue
        variable = _lookup(match.group(1), node, match.start(), scope, path, problems)
        if variable is None:
            found_problem = True
        elif variable.items is not None:
            problems.append(_list_in_text(match.group(1), node, match.start(), path))
            found_problem = True
        else:
            pieces.append(variable.text)
    if found_problem:
        return node
    pieces.append(node.text[last:])
    text = "".join(pieces)
    return ScalarNode(text, node.location, text)


def lookup_list(
    node: ScalarNode, scope: Scope, path: str, problems: list[Problem]
) -> Variable | None:
    """The variable a whole-value reference (``${sites}``) names, list or not."""
    whole = _REFERENCE.fullmatch(node.text) if isinstance(node.value, str) else None
    if whole is None or whole.group(1) is None:
        return None
    return _lookup(whole.group(1), node, 0, scope, path, problems)


def _lookup(
    reference: str | None,
    node: ScalarNode,
    offset: int,
    scope: Scope,
    path: str,
    problems: list[Problem],
) -> Variable | None:
    location = _location_in(node, offset)
    if reference is None:
        problems.append(
            Problem(
                "'${' is not closed: write ${name} or ${env:NAME}, or $${ for a literal '${'",
                location,
                path,
            )
        )
        return None
    if reference.startswith(_ENV_PREFIX):
        name = reference[len(_ENV_PREFIX) :]
        if not VARIABLE_NAME.fullmatch(name):
            problems.append(_not_a_reference(reference, location, path))
            return None
        if is_credential_name(name):
            problems.append(
                Problem(
                    f"${{env:{name}}} names a credential: a spec may not read it, since "
                    "its value would be printed in plans, saved plans and journals",
                    location,
                    path,
                )
            )
            return None
        if name not in scope.environ:
            problems.append(Problem(f"the environment variable {name} is not set", location, path))
            return None
        scope.env_used[name] = scope.environ[name]
        return Variable.from_text(scope.environ[name], f"environment variable {name}")
    if not VARIABLE_NAME.fullmatch(reference):
        problems.append(_not_a_reference(reference, location, path))
        return None
    variable = scope.variables.get(reference)
    if variable is None:
        problems.append(Problem(_undefined(reference, scope), location, path))
    return variable


_CREDENTIAL_NAME = re.compile(
    r"SECRET|TOKEN|PASSW|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|(^|_)PAT($|_)", re.I
)


def is_credential_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a credential (``JHE_TOKEN``,
    ``JHE_CLIENT_SECRET``, ``GITHUB_TOKEN``, ``AWS_SECRET_ACCESS_KEY``...). Specs are
    written by anyone who can open a pull request, and plans print what specs say."""
    return bool(_CREDENTIAL_NAME.search(name))


def _undefined(name: str, scope: Scope) -> str:
    message = f"undefined variable ${{{name}}}"
    close = closest(name, scope.variables)
    if close:
        return f"{message}; did you mean ${{{close}}}?"
    if scope.variables:
        return f"{message} (defined here: {', '.join(sorted(scope.variables))})"
    return f"{message}: no variables are defined here (set them with vars:, for_each, --var or --var-file)"


def _not_a_reference(reference: str, location: SourceLocation, path: str) -> Problem:
    return Problem(
        f"'${{{reference}}}' is not a variable reference: write ${{name}} or ${{env:NAME}} "
        "(substitution is text only, without expressions or spaces)",
        location,
        path,
    )


def _list_in_text(name: str, node: ScalarNode, offset: int, path: str) -> Problem:
    return Problem(
        f"the variable {name!r} is a list; a list variable can only be a whole for_each value",
        _location_in(node, offset),
        path,
    )


def _location_in(node: ScalarNode, offset: int) -> SourceLocation:
    if node.text_column is None:
        return node.location
    return SourceLocation(node.location.file, node.location.line, node.text_column + offset)
