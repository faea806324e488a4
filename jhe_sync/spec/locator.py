"""Lines and columns worked out from a ``Where`` when, and only when, one is needed.

Spec files are read without locations (``plainload``); a problem names the value it
is about by file and path. The ``Locator`` keeps the files' bytes and reads a file
again with the strict loader the first time one of its places is asked for, then
walks the path. ``Problems`` collects what is wrong, each located as it is added;
``Places`` is what a study or organization keeps so that later stages (resolving
names against the exchange) can point at the file and line of a value.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from jhe_sync.errors import Problem, SourceLocation, SpecError
from jhe_sync.spec.located import MappingNode, Node, ScalarNode, SequenceNode
from jhe_sync.spec.plainload import Marks, PlainFile
from jhe_sync.spec.values import PathPart, Where, show_path
from jhe_sync.spec.yamlload import decode_utf8, parse_yaml


class Locator:
    """Where values are written, from the files' bytes, re-read on demand."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._marks: dict[str, Marks] = {}
        self._trees: dict[str, Node | None] = {}

    def add(self, file: str, data: bytes, read: PlainFile | None = None) -> None:
        """Make ``file`` locatable; what reading it already found is kept."""
        self._data[file] = data
        if read is not None:
            self._marks[file] = read.marks
            if read.tree is not None:
                self._trees[file] = read.tree

    def locate(self, where: Where) -> SourceLocation:
        """The line and column of ``where`` (of the nearest enclosing value that exists)."""
        if not where.key and where.offset is None:
            mark = self._marks.get(where.file, {}).get(where.path)
            if mark is not None:
                return mark
        node = self._tree(where.file)
        if node is None:
            return SourceLocation(where.file, 1, 1)
        parts = where.path[:-1] if where.key else where.path
        for part in parts:
            child = _child(node, part)
            if child is None:
                return node.location
            node = child
        if where.key:
            last = where.path[-1] if where.path else None
            if isinstance(node, MappingNode) and isinstance(last, str) and last in node.entries:
                return node.key_location(last)
            child = _child(node, last) if last is not None else None
            return (child or node).location
        if where.offset is not None and isinstance(node, ScalarNode) and node.text_column:
            return SourceLocation(where.file, node.location.line, node.text_column + where.offset)
        return node.location

    def _tree(self, file: str) -> Node | None:
        if file not in self._trees:
            data = self._data.get(file)
            try:
                self._trees[file] = (
                    parse_yaml(decode_utf8(data, file), file) if data is not None else None
                )
            except SpecError:  # not reached for a file that loaded; a place is still due
                self._trees[file] = None
        return self._trees[file]


class GivenLocations(Locator):
    """Places given in code, for entries a program builds rather than reads from files:
    a value's own location, else its field's, else the entry's."""

    def __init__(self, origin: SourceLocation, locations: Mapping[str, SourceLocation]) -> None:
        super().__init__()
        self._origin = origin
        self._given = dict(locations)

    def locate(self, where: Where) -> SourceLocation:
        return (
            self._given.get(show_path("", where.path))
            or self._given.get(show_path("", where.path[:1]))
            or self._origin
        )


def _child(node: Node, part: PathPart | None) -> Node | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        return node.entries.get(part)
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.items):
        return node.items[part]
    return None


class Problems:
    """The problems found so far, each located as it is added."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator
        self.found: list[Problem] = []

    def add(
        self, message: str, where: Where | SourceLocation | None = None, path: str = ""
    ) -> None:
        """Add one problem about the value at ``where``."""
        location = self.locator.locate(where) if isinstance(where, Where) else where
        self.found.append(Problem(message, location, path))

    def append(self, problem: Problem) -> None:
        self.found.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.found.extend(problems)

    def __len__(self) -> int:
        return len(self.found)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.found)


@dataclass(frozen=True)
class Places:
    """Where an entry and each of its fields were written, located on request.

    A field's value may come from the entry or from a template; a list or mapping
    that came whole from a variable has its items where the variable was set.
    """

    origin: Where
    fields: Mapping[str, Where]
    """Fields written elsewhere than in the entry (by a template), and where."""
    own: Collection[str] = ()
    """Fields the entry itself sets: they are written in it (``origin / field``)."""
    spliced: Mapping[tuple[PathPart, ...], tuple[str, Where]] = field(default_factory=dict)
    """Path of a value taken whole from a list or mapping variable -> (its name, where
    it was set)."""
    locator: Locator = field(default_factory=Locator, compare=False, repr=False)

    @classmethod
    def given(
        cls,
        origin: SourceLocation,
        locations: Mapping[str, SourceLocation],
        fields: Iterable[str],
    ) -> Places:
        """Places given in code (``field`` or ``field[1]`` -> location), not read from files."""
        return cls(
            Where(origin.file),
            {name: Where(origin.file, (name,)) for name in fields},
            (),
            {},
            GivenLocations(origin, locations),
        )

    def where(self, path: tuple[PathPart, ...]) -> Where:
        """The place of the value at ``path`` in the entry; the entry when it is not set."""
        if not path:
            return self.origin
        for prefix, (_, source) in self.spliced.items():
            if len(path) > len(prefix) and path[: len(prefix)] == prefix:
                return source.joined(path[len(prefix) :])
        field = str(path[0])
        if field in self.own:
            return self.origin.joined(path)
        base = self.fields.get(field)
        return self.origin if base is None else base.joined(path[1:])

    def key_where(self, path: tuple[PathPart, ...]) -> Where:
        """The place of the key of the value at ``path``."""
        if not path or (str(path[0]) not in self.own and str(path[0]) not in self.fields):
            return self.origin
        return self.where(path).key_of()

    def variable_of(self, path: tuple[PathPart, ...]) -> str | None:
        """The list or mapping variable the value at ``path`` is in, if it is."""
        for prefix, (name, _) in self.spliced.items():
            if len(path) > len(prefix) and path[: len(prefix)] == prefix:
                return name
        return None

    def locate(self, path: tuple[PathPart, ...] = ()) -> SourceLocation:
        """The line and column of the value at ``path``."""
        return self.locator.locate(self.where(path))


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> tuple[PathPart, ...]:
    """``patients[0].identifier`` -> (``patients``, 0, ``identifier``)."""
    return tuple(int(index) if index else name for name, index in _PART.findall(text))
