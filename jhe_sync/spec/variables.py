"""Variables and ``${...}`` substitution: text only, no expressions.

A reference is ``${name}`` (from ``for_each``, the file's ``vars:``, ``--var-file`` or
``--var``) or ``${env:NAME}`` (the environment); ``$${`` writes a literal ``${``. A
value that is exactly one reference takes the variable's value as it is (so a number
stays a number); a reference inside other text inserts the variable's text as written.
The result is never scanned again, so a value cannot smuggle in another reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from jhe_sync.spec.locator import Problems
from jhe_sync.spec.suggest import closest
from jhe_sync.spec.values import ScalarValue, Typed, Value, Where, join_path

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
    where: Where | None = None
    """Where it was set, when that is a file."""

    @classmethod
    def from_text(cls, text: str, source: str) -> Variable:
        """A variable given as text (``--var``, the environment)."""
        return cls(text, text, source)

    @classmethod
    def from_value(cls, value: str | Typed | list[Value], source: str, where: Where) -> Variable:
        """A variable written in YAML: a scalar, or a list of scalars."""
        if isinstance(value, str):
            return cls(value, value, source, where=where)
        if isinstance(value, Typed):
            return cls(value.value, value.text, source, where=where)
        items = tuple(
            cls.from_value(item, source, where / index)
            for index, item in enumerate(value)
            if isinstance(item, str | Typed)
        )
        return cls(None, "", source, items, where)


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


def substitute(value: Value, scope: Scope, where: Where, path: str, problems: Problems) -> object:
    """The value as plain data (a typed scalar as its value) with every reference
    replaced; problems are added, never raised. Unchanged lists and mappings are
    returned as they are, not copied."""
    kind = type(value)
    if kind is str:
        if "${" not in value:  # type: ignore[operator]
            return value
        return _substitute_text(value, scope, where, path, problems)  # type: ignore[arg-type]
    if kind is Typed:
        return value.value  # type: ignore[union-attr]
    if kind is list:
        items: list[Value] = value  # type: ignore[assignment]
        result: list[object] | None = None
        for index, item in enumerate(items):
            item_kind = type(item)
            if item_kind is str and "${" not in item:  # type: ignore[operator]
                continue
            new = (
                item.value  # type: ignore[union-attr]
                if item_kind is Typed
                else substitute(item, scope, where / index, join_path(path, index), problems)
            )
            if new is not item:
                if result is None:
                    result = list(items)
                result[index] = new
        return items if result is None else result
    entries: dict[str, Value] = value  # type: ignore[assignment]
    changed: dict[str, object] | None = None
    for key, item in entries.items():
        if isinstance(item, str) and "${" not in item:
            continue
        new = substitute(item, scope, where / key, join_path(path, key), problems)
        if new is not item:
            if changed is None:
                changed = dict(entries)
            changed[key] = new
    return entries if changed is None else changed


def substitute_variable(
    value: str | Typed, scope: Scope, where: Where, path: str, problems: Problems, source: str
) -> Variable | None:
    """A scalar, references replaced, as a variable (a ``for_each`` value); None when a
    reference in it could not be replaced (the problem is added)."""
    if isinstance(value, Typed):
        return Variable(value.value, value.text, source, where=where)
    if "${" not in value:
        return Variable(value, value, source, where=where)
    before = len(problems)
    is_whole, variable = _whole_reference(value, scope, where, path, problems)
    if is_whole:
        return (
            None
            if variable is None
            else Variable(variable.value, variable.text, source, where=where)
        )
    text = _substitute_text(value, scope, where, path, problems)
    if len(problems) > before or not isinstance(text, str):
        return None
    return Variable(text, text, source, where=where)


def _whole_reference(
    text: str, scope: Scope, where: Where, path: str, problems: Problems
) -> tuple[bool, Variable | None]:
    """Whether ``text`` is exactly one reference, and then its (scalar) variable: None
    when it cannot be used there (the problem is added)."""
    whole = _REFERENCE.fullmatch(text)
    if whole is None or whole.group(1) is None:
        return False, None
    variable = _lookup(whole.group(1), where.at_offset(0), scope, path, problems)
    if variable is not None and variable.items is not None:
        problems.add(_list_in_text(whole.group(1)), where.at_offset(0), path)
        return True, None
    return True, variable


def _substitute_text(
    text: str, scope: Scope, where: Where, path: str, problems: Problems
) -> object:
    is_whole, variable = _whole_reference(text, scope, where, path, problems)
    if is_whole:
        return text if variable is None else variable.value
    found_problem = False
    pieces: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        pieces.append(text[last : match.start()])
        last = match.end()
        if match.group() == "$${":
            pieces.append("${")
            continue
        at = where.at_offset(match.start())
        variable = _lookup(match.group(1), at, scope, path, problems)
        if variable is None:
            found_problem = True
        elif variable.items is not None:
            problems.add(_list_in_text(match.group(1)), at, path)
            found_problem = True
        else:
            pieces.append(variable.text)
    if found_problem:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def referenced_names(texts: Iterable[str]) -> set[str]:
    """The variables that ``${name}`` references in these texts name (not ``env:``)."""
    names = set()
    for text in texts:
        for match in _REFERENCE.finditer(text):
            reference = match.group(1)
            if reference and not reference.startswith(_ENV_PREFIX):
                names.add(reference.strip())
    return names


def lookup_list(
    text: str, scope: Scope, where: Where, path: str, problems: Problems
) -> Variable | None:
    """The variable a whole-value reference (``${sites}``) names, list or not; None
    when the text is not one reference or names nothing (then the problem is added)."""
    whole = _REFERENCE.fullmatch(text)
    if whole is None or whole.group(1) is None:
        return None
    return _lookup(whole.group(1), where.at_offset(0), scope, path, problems)


def _lookup(
    reference: str | None,
    where: Where,
    scope: Scope,
    path: str,
    problems: Problems,
) -> Variable | None:
    if reference is None:
        problems.add(
            "'${' is not closed: write ${name} or ${env:NAME}, or $${ for a literal '${'",
            where,
            path,
        )
        return None
    if reference.startswith(_ENV_PREFIX):
        name = reference[len(_ENV_PREFIX) :]
        if not VARIABLE_NAME.fullmatch(name):
            problems.add(_not_a_reference(reference), where, path)
            return None
        if is_credential_name(name):
            problems.add(
                f"${{env:{name}}} names a credential: a spec may not read it, since "
                "its value would be printed in plans, saved plans and journals",
                where,
                path,
            )
            return None
        if name not in scope.environ:
            problems.add(f"the environment variable {name} is not set", where, path)
            return None
        scope.env_used[name] = scope.environ[name]
        return Variable.from_text(scope.environ[name], f"environment variable {name}")
    if not VARIABLE_NAME.fullmatch(reference):
        problems.add(_not_a_reference(reference), where, path)
        return None
    variable = scope.variables.get(reference)
    if variable is None:
        problems.add(_undefined(reference, scope), where, path)
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


def _not_a_reference(reference: str) -> str:
    return (
        f"'${{{reference}}}' is not a variable reference: write ${{name}} or ${{env:NAME}} "
        "(substitution is text only, without expressions or spaces)"
    )


def _list_in_text(name: str) -> str:
    return f"the variable {name!r} is a list; a list variable can only be a whole for_each value"
