"""Templates, ``for_each`` and variables: from study entries as written to one mapping per study.

An entry with ``use:`` takes every field of its template (and of the templates that
one uses, base first); a field the entry sets replaces the template's, lists included.
``for_each`` stamps the entry once per combination of its variables' values (their
product, the first variable outermost). Then every ``${...}`` is substituted. Each
value keeps the location where it was written, in the template or in the entry, so a
mistake is reported where it can be fixed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jhe_sync.errors import Problem, SourceLocation
from jhe_sync.spec.document import SpecDocument, Template
from jhe_sync.spec.located import MappingNode, Node, ScalarNode, SequenceNode, kind_of
from jhe_sync.spec.suggest import did_you_mean
from jhe_sync.spec.variables import (
    VARIABLE_NAME,
    Scope,
    Variable,
    lookup_list,
    not_a_variable_name,
    substitute_scalar,
    substitute_tree,
)

MAX_STUDIES_PER_ENTRY = 10_000
"""A ``for_each`` product larger than this is refused: almost surely a mistake."""


@dataclass(frozen=True)
class ExpandedStudy:
    """One study's fields after templates and variables, each still located."""

    path: str
    """The entry it came from, as problems name it: ``studies[3]``."""
    origin: SourceLocation
    body: MappingNode
    template: str | None = None
    """The template the entry uses, if any."""
    from_template: Mapping[str, str] = field(default_factory=dict)
    """Field name -> the template that set it (for messages)."""


@dataclass(frozen=True)
class ExpandedOrganization:
    """One ``organizations:`` entry with its variables substituted."""

    path: str
    origin: SourceLocation
    body: MappingNode


@dataclass
class Expansion:
    """What expanding all the documents produced."""

    studies: list[ExpandedStudy] = field(default_factory=list)
    organizations: list[ExpandedOrganization] = field(default_factory=list)
    env_used: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Merged:
    entries: dict[str, Node]
    key_locations: dict[str, SourceLocation]
    from_template: dict[str, str]


def expand(
    documents: Sequence[SpecDocument],
    overrides: Mapping[str, Variable],
    environ: Mapping[str, str],
    problems: list[Problem],
) -> Expansion:
    """Expand every document's studies and organization settings.

    ``overrides`` are the variables of ``--var-file`` and ``--var``: they win over a
    file's ``vars:``; ``for_each`` variables win over both inside their entry.
    """
    templates = _Templates(documents, problems)
    expansion = Expansion()
    for document in documents:
        scope = Scope({**document.variables, **overrides}, environ, expansion.env_used)
        for index, entry in document.studies:
            path = f"studies[{index}]"
            merged = templates.merge_into(entry, path, problems)
            if merged is None:
                continue
            body = MappingNode(merged.entries, entry.location, merged.key_locations)
            use = entry.entries.get("use")
            template = use.text if isinstance(use, ScalarNode) else None
            for bindings in _for_each(entry, scope, path, problems):
                study_scope = scope.with_variables(bindings) if bindings else scope
                before = len(problems)
                expanded = substitute_tree(body, study_scope, path, problems)
                if len(problems) > before:
                    continue  # a study with an unresolved ${...} would only add confusing errors
                assert isinstance(expanded, MappingNode)
                expansion.studies.append(
                    ExpandedStudy(path, entry.location, expanded, template, merged.from_template)
                )
        for index, entry in document.organizations:
            path = f"organizations[{index}]"
            expanded = substitute_tree(entry, scope, path, problems)
            assert isinstance(expanded, MappingNode)
            expansion.organizations.append(ExpandedOrganization(path, entry.location, expanded))
    return expansion


class _Templates:
    """All templates of all files by name; resolves ``use:`` chains once per template."""

    def __init__(self, documents: Sequence[SpecDocument], problems: list[Problem]) -> None:
        self._by_name: dict[str, Template] = {}
        self._merged: dict[str, _Merged | None] = {}
        for document in documents:
            for template in document.templates:
                first = self._by_name.get(template.name)
                if first is None:
                    self._by_name[template.name] = template
                else:
                    problems.append(
                        Problem(
                            f"the template {template.name!r} is defined twice; first at {first.location}",
                            template.location,
                            f"templates.{template.name}",
                        )
                    )

    def merge_into(self, entry: MappingNode, path: str, problems: list[Problem]) -> _Merged | None:
        """The entry's fields over its template's; None when the template is unusable."""
        own = {k: v for k, v in entry.entries.items() if k not in ("use", "for_each")}
        own_locations = {k: entry.key_location(k) for k in own}
        use = entry.entries.get("use")
        if use is None:
            return _Merged(own, own_locations, {})
        base = self._resolve(use, f"{path}.use", (), problems)
        if base is None:
            return None
        entries = {**base.entries, **own}
        key_locations = {**base.key_locations, **own_locations}
        from_template = {k: v for k, v in base.from_template.items() if k not in own}
        return _Merged(entries, key_locations, from_template)

    def _resolve(
        self, use: Node, path: str, chain: tuple[str, ...], problems: list[Problem]
    ) -> _Merged | None:
        if not (isinstance(use, ScalarNode) and isinstance(use.value, str)):
            problems.append(
                Problem(f"use: expects a template name, not {kind_of(use)}", use.location, path)
            )
            return None
        name = use.value
        if name in chain:
            cycle = " -> ".join((*chain, name))
            problems.append(
                Problem(f"templates use each other in a cycle: {cycle}", use.location, path)
            )
            return None
        if name in self._merged:
            return self._merged[name]
        template = self._by_name.get(name)
        if template is None:
            problems.append(
                Problem(
                    f"unknown template {name!r}{did_you_mean(name, self._by_name)}",
                    use.location,
                    path,
                )
            )
            return None
        merged = self._merge_template(template, (*chain, name), problems)
        self._merged[name] = merged
        return merged

    def _merge_template(
        self, template: Template, chain: tuple[str, ...], problems: list[Problem]
    ) -> _Merged | None:
        body = template.body
        own = {k: v for k, v in body.entries.items() if k != "use"}
        own_locations = {k: body.key_location(k) for k in own}
        own_from = dict.fromkeys(own, template.name)
        use = body.entries.get("use")
        if use is None:
            return _Merged(own, own_locations, own_from)
        base = self._resolve(use, f"templates.{template.name}.use", chain, problems)
        if base is None:
            return None
        return _Merged(
            {**base.entries, **own},
            {**base.key_locations, **own_locations},
            {**base.from_template, **own_from},
        )


def _for_each(
    entry: MappingNode, scope: Scope, path: str, problems: list[Problem]
) -> list[dict[str, Variable]]:
    """One binding of the entry's ``for_each`` variables per study ([{}] without for_each)."""
    node = entry.entries.get("for_each")
    if node is None:
        return [{}]
    path = f"{path}.for_each"
    if not isinstance(node, MappingNode) or not node.entries:
        problems.append(
            Problem(
                f"for_each expects a mapping of variable names to lists, not {kind_of(node)}"
                if not isinstance(node, MappingNode)
                else "for_each names no variables",
                node.location,
                path,
            )
        )
        return []
    names: list[str] = []
    value_lists: list[list[Variable]] = []
    for name, value in node.entries.items():
        if VARIABLE_NAME.fullmatch(name):
            values = _values(name, value, scope, f"{path}.{name}", problems)
        else:
            problems.append(
                Problem(
                    not_a_variable_name(name),
                    node.key_location(name),
                    f"{path}.{name}",
                )
            )
            values = None
        if values is None:
            return []
        names.append(name)
        value_lists.append(values)
    count = math.prod(len(values) for values in value_lists)
    if count > MAX_STUDIES_PER_ENTRY:
        problems.append(
            Problem(
                f"for_each makes {count} studies from one entry; the limit is {MAX_STUDIES_PER_ENTRY}",
                node.location,
                path,
            )
        )
        return []
    return [
        dict(zip(names, combination, strict=True))
        for combination in itertools.product(*value_lists)
    ]


def _values(
    name: str, node: Node, scope: Scope, path: str, problems: list[Problem]
) -> list[Variable] | None:
    """A for_each variable's values: a list written in place, or a list variable."""
    if isinstance(node, ScalarNode) and "${" in node.text:
        variable = lookup_list(node, scope, path, problems)
        if variable is None:
            return None  # the lookup reported why
        if variable.items is not None:
            return list(variable.items)
        problems.append(
            Problem(
                f"for_each.{name} must be a list of values, but {node.text} is {variable.text!r}",
                node.location,
                path,
            )
        )
        return None
    if not isinstance(node, SequenceNode):
        problems.append(
            Problem(
                f"for_each.{name} must be a list of values (or a ${{variable}} holding one), "
                f"not {kind_of(node)}",
                node.location,
                path,
            )
        )
        return None
    values = []
    for index, item in enumerate(node.items):
        if not isinstance(item, ScalarNode) or item.value is None:
            problems.append(
                Problem(
                    f"a for_each value must be text, a number or true/false, not {kind_of(item)}",
                    item.location,
                    f"{path}[{index}]",
                )
            )
            return None
        values.append(
            Variable.from_node(
                substitute_scalar(item, scope, f"{path}[{index}]", problems), "for_each"
            )
        )
    return values
