"""A safe YAML loader whose every value knows its file, line and column.

Built on the YAML event stream (libyaml when present) rather than PyYAML's
constructors, so that it can refuse what a spec never needs and PyYAML would allow or
hide: language and custom tags, duplicate mapping keys (PyYAML keeps the last one
silently), merge keys, alias bombs, recursive aliases, very deep nesting, oversized or
non-UTF-8 files, and tabs used as indentation. Every refusal is a ``Problem`` with a
location; nothing here raises anything but ``SpecError``.

This is the loader for places: ``plainload`` reads files without locations and comes
here for a file it does not accept as it is, and the ``locator`` comes here for the
line and column of a problem. Both loaders read scalars alike (``resolve_scalar``).
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, field
from typing import Protocol

import yaml
from yaml.constructor import SafeConstructor

from jhe_sync.errors import Problem, SourceLocation, SpecError
from jhe_sync.spec.located import MappingNode, Node, ScalarNode, SequenceNode
from jhe_sync.spec.values import ScalarValue

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Spec and variable files larger than this are refused before parsing."""

MAX_DEPTH = 64
"""Nesting deeper than this is refused: a spec needs about six levels."""

MAX_ALIAS_EXPANSION = 100_000
"""Values that aliases may add in one file, counted as expanded. Stops alias bombs
("billion laughs") before any expansion is built."""

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it, else PyYAML's own."""
_RESOLVER = yaml.resolver.Resolver()
MAY_NOT_BE_TEXT = frozenset(first for first in _RESOLVER.yaml_implicit_resolvers if first)
"""First characters of the plain scalars YAML may read as something other than text
(a number, true/false, null...): every other plain scalar, except the empty one, is text."""
_CONSTRUCTOR = SafeConstructor()
_STANDARD = "tag:yaml.org,2002:"
_MERGE = _STANDARD + "merge"
_ALLOWED_SCALAR_TAGS = {"str", "int", "float", "bool", "null", "timestamp"}
# What YAML 1.1 (and libyaml) accepts as characters in a stream.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""What YAML 1.1 counts as a line break (and so as the start of a new line)."""
_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def load_yaml_bytes(data: bytes, file: str) -> Node | None:
    """Parse one file's bytes into located nodes (None for an empty file)."""
    return parse_yaml(decode_utf8(data, file), file)


def decode_utf8(data: bytes, file: str) -> str:
    """The file's text. Refuses files over ``MAX_FILE_BYTES`` and anything not UTF-8."""
    if len(data) > MAX_FILE_BYTES:
        raise SpecError([file_too_large(file, len(data))])
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise SpecError(
                [
                    Problem(
                        f"the file is {name}, not UTF-8; save it as UTF-8",
                        SourceLocation(file, 1, 1),
                    )
                ]
            )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", errors="replace")) + 1
        byte = data[error.start]
        raise SpecError(
            [
                Problem(
                    f"the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
                    SourceLocation(file, line, column),
                )
            ]
        ) from None


def file_too_large(file: str, size: int) -> Problem:
    """The problem for a file over the size bound."""
    return Problem(
        f"the file is {size / 1024 / 1024:.1f} MiB; spec and variable files are limited to "
        f"{MAX_FILE_BYTES // 1024 // 1024} MiB",
        SourceLocation(file, 1, 1),
    )


def parse_yaml(text: str, file: str) -> Node | None:
    """Parse YAML text into located nodes; raises ``SpecError`` with every problem found."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        raise SpecError(
            [
                Problem(
                    f"the character U+{ord(bad.group()):04X} is not allowed in YAML; remove it",
                    _location_of_offset(text, file, bad.start()),
                )
            ]
        )
    builder = _Builder(file, text)
    try:
        for event in yaml.parse(text, Loader=YAML_LOADER):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        raise SpecError([_syntax_problem(error, text, file)]) from None
    except yaml.YAMLError as error:
        raise SpecError([Problem(f"not valid YAML: {error}", SourceLocation(file, 1, 1))]) from None
    except _Stop:
        pass
    if builder.problems:
        raise SpecError(builder.problems)
    return builder.root


def _syntax_problem(error: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    line, column = _place_in(text, error.problem_mark or error.context_mark)
    tab = _first_indentation_tab(text, line)
    if tab is not None:
        return Problem(
            "a tab is used for indentation; YAML indents with spaces only",
            SourceLocation(file, tab[0], tab[1]),
        )
    what = " ".join(part for part in (error.context, error.problem) if part)
    return Problem(f"not valid YAML: {what or 'syntax error'}", SourceLocation(file, line, column))


def _place_in(text: str, mark: _Mark | None) -> tuple[int, int]:
    """A mark as a 1-based line and column that exist in the text: libyaml puts the end
    of a stream that lacks a final line break on a line after the last one."""
    if mark is None:
        return 1, 1
    lines = _LINE_BREAK.split(text)
    if mark.line < len(lines):
        return mark.line + 1, mark.column + 1
    return len(lines), len(lines[-1]) + 1


def _first_indentation_tab(text: str, up_to_line: int) -> tuple[int, int] | None:
    for number, line in enumerate(text.split("\n")[:up_to_line], start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            return number, line.index("\t") + 1
    return None


def _location_of_offset(text: str, file: str, offset: int) -> SourceLocation:
    line_start = text.rfind("\n", 0, offset) + 1
    return SourceLocation(file, text.count("\n", 0, offset) + 1, offset - line_start + 1)


class _Mark(Protocol):
    """A position as libyaml's and PyYAML's marks both give it (0-based)."""

    line: int
    column: int


class _Stop(Exception):
    """Parsing cannot usefully go on; the builder's problems say why."""


@dataclass
class _Frame:
    kind: str  # "map" or "seq"
    location: SourceLocation
    anchor: str | None
    items: list[tuple[Node, int]] = field(default_factory=list)
    size: int = 1


class _Builder:
    """Turns parser events into located nodes, checking each as it comes."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._lines: list[str] | None = None
        self._line_count = len(_LINE_BREAK.findall(text)) + 1
        self.problems: list[Problem] = []
        self.root: Node | None = None
        self._stack: list[_Frame] = []
        self._anchors: dict[str, tuple[Node, int]] = {}
        self._open_anchors: set[str] = set()
        self._alias_expansion = 0
        self._documents = 0
        self._merge_keys: set[int] = set()  # plain "<<" keys; a quoted "<<" is an ordinary key

    def _at(self, mark: _Mark | None) -> SourceLocation:
        if mark is None:
            return SourceLocation(self.file, 1, 1)
        if mark.line >= self._line_count:  # the end of a stream without a final line break
            return SourceLocation(self.file, *_place_in(self.text, mark))
        return SourceLocation(self.file, mark.line + 1, mark.column + 1)

    def _stop(self, message: str, mark: _Mark | None) -> _Stop:
        self.problems.append(Problem(message, self._at(mark)))
        return _Stop()

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._add(self._scalar(event), 1, event.anchor)
        elif isinstance(event, yaml.CollectionStartEvent):
            self._start(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            self._end()
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.DocumentStartEvent):
            self._documents += 1
            if self._documents > 1:
                raise self._stop(
                    "a spec file holds one YAML document; split the others into files of their own",
                    event.start_mark,
                )

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
        if len(self._stack) >= MAX_DEPTH:
            raise self._stop(
                f"values are nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        expected = _STANDARD + kind
        if event.tag not in (None, "!", expected):
            self._refuse_tag(event.tag, event.start_mark)
        if event.anchor is not None:
            self._open_anchors.add(event.anchor)
        self._stack.append(_Frame(kind, self._at(event.start_mark), event.anchor))

    def _end(self) -> None:
        frame = self._stack.pop()
        node: Node
        if frame.kind == "seq":
            node = SequenceNode(tuple(item for item, _ in frame.items), frame.location)
        else:
            node = self._mapping(frame)
        if frame.anchor is not None:
            self._open_anchors.discard(frame.anchor)
        self._add(node, frame.size, frame.anchor)

    def _add(self, node: Node, size: int, anchor: str | None) -> None:
        if anchor is not None:
            self._anchors[anchor] = (node, size)
        if self._stack:
            frame = self._stack[-1]
            frame.items.append((node, size))
            frame.size += size
        else:
            self.root = node

    def _alias(self, event: yaml.AliasEvent) -> None:
        name = event.anchor
        if name in self._open_anchors:
            raise self._stop(
                f"the alias *{name} refers to a value that contains it", event.start_mark
            )
        if name not in self._anchors:
            raise self._stop(
                f"the alias *{name} refers to no anchor &{name} above it", event.start_mark
            )
        node, size = self._anchors[name]
        self._alias_expansion += size
        if self._alias_expansion > MAX_ALIAS_EXPANSION:
            raise self._stop(
                f"aliases expand to more than {MAX_ALIAS_EXPANSION} values (an alias bomb?); "
                "use templates for repeated content",
                event.start_mark,
            )
        self._add(node, size, None)

    def _scalar(self, event: yaml.ScalarEvent) -> ScalarNode:
        location = self._at(event.start_mark)
        tag = event.tag
        text = event.value
        value: ScalarValue
        if tag in (None, "!"):
            tag, value = resolve_scalar(text, event.implicit)
            if tag == _MERGE:
                node = ScalarNode(text, location, text)
                self._merge_keys.add(id(node))
                return node
        elif tag.startswith(_STANDARD) and tag[len(_STANDARD) :] in _ALLOWED_SCALAR_TAGS:
            try:
                value = _construct(tag, text)
            except Exception:  # a wrong explicit tag (!!int abc): any failure means the same
                self.problems.append(Problem(f"{text!r} is not a valid {_show_tag(tag)}", location))
                value = None
        else:
            self._refuse_tag(tag, event.start_mark)
            value = None
        column = self._text_column(event) if "${" in text else None
        return ScalarNode(value, location, text, column)

    def _text_column(self, event: yaml.ScalarEvent) -> int | None:
        start, end = event.start_mark, event.end_mark
        if (
            start is None
            or end is None
            or start.line != end.line
            or event.style not in (None, "", "'", '"')
        ):
            return None
        if self._lines is None:
            self._lines = self.text.split("\n")
        found = self._lines[start.line].find(event.value, start.column)
        return found + 1 if found >= 0 else None

    def _mapping(self, frame: _Frame) -> MappingNode:
        entries: dict[str, Node] = {}
        key_locations: dict[str, SourceLocation] = {}
        pairs = frame.items
        for index in range(0, len(pairs) - 1, 2):
            key_node, value_node = pairs[index][0], pairs[index + 1][0]
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    Problem(
                        "a mapping key must be plain text, not a list or mapping", key_node.location
                    )
                )
                continue
            key = key_node.text
            if id(key_node) in self._merge_keys:
                self.problems.append(
                    Problem(
                        "YAML merge keys (<<) are not supported; use templates and use: instead",
                        key_node.location,
                    )
                )
                continue
            if key in entries:
                first = key_locations[key]
                self.problems.append(
                    Problem(
                        f"the key {key!r} appears twice in this mapping "
                        f"(first at line {first.line}, column {first.column}); YAML keeps only one",
                        key_node.location,
                    )
                )
                continue
            entries[key] = value_node
            key_locations[key] = key_node.location
        return MappingNode(entries, frame.location, key_locations)

    def _refuse_tag(self, tag: str, mark: _Mark | None) -> None:
        self.problems.append(
            Problem(
                f"the tag {_show_tag(tag)} is not allowed: spec files are plain YAML "
                "(no language or custom tags)",
                self._at(mark),
            )
        )


def resolve_scalar(text: str, implicit: tuple[bool, bool]) -> tuple[str, ScalarValue]:
    """The tag and value YAML gives an untagged scalar (plain: by its form; quoted: text)."""
    if len(text) < 64:
        return _implicit(text, implicit)
    return _implicit.__wrapped__(text, implicit)


@functools.lru_cache(maxsize=4096)
def _implicit(text: str, implicit: tuple[bool, bool]) -> tuple[str, ScalarValue]:
    # Cached: keys and common values repeat in every entry, and resolving is a regex walk.
    # types-PyYAML leaves BaseResolver.resolve untyped.
    tag = str(_RESOLVER.resolve(yaml.ScalarNode, text, implicit))  # type: ignore[no-untyped-call]
    if tag == _MERGE:
        return tag, text
    if tag[len(_STANDARD) :] not in _ALLOWED_SCALAR_TAGS:  # YAML 1.1's "=" (!!value)
        return _STANDARD + "str", text
    return tag, _construct(tag, text)


def _construct(tag: str, text: str) -> ScalarValue:
    kind = tag[len(_STANDARD) :]
    if kind in ("str", "timestamp"):
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return bool(_CONSTRUCTOR.bool_values[text.lower()])
    node = yaml.ScalarNode(tag, text)
    if kind == "int":
        return int(_CONSTRUCTOR.construct_yaml_int(node))
    if kind == "float":
        return float(_CONSTRUCTOR.construct_yaml_float(node))
    raise ValueError(tag)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_STANDARD) :] if tag.startswith(_STANDARD) else tag
