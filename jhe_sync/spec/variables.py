"""Variables and ``${...}`` substitution: text only, no expressions.

A reference is ``${name}`` (from ``for_each``, the file's ``vars:``, ``--var-file`` or
``--var``), ``${name.field}`` (a field of a mapping: the entry a ``for_each`` over a
mapping is at, or a mapping variable), or ``${env:NAME}`` (the environment); the filter
``${slug:...}`` gives any of them as a slug (``Lifespan Lab`` -> ``lifespan-lab``);
``$${`` writes a literal ``${``. A value that is exactly one reference takes the
variable's value as it is (a number stays a number, a list or a mapping is that
list or mapping); a reference
inside other text inserts the variable's text as written. The result is never scanned
again, so a value cannot smuggle in another reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from jhe_sync.spec.locator import Places, Problems
from jhe_sync.spec.suggest import closest, did_you_mean
from jhe_sync.spec.values import (
    PathPart,
    ScalarValue,
    Typed,
    Value,
    Where,
    show_path,
    slugify,
)

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def not_a_variable_name(name: str) -> str:
    """The message for a variable name that ``VARIABLE_NAME`` refuses."""
    return (
        f"{name!r} is not a variable name: use letters, digits and '_', not starting with a digit"
    )


_REFERENCE = re.compile(r"\$\$\{|\$\{([^{}]*)\}|\$\{")
_ENV_PREFIX = "env:"
_SLUG_PREFIX = "slug:"
VariableKind = Literal["scalar", "list", "mapping"]


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable's value, its text as written, and where it was set (for messages).

    A list variable has ``items``; a mapping variable has ``fields`` (its values by
    key). The variable a ``for_each`` over a mapping gives each study is a scalar (the
    key) with ``fields`` too: those of the value at that key.
    """

    value: ScalarValue
    text: str
    source: str
    kind: VariableKind = "scalar"
    items: tuple[Variable, ...] = ()
    fields: Mapping[str, Variable] | None = None
    where: Where | None = None
    """Where it was set, when that is a file."""

    @classmethod
    def from_text(cls, text: str, source: str) -> Variable:
        """A variable given as text (``--var``, the environment)."""
        return cls(text, text, source)

    @classmethod
    def from_value(cls, value: Value, source: str, where: Where) -> Variable:
        """A variable written in YAML (its shape checked by ``shape_problem``)."""
        if isinstance(value, str):
            return cls(value, value, source, where=where)
        if isinstance(value, Typed):
            return cls(value.value, value.text, source, where=where)
        if isinstance(value, list):
            items = tuple(
                cls.from_value(item, source, where / index) for index, item in enumerate(value)
            )
            return cls(None, "", source, "list", items, where=where)
        fields = {key: cls.from_value(item, source, where / key) for key, item in value.items()}
        return cls(None, "", source, "mapping", fields=fields, where=where)

    def plain(self) -> object:
        """The value as plain data: a scalar's value, a list, or a mapping of those."""
        if self.kind == "list":
            return [item.plain() for item in self.items]
        if self.kind == "mapping":
            assert self.fields is not None
            return {key: item.plain() for key, item in self.fields.items()}
        return self.value

    def keyed(self, key: str, where: Where | None) -> Variable:
        """The variable a for_each over a mapping gives for ``key``, this being its value:
        ``${site}`` is the key, ``${site.FIELD}`` a field of a mapping value, and
        ``${site.value}`` a value that is not a mapping."""
        fields = self.fields if self.kind == "mapping" else {"value": self}
        return Variable(key, key, "for_each", fields=fields, where=where)


_IN_A_LIST = "text, a number or true/false"
_IN_A_MAPPING = "text, a number, true/false or a list of those"


def shape_problem(
    value: Value, nulls: bool = True, depth: int = 0
) -> tuple[tuple[PathPart, ...], Value, str] | None:
    """Where a variable's value holds what no variable may, that part, and what may be
    there instead; None when all is well.

    A variable is a scalar, a list of scalars, or a mapping whose values are those or
    mappings of those (``sites: {Lifespan Lab: {code: ll, patients: [...]}}``); with
    ``nulls`` false, no scalar may be null."""
    if isinstance(value, str | Typed):
        if nulls or not (isinstance(value, Typed) and value.value is None):
            return None
        return (), value, "a value"
    parts = enumerate(value) if isinstance(value, list) else value.items()
    for key, item in parts:
        if isinstance(value, list) and isinstance(item, list | dict):
            return (key,), item, _IN_A_LIST
        if isinstance(item, dict) and depth >= 1:
            return (key,), item, _IN_A_MAPPING
        found = shape_problem(item, nulls, depth + 1)
        if found is not None:
            return (key, *found[0]), found[1], found[2]
    return None


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


@dataclass
class Substitution:
    """One entry's substitution: where its values are, how problems name them, and the
    values that came whole from a list or mapping variable (their items are where it
    was set)."""

    scope: Scope
    places: Places
    prefix: str
    problems: Problems
    spliced: dict[tuple[PathPart, ...], tuple[str, Where]] = field(default_factory=dict)

    def where(self, at: tuple[PathPart, ...]) -> Where:
        return self.places.where(at)

    def path(self, at: tuple[PathPart, ...]) -> str:
        return show_path(self.prefix, at)

    def placed(self) -> Places:
        """The entry's places, with the items of spliced lists where their variable is."""
        if not self.spliced:
            return self.places
        return replace(self.places, spliced={**self.places.spliced, **self.spliced})


def substitute(value: Value, at: tuple[PathPart, ...], context: Substitution) -> object:
    """The value at ``at`` in an entry as plain data (a typed scalar as its value) with
    every reference replaced; problems are added, never raised. Unchanged lists and
    mappings are returned as they are, not copied."""
    kind = type(value)
    if kind is str:
        if "${" not in value:  # type: ignore[operator]
            return value
        return _substitute_text(value, at, context)  # type: ignore[arg-type]
    if kind is Typed:
        return value.value  # type: ignore[union-attr]
    if kind is list:
        items: list[Value] = value  # type: ignore[assignment]
        result: list[object] | None = None
        for index, item in enumerate(items):
            if isinstance(item, str) and "${" not in item:
                continue
            new = substitute(item, (*at, index), context)
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
        new = substitute(item, (*at, key), context)
        if new is not item:
            if changed is None:
                changed = dict(entries)
            changed[key] = new
    return entries if changed is None else changed


def _substitute_text(text: str, at: tuple[PathPart, ...], context: Substitution) -> object:
    where, path, problems = context.where(at), context.path(at), context.problems
    whole = _REFERENCE.fullmatch(text)
    if whole and whole.group(1) is not None:
        variable = _lookup(whole.group(1), where.at_offset(0), context.scope, path, problems)
        if variable is None:
            return text
        if variable.kind != "scalar" and variable.where is not None:
            context.spliced[at] = (whole.group(1), variable.where)
        return variable.plain()
    return _insert(text, context.scope, where, path, problems)


def substitute_variable(
    value: Value, scope: Scope, where: Where, path: str, problems: Problems, source: str
) -> Variable | None:
    """A value written in place in a ``for_each`` (a scalar, a list of scalars, or a
    mapping of those), references replaced, as a variable; None when a reference in
    it could not be replaced (the problem is added)."""
    if isinstance(value, Typed):
        return Variable(value.value, value.text, source, where=where)
    if isinstance(value, list | dict):
        parts = value.items() if isinstance(value, dict) else enumerate(value)
        found = {
            key: substitute_variable(item, scope, where / key, f"{path}.{key}", problems, source)
            for key, item in parts
        }
        if any(variable is None for variable in found.values()):
            return None
        if isinstance(value, list):
            return Variable(None, "", source, "list", tuple(found.values()), where=where)  # type: ignore[arg-type]
        return Variable(None, "", source, "mapping", fields=found, where=where)  # type: ignore[arg-type]
    if "${" not in value:
        return Variable(value, value, source, where=where)
    whole = _REFERENCE.fullmatch(value)
    if whole and whole.group(1) is not None:
        variable = _lookup(whole.group(1), where.at_offset(0), scope, path, problems)
        if variable is None:
            return None
        if variable.kind != "scalar":
            problems.add(_not_text(whole.group(1), variable), where.at_offset(0), path)
            return None
        return Variable(variable.value, variable.text, source, where=where)
    before = len(problems)
    text = _insert(value, scope, where, path, problems)
    return Variable(text, text, source, where=where) if len(problems) == before else None


def _insert(text: str, scope: Scope, where: Where, path: str, problems: Problems) -> str:
    """The text with each reference replaced by its variable's text (unchanged when one
    cannot be: the problem is added)."""
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
        elif variable.kind != "scalar":
            problems.add(_not_text(match.group(1) or "", variable), at, path)
            found_problem = True
        else:
            pieces.append(variable.text)
    if found_problem:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def referenced_names(texts: Iterable[str]) -> set[str]:
    """The variables that ``${...}`` references in these texts read (``env:`` aside)."""
    names = set()
    for text in texts:
        for match in _REFERENCE.finditer(text):
            reference = (match.group(1) or "").strip().removeprefix(_SLUG_PREFIX)
            if reference and not reference.startswith(_ENV_PREFIX):
                names.add(reference.split(".", 1)[0])
    return names


def lookup_whole(
    text: str, scope: Scope, where: Where, path: str, problems: Problems
) -> Variable | None:
    """The variable a whole-value reference (``${sites}``) names, of any kind; None
    when it names nothing (the problem is added) or the text is not one reference."""
    whole = _REFERENCE.fullmatch(text)
    if whole is None or whole.group(1) is None:
        return None
    return _lookup(whole.group(1), where.at_offset(0), scope, path, problems)


def is_whole_reference(text: str) -> bool:
    """Whether the text is exactly one ``${...}`` reference."""
    whole = _REFERENCE.fullmatch(text)
    return whole is not None and whole.group(1) is not None


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
    if reference.startswith(_SLUG_PREFIX):
        inner = reference[len(_SLUG_PREFIX) :]
        variable = _lookup(inner, where, scope, path, problems) if inner else None
        if not inner:
            problems.add(_not_a_reference(reference), where, path)
        if variable is None:
            return None
        if variable.kind != "scalar":
            problems.add(
                f"${{slug:...}} makes a slug of text; ${{{inner}}} is {_kind_words(variable)}",
                where,
                path,
            )
            return None
        return Variable.from_text(slugify(variable.text), variable.source)
    if reference.startswith(_ENV_PREFIX):
        return _environment(reference, where, scope, path, problems)
    name, dot, key = reference.partition(".")
    if not VARIABLE_NAME.fullmatch(name) or (dot and not VARIABLE_NAME.fullmatch(key)):
        problems.add(_not_a_reference(reference), where, path)
        return None
    variable = scope.variables.get(name)
    if variable is None:
        problems.add(_undefined(name, scope), where, path)
        return None
    if not dot:
        return variable
    if variable.fields is None:
        problems.add(
            f"${{{name}}} has no fields to read with ${{{reference}}}: fields are those of a "
            "mapping (a for_each over a mapping, or a mapping variable)",
            where,
            path,
        )
        return None
    found = variable.fields.get(key)
    if found is None:
        problems.add(
            f"${{{name}}} has no field {key!r}{did_you_mean(key, variable.fields)}", where, path
        )
    return found


def _environment(
    reference: str, where: Where, scope: Scope, path: str, problems: Problems
) -> Variable | None:
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
        f"'${{{reference}}}' is not a variable reference: write ${{name}}, ${{name.field}}, "
        "${env:NAME} or ${slug:name} (substitution is text only, without expressions or spaces)"
    )


def _kind_words(variable: Variable) -> str:
    return "a list" if variable.kind == "list" else "a mapping"


def _not_text(reference: str, variable: Variable) -> str:
    where_it_goes = (
        "a whole value where a list is expected (patients: ${name}) or a whole for_each value"
        if variable.kind == "list"
        else "a whole value where a mapping is expected (practitioners: ${name}), a whole "
        "for_each value, or read by field (${name.field})"
    )
    return (
        f"the variable {reference!r} is {_kind_words(variable)}: it cannot be part of text; "
        f"use it as {where_it_goes}"
    )
