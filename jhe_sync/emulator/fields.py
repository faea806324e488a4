"""DRF's field validation as the server's serializers run it: one message per bad field.

A serializer is a list of ``Field``s; ``validate`` returns the cleaned values of the
fields the body holds, or raises the 400 field dict DRF answers (keys camelCased by the
server's renderer, as ``{"partOf": [...]}`` in 417). The parsers follow DRF's
``CharField`` (trimmed, blank refused unless allowed), ``ChoiceField`` (the choice's key,
not its label, 415) and ``PrimaryKeyRelatedField`` (a row that must exist, 417). The
views that check their input by hand use ``stripped`` and ``is_email`` (Django's
``validate_email``) instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jhe_sync.emulator.db import Store
from jhe_sync.emulator.errors import ApiError, ServerError

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."


class Invalid(Exception):
    """A field's value was refused; the message is the one DRF gives."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Field:
    """One writable serializer field: its (snake_case) name, parser, and whether required."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = False


def validate(data: Any, fields: Sequence[Field], *, partial: bool) -> dict[str, Any]:
    """The cleaned values of ``fields`` present in ``data``, or DRF's 400."""
    if not isinstance(data, Mapping):
        raise ApiError(
            400,
            {
                "nonFieldErrors": [
                    f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                ]
            },
        )
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.name not in data:
            if field.required and not partial:
                errors[camel(field.name)] = [REQUIRED]
            continue
        try:
            cleaned[field.name] = field.parse(data[field.name])
        except Invalid as refused:
            errors[camel(field.name)] = [refused.message]
    if errors:
        raise ApiError(400, errors)
    return cleaned


def camel(name: str) -> str:
    """``part_of`` -> ``partOf``, as the server's renderer writes keys."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def char(*, allow_null: bool = False, allow_blank: bool = False) -> Callable[[Any], str | None]:
    """DRF's ``CharField``: numbers become text, whitespace is trimmed."""

    def parse(value: Any) -> str | None:
        if value is None:
            if allow_null:
                return None
            raise Invalid(NULL)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Invalid("Not a valid string.")
        text = str(value).strip()
        if not text and not allow_blank:
            raise Invalid(BLANK)
        return text

    return parse


def choice(choices: Mapping[str, str]) -> Callable[[Any], str]:
    """DRF's ``ChoiceField`` over a model's choices: only a key is valid."""

    def parse(value: Any) -> str:
        if value is None:
            raise Invalid(NULL)
        if str(value) not in choices:
            raise Invalid(f'"{value}" is not a valid choice.')
        return str(value)

    return parse


def primary_key(
    store: Store, table: str, *, allow_null: bool = False
) -> Callable[[Any], int | None]:
    """DRF's ``PrimaryKeyRelatedField``: the id of an existing row of ``table``."""

    def parse(value: Any) -> int | None:
        if value is None:
            if allow_null:
                return None
            raise Invalid(NULL)
        incorrect = f"Incorrect type. Expected pk value, received {type(value).__name__}."
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Invalid(incorrect)
        try:
            row_id = int(value)
        except ValueError:
            raise Invalid(incorrect) from None
        if store.one(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)) is None:
            raise Invalid(f'Invalid pk "{value}" - object does not exist.')
        return row_id

    return parse


# Django's EmailValidator: a dot-atom local part, then a host name with a top-level
# domain (or ``localhost``), at most 320 characters.
_EMAIL_USER = re.compile(r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*", re.I)
_EMAIL_DOMAIN = re.compile(
    r"((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)(?:[a-z0-9-]{2,63}(?<!-))", re.I
)


def is_email(text: str) -> bool:
    """Whether Django's ``validate_email`` accepts ``text``."""
    if len(text) > 320 or "@" not in text:
        return False
    user, domain = text.rsplit("@", 1)
    return bool(_EMAIL_USER.fullmatch(user)) and (
        domain == "localhost" or bool(_EMAIL_DOMAIN.fullmatch(domain))
    )


def stripped(value: object) -> str:
    """``(request.data.get(key) or "").strip()``, a non-text value failing as it does there."""
    if not value:
        return ""
    if not isinstance(value, str):
        raise ServerError(
            "AttributeError", f"'{type(value).__name__}' object has no attribute 'strip'"
        )
    return value.strip()
