"""Templates, ``for_each`` and variables: from study entries as written to one mapping per study.

An entry with ``use:`` takes every field of its template (and of the templates that
one uses, base first); a field the entry sets replaces the template's, lists included.
``for_each`` stamps the entry once per combination of its variables' values (their
product, the first variable outermost). Then every ``${...}`` is substituted. Each
field keeps its place (``Places``): in the template or in the entry, so a mistake is
reported where it can be fixed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jhe_sync.spec.document import Entry, SpecDocument, Template
from jhe_sync.spec.locator import Places, Problems
from jhe_sync.spec.suggest import did_you_mean
from jhe_sync.spec.values import Value, Where, kind_of, show_path
from jhe_sync.spec.variables import (
    VARIABLE_NAME,
    Scope,
    Substitution,
    Variable,
    lookup_whole,
    not_a_variable_name,
    shape_problem,
    substitute,
    substitute_variable,
)

MAX_STUDIES_PER_ENTRY = 10_000
"""A ``for_each`` product larger than this is refused: almost surely a mistake."""


@dataclass(frozen=True)
class ExpandedStudy:
    """One study's fields after templates and variables, as plain data."""

    path: str
    """The entry it came from, as problems name it: ``studies[3]``."""
    places: Places
    body: dict[str, object]
    template: str | None = None
    """The template the entry uses, if any."""
    from_template: Mapping[str, str] = field(default_factory=dict)
    """Field name -> the template that set it (for messages)."""


@dataclass(frozen=True)
class ExpandedOrganization:
    """One ``organizations:`` entry with its variables substituted."""

    path: str
    places: Places
    body: dict[str, object]


@dataclass
class Expansion:
    """What expanding all the documents produced."""

    studies: list[ExpandedStudy] = field(default_factory=list)
    organizations: list[ExpandedOrganization] = field(default_factory=list)
    env_used: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Merged:
    entries: dict[str, Value]
    wheres: dict[str, Where]
    """Where the fields that templates set are written (the entry's own are in the entry)."""
    from_template: dict[str, str]


def expand(
    documents: Sequence[SpecDocument],
    overrides: Mapping[str, Variable],
    environ: Mapping[str, str],
    problems: Problems,
) -> Expansion:
    """Expand every document's studies and organization settings.

    ``overrides`` are the variables of ``--var-file`` and ``--var``: they win over a
    file's ``vars:``; ``for_each`` variables win over both inside their entry.
    """
    templates = _Templates(documents, problems)
    expansion = Expansion()
    locator = problems.locator
    for document in documents:
        scope = Scope({**document.variables, **overrides}, environ, expansion.env_used)
        for entry in document.studies:
            path = f"studies[{entry.index}]"
            merged = templates.merge_into(entry, path, problems)
            if merged is None:
                continue
            use = entry.body.get("use")
            template = use if isinstance(use, str) else None
            places = Places(entry.where, merged.wheres, entry.body, {}, locator)
            for bindings in _for_each(entry, scope, path, problems):
                study_scope = scope.with_variables(bindings) if bindings else scope
                context = Substitution(study_scope, places, path, problems)
                before = len(problems)
                body = {
                    key: substitute(value, (key,), context)
                    if type(value) is not str or "${" in value
                    else value
                    for key, value in merged.entries.items()
                }
                if len(problems) > before:
                    continue  # a study with an unresolved ${...} would only add confusing errors
                expansion.studies.append(
                    ExpandedStudy(path, context.placed(), body, template, merged.from_template)
                )
        for entry in document.organizations:
            path = f"organizations[{entry.index}]"
            places = Places(entry.where, {}, entry.body, {}, locator)
            context = Substitution(scope, places, path, problems)
            settings = substitute(entry.body, (), context)
            assert isinstance(settings, dict)
            expansion.organizations.append(ExpandedOrganization(path, context.placed(), settings))
    return expansion


class _Templates:
    """All templates of all files by name; resolves ``use:`` chains once per template."""

    def __init__(self, documents: Sequence[SpecDocument], problems: Problems) -> None:
        self._by_name: dict[str, Template] = {}
        self._merged: dict[str, _Merged | None] = {}
        for document in documents:
            for template in document.templates:
                first = self._by_name.get(template.name)
                if first is None:
                    self._by_name[template.name] = template
                else:
                    problems.add(
                        f"the template {template.name!r} is defined twice; "
                        f"first at {problems.locator.locate(first.where.key_of())}",
                        template.where.key_of(),
                        f"templates.{template.name}",
                    )

    def merge_into(self, entry: Entry, path: str, problems: Problems) -> _Merged | None:
        """The entry's fields over its template's; None when the template is unusable."""
        own = {k: v for k, v in entry.body.items() if k != "use" and k != "for_each"}
        use = entry.body.get("use")
        if use is None:
            return _Merged(own, {}, {})
        base = self._resolve(use, entry.where / "use", f"{path}.use", (), problems)
        if base is None:
            return None
        entries = {**base.entries, **own}
        from_template = {k: v for k, v in base.from_template.items() if k not in own}
        return _Merged(entries, base.wheres, from_template)

    def _resolve(
        self, use: Value, where: Where, path: str, chain: tuple[str, ...], problems: Problems
    ) -> _Merged | None:
        if not isinstance(use, str):
            problems.add(f"use: expects a template name, not {kind_of(use)}", where, path)
            return None
        name = use
        if name in chain:
            cycle = " -> ".join((*chain, name))
            problems.add(f"templates use each other in a cycle: {cycle}", where, path)
            return None
        if name in self._merged:
            return self._merged[name]
        template = self._by_name.get(name)
        if template is None:
            problems.add(
                f"unknown template {name!r}{did_you_mean(name, self._by_name)}", where, path
            )
            return None
        merged = self._merge_template(template, (*chain, name), problems)
        self._merged[name] = merged
        return merged

    def _merge_template(
        self, template: Template, chain: tuple[str, ...], problems: Problems
    ) -> _Merged | None:
        body = template.body
        own = {k: v for k, v in body.items() if k != "use"}
        own_wheres = {k: template.where / k for k in own}
        own_from = dict.fromkeys(own, template.name)
        use = body.get("use")
        if use is None:
            return _Merged(own, own_wheres, own_from)
        base = self._resolve(
            use, template.where / "use", f"templates.{template.name}.use", chain, problems
        )
        if base is None:
            return None
        return _Merged(
            {**base.entries, **own},
            {**base.wheres, **own_wheres},
            {**base.from_template, **own_from},
        )


def _for_each(
    entry: Entry, scope: Scope, path: str, problems: Problems
) -> list[dict[str, Variable]]:
    """One binding of the entry's ``for_each`` variables per study ([{}] without for_each)."""
    value = entry.body.get("for_each")
    if value is None:
        return [{}]
    path = f"{path}.for_each"
    where = entry.where / "for_each"
    if not isinstance(value, dict) or not value:
        problems.add(
            f"for_each expects a mapping of variable names to lists, not {kind_of(value)}"
            if not isinstance(value, dict)
            else "for_each names no variables",
            where,
            path,
        )
        return []
    names: list[str] = []
    value_lists: list[list[Variable]] = []
    for name, item in value.items():
        if VARIABLE_NAME.fullmatch(name):
            values = _values(name, item, scope, where / name, f"{path}.{name}", problems)
        else:
            problems.add(not_a_variable_name(name), (where / name).key_of(), f"{path}.{name}")
            values = None
        if values is None:
            return []
        names.append(name)
        value_lists.append(values)
    count = math.prod(len(values) for values in value_lists)
    if count > MAX_STUDIES_PER_ENTRY:
        problems.add(
            f"for_each makes {count} studies from one entry; the limit is {MAX_STUDIES_PER_ENTRY}",
            where,
            path,
        )
        return []
    return [
        dict(zip(names, combination, strict=True))
        for combination in itertools.product(*value_lists)
    ]


def _values(
    name: str, value: Value, scope: Scope, where: Where, path: str, problems: Problems
) -> list[Variable] | None:
    """A for_each variable's values: a list or a mapping written in place, or a
    variable holding one. Over a mapping, each value is a key (``${site}``), and what
    the mapping holds there its fields (``${site.code}``, or ``${site.value}``)."""
    if isinstance(value, str) and "${" in value:
        before = len(problems)
        variable = lookup_whole(value, scope, where, path, problems)
        if variable is None:
            if len(problems) == before:
                problems.add(_not_a_list(name, value), where, path)
            return None
        if variable.kind == "scalar":
            problems.add(
                f"for_each.{name} must be a list of values or a mapping, but {value} is "
                f"{variable.text!r}",
                where,
                path,
            )
            return None
    elif isinstance(value, list | dict):
        bad = shape_problem(value, nulls=False)
        if bad is not None:
            parts, part, expected = bad
            problems.add(
                f"expected {expected} in a for_each value, not {kind_of(part)}",
                where.joined(parts),
                show_path(path, parts),
            )
            return None
        variable = substitute_variable(value, scope, where, path, problems, "for_each")
        if variable is None:
            return None
    else:
        problems.add(_not_a_list(name, value), where, path)
        return None
    if variable.kind == "list":
        return list(variable.items)
    assert variable.fields is not None
    return [
        item.keyed(key, variable.where / key if variable.where else None)
        for key, item in variable.fields.items()
    ]


def _not_a_list(name: str, value: Value) -> str:
    return (
        f"for_each.{name} must be a list of values or a mapping (or a ${{variable}} holding "
        f"one), not {kind_of(value)}"
    )
