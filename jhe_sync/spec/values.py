"""Spec values as plain Python data, and where each one was written.

Loading a spec turns each YAML file into dicts, lists and strings (most of a spec is
text), so that templates, variables and validation cost what plain data costs. A
scalar that is not text (a number, true/false, null) is a ``Typed``: its value and
the text as written, which a variable inserted into other text uses (``007``, ``yes``).

A value's place is a ``Where``: its file and its path of keys and indexes there
(``studies``, 3, ``patients``, 1). It costs nothing to carry one per field of every
study; a line and column are worked out from it (``locator``) only for a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

ScalarValue: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Typed:
    """A scalar YAML does not read as text: its value, and its text as written."""

    value: int | float | bool | None
    text: str


Value: TypeAlias = str | Typed | list["Value"] | dict[str, "Value"]
"""A spec value as loaded: text, a typed scalar, a list or a mapping with text keys."""

PathPart: TypeAlias = str | int


@dataclass(frozen=True, slots=True)
class Where:
    """A value (or its key, or a place inside its text) by file and path in that file."""

    file: str
    path: tuple[PathPart, ...] = ()
    key: bool = False
    """The key the value is written under, rather than the value."""
    offset: int | None = None
    """A character offset inside the scalar's text (a ``${`` reference in it)."""

    def __truediv__(self, part: PathPart) -> Where:
        return Where(self.file, (*self.path, part))

    def joined(self, parts: tuple[PathPart, ...]) -> Where:
        """The value at ``parts`` below this one."""
        return Where(self.file, (*self.path, *parts)) if parts else self

    def key_of(self) -> Where:
        """The key this value is written under."""
        return Where(self.file, self.path, key=True)

    def at_offset(self, offset: int) -> Where:
        """A place ``offset`` characters into this scalar's text."""
        return Where(self.file, self.path, offset=offset)


def scalar_value(value: Value) -> ScalarValue:
    """A scalar's value as YAML reads it (text for text); lists and mappings are not scalars."""
    return value.value if isinstance(value, Typed) else value  # type: ignore[return-value]


def scalar_text(value: str | Typed) -> str:
    """A scalar's text as written."""
    return value if isinstance(value, str) else value.text


def is_scalar(value: Value) -> bool:
    """Text or a typed scalar (not a list or a mapping)."""
    return isinstance(value, str | Typed)


def is_null(value: Value) -> bool:
    """``key:`` with nothing after it, or ``~``/``null``."""
    return isinstance(value, Typed) and value.value is None


def kind_of(value: object) -> str:
    """What a user would call this kind of value, for error messages."""
    if isinstance(value, Typed):
        value = value.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def show_path(prefix: str, parts: tuple[PathPart, ...]) -> str:
    """``studies[3]`` + (``patients``, 1) -> ``studies[3].patients[1]``."""
    path = prefix
    for part in parts:
        path = join_path(path, part)
    return path


def join_path(prefix: str, part: PathPart) -> str:
    """``studies[3]`` + ``name`` -> ``studies[3].name``; + 1 -> ``studies[3][1]``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower case, each run of other characters one dash (``${slug:site}``, default keys)."""
    return _SLUG_STRIP.sub("-", text.lower()).strip("-")
