"""YAML values that remember where they were written: the loader for problems.

``yamlload`` builds these nodes when a file needs its places: to say where a refusal
is, and for the ``locator`` to turn a ``Where`` into a line and column. Nodes are
immutable; aliases share nodes. ``to_value`` turns a tree into the plain values the
rest of the loading works on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from jhe_sync.errors import SourceLocation
from jhe_sync.spec.values import ScalarValue, Typed, Value


@dataclass(frozen=True, slots=True)
class ScalarNode:
    """A scalar: its value as YAML reads it, and the text as written (unquoted)."""

    value: ScalarValue
    location: SourceLocation
    text: str
    text_column: int | None = None
    """Column where ``text`` starts in the file, when the text is exactly as written
    there (a single-line scalar without escapes): lets errors point inside it."""


@dataclass(frozen=True, slots=True)
class SequenceNode:
    """A sequence of nodes."""

    items: tuple[Node, ...]
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class MappingNode:
    """A mapping from text keys to nodes, in the order written."""

    entries: dict[str, Node]
    location: SourceLocation
    key_locations: dict[str, SourceLocation] = field(default_factory=dict)

    def key_location(self, key: str) -> SourceLocation:
        """Where ``key`` is written; the mapping's own place if it is not written here."""
        return self.key_locations.get(key, self.location)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)


Node = ScalarNode | SequenceNode | MappingNode


def to_value(node: Node, references: list[str]) -> Value:
    """The node as plain values; the text of every scalar holding ``${`` is added to
    ``references`` (which variables the file uses)."""
    if isinstance(node, ScalarNode):
        if isinstance(node.value, str):
            if "${" in node.text:
                references.append(node.text)
            return node.value
        return Typed(node.value, node.text)
    if isinstance(node, SequenceNode):
        return [to_value(item, references) for item in node.items]
    return {key: to_value(value, references) for key, value in node.entries.items()}
