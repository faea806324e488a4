"""Reading a spec file as plain values, at about the cost of the YAML parser itself.

The happy path of ``jhe-sync validate``: libyaml's events become dicts, lists and
strings directly, with no location kept for any value. Whatever the strict loader
(``yamlload``) would refuse or treat with care (a tag, an alias, a duplicate or merge
key, a key that is not text, nesting too deep, a second document, a syntax error) is
not handled here: the file is read again by ``yamlload``, which says where the
problem is, or, when there is none (an alias within bounds, an allowed explicit
tag), gives the located tree that is then turned into the same plain values.

Two things are kept while reading because they are nearly free here and costly
later: where each entry of a section starts (``studies[3]``: the place plans show for
a study), and the text of every scalar holding ``${`` (which variables the file uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from jhe_sync.errors import SourceLocation
from jhe_sync.spec.located import Node, to_value
from jhe_sync.spec.values import Typed, Value
from jhe_sync.spec.yamlload import (
    MAX_DEPTH,
    MAY_NOT_BE_TEXT,
    YAML_LOADER,
    decode_utf8,
    parse_yaml,
    resolve_scalar,
)

Marks = dict[tuple[str | int, ...], SourceLocation]


@dataclass
class PlainFile:
    """One file read as plain values."""

    root: Value | None
    """None for a file without a document (empty, or only comments)."""
    marks: Marks = field(default_factory=dict)
    """Where each value two levels down starts (``("studies", 3)``, ``("templates", "bp")``)."""
    references: list[str] = field(default_factory=list)
    """The text of every scalar that holds ``${``."""
    tree: Node | None = None
    """The located tree, when the file had to be read by the strict loader."""


class _Unusual(Exception):
    """Something only the strict loader handles; it reads the file instead."""


_SEQUENCE = object()  # the "key" of a sequence frame: items are appended
_NO_KEY = None  # a mapping frame waiting for its next key


def load_plain(data: bytes, file: str) -> PlainFile:
    """The file's values; raises ``SpecError`` (with places) for what a spec may not hold."""
    text = decode_utf8(data, file)
    try:
        return _read(text, file)
    except _Unusual:
        tree = parse_yaml(text, file)
        references: list[str] = []
        root = to_value(tree, references) if tree is not None else None
        return PlainFile(root, {}, references, tree)


def _read(text: str, file: str) -> PlainFile:
    loader = YAML_LOADER(text)
    next_event = loader.get_event
    # Typed loosely: this loop is the cost of reading a spec, and its shape is simple.
    containers: list[Any] = []  # the open lists and mappings, innermost last
    keys: list[Any] = []  # per open container: _SEQUENCE, _NO_KEY or the pending key
    marks: Marks = {}
    references: list[str] = []
    root: Value | None = None
    documents = 0
    try:
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                if event.tag is not None or event.anchor is not None:
                    raise _Unusual
                written: str = event.value
                plain = event.implicit[0]
                if not containers:
                    root = _scalar(written, plain)
                    if type(root) is str and "${" in root:
                        references.append(root)
                    continue
                key = keys[-1]
                if key is _SEQUENCE or key is not _NO_KEY:
                    value: Value = written
                    if plain and (not written or written[0] in MAY_NOT_BE_TEXT):
                        value = _scalar(written, plain)
                    if type(value) is str and "${" in value:
                        references.append(value)
                    if key is _SEQUENCE:
                        containers[-1].append(value)
                    else:
                        containers[-1][key] = value
                        keys[-1] = _NO_KEY
                elif (plain and written == "<<") or written in containers[-1]:
                    raise _Unusual  # a merge key or a duplicate key
                else:
                    keys[-1] = written
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None or event.anchor is not None:
                    raise _Unusual
                depth = len(containers)
                if depth >= MAX_DEPTH:
                    raise _Unusual
                container: Any = {} if kind is MappingStartEvent else []
                if depth:
                    key = keys[-1]
                    parent = containers[-1]
                    if key is _SEQUENCE:
                        if depth == 2 and isinstance(keys[0], str):
                            marks[(keys[0], len(parent))] = _at(file, event)
                        parent.append(container)
                    elif key is _NO_KEY:
                        raise _Unusual  # a list or mapping as a key
                    else:
                        if depth == 2 and isinstance(keys[0], str):
                            marks[(keys[0], key)] = _at(file, event)
                        parent[key] = container
                        keys[-1] = _NO_KEY
                else:
                    root = container
                containers.append(container)
                keys.append(_NO_KEY if kind is MappingStartEvent else _SEQUENCE)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                containers.pop()
                keys.pop()
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual
            elif kind is StreamEndEvent:
                break
            elif kind is AliasEvent:
                raise _Unusual
    except yaml.YAMLError:
        raise _Unusual from None
    finally:
        loader.dispose()
    return PlainFile(root, marks, references)


def _scalar(text: str, plain: bool) -> Value:
    if not plain:
        return text
    _, value = resolve_scalar(text, (True, False))
    return value if isinstance(value, str) else Typed(value, text)


def _at(file: str, event: Any) -> SourceLocation:
    mark = event.start_mark
    return SourceLocation(file, mark.line + 1, mark.column + 1)
