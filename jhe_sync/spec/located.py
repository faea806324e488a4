"""YAML values that remember where they were written.

The loader turns every mapping, sequence and scalar into one of these nodes, so every
later stage (templates, variables, validation) can name the file, line and column of
what it complains about. Nodes are immutable; aliases share nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from jhe_sync.errors import SourceLocation

ScalarValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ScalarNode:
    """A scalar: its value as YAML reads it, and the text as written (unquoted)."""

    value: ScalarValue
    location: SourceLocation
    text: str
    text_column: int | None = None
    """Column where ``text`` starts in the file, when the text is exactly as written
    there (a single-line scalar without escapes): lets errors point inside it."""
    has_references: bool = field(init=False)
    """Whether the text holds ``${`` (variables to substitute, or the ``$${`` escape)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "has_references", isinstance(self.value, str) and "${" in self.text
        )


@dataclass(frozen=True, slots=True)
class SequenceNode:
    """A sequence of nodes."""

    items: tuple[Node, ...]
    location: SourceLocation
    has_references: bool = field(init=False)
    """Whether any value inside holds ``${``: substitution skips the others."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_references", any(item.has_references for item in self.items))


@dataclass(frozen=True, slots=True)
class MappingNode:
    """A mapping from text keys to nodes, in the order written."""

    entries: dict[str, Node]
    location: SourceLocation
    key_locations: dict[str, SourceLocation] = field(default_factory=dict)
    has_references: bool = field(init=False)
    """Whether any value inside holds ``${``: substitution skips the others."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "has_references", any(value.has_references for value in self.entries.values())
        )

    def key_location(self, key: str) -> SourceLocation:
        """Where ``key`` is written; the mapping's own place if it is not written here."""
        return self.key_locations.get(key, self.location)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)


Node = ScalarNode | SequenceNode | MappingNode


def kind_of(node: Node) -> str:
    """What a user would call this kind of value, for error messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def to_plain(
    node: Node,
    path: str,
    locations: dict[str, SourceLocation],
    key_locations: dict[str, SourceLocation],
) -> object:
    """The node as plain Python data; records where every value (and key) was written.

    Paths are written the way problems show them: ``patients[0].identifier.system``.
    ``path`` is the prefix of this node ("" at the top).
    """
    if path:
        locations[path] = node.location
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SequenceNode):
        return [
            to_plain(item, f"{path}[{index}]", locations, key_locations)
            for index, item in enumerate(node.items)
        ]
    plain = {}
    for key, value in node.entries.items():
        item_path = f"{path}.{key}" if path else key
        key_locations[item_path] = node.key_location(key)
        plain[key] = to_plain(value, item_path, locations, key_locations)
    return plain


def join_path(prefix: str, part: str | int) -> str:
    """``studies[3]`` + ``name`` -> ``studies[3].name``; + 1 -> ``studies[3][1]``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part
