"""How a handler stops with the answer the real server would give.

Three kinds, as on the real server: a DRF error (JSON ``{"detail": ...}`` or a field
dict), an unhandled Django exception (an HTML 500 page naming the exception), and a URL
that matches no route (Django's HTML 404 page).
"""

from __future__ import annotations

from typing import Any

PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_AUTHENTICATED = "Authentication credentials were not provided."


class HandlerStop(Exception):
    """Base of the exceptions a handler raises to answer with an error."""


class ApiError(HandlerStop):
    """A DRF error response: a status and a JSON body."""

    def __init__(
        self, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload
        self.headers = headers


class ServerError(HandlerStop):
    """An exception Django did not handle: a 500 page titled ``<name> at <path>``."""

    def __init__(self, exception_name: str, value: str) -> None:
        super().__init__(exception_name, value)
        self.exception_name = exception_name
        self.value = value


class PageNotFound(HandlerStop):
    """No URL pattern matched: Django's HTML 404 page."""


def not_found(detail: str) -> ApiError:
    return ApiError(404, {"detail": detail})


def permission_denied(detail: str = PERMISSION_DENIED) -> ApiError:
    return ApiError(403, {"detail": detail})


def does_not_exist(model: str) -> ServerError:
    """``Model.objects.get`` found nothing and nobody caught it."""
    return ServerError("DoesNotExist", f"{model} matching query does not exist.")


def key_error(key: str) -> ServerError:
    return ServerError("KeyError", repr(key))


def field_errors(errors: dict[str, str]) -> ApiError:
    """A serializer's 400: each field with its one message."""
    return ApiError(400, {name: [message] for name, message in errors.items()})


def object_pk(value: Any) -> int:
    """The id of a ``{pk}`` URL as DRF's ``get_object`` converts it: a non-number is a
    plain 404 (DRF's ``get_object_or_404`` turns the ValueError into ``Not found.``)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise not_found("Not found.") from None


def to_pk(value: Any) -> int | None:
    """Convert an id as Django's integer fields do before querying.

    ``None`` stays ``None``; ``int()`` decides the rest, and its failure becomes the
    ValueError or TypeError that Django raises, uncaught, as a 500.
    """
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ServerError(
            type(error).__name__, f"Field 'id' expected a number but got {value!r}."
        ) from None
