"""Requests and responses as the emulator's handlers see them.

Input keys are converted from camelCase to snake_case (JSON bodies and query
parameters), as djangorestframework-camel-case does on the real server; handlers then
read snake_case only. Output shapes are written out camelCase by ``shapes``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from jhe_sync.emulator.errors import ApiError, ServerError

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def underscoreize(value: Any) -> Any:
    """camelCase keys to snake_case, recursively, like the server's camel-case parser."""
    if isinstance(value, dict):
        return {_snake(k) if isinstance(k, str) else k: underscoreize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [underscoreize(v) for v in value]
    return value


def _snake(key: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", key).lower()


class FormData(dict[str, str]):
    """A form-encoded body: Django's QueryDict, whose missing key is its own KeyError."""

    def __missing__(self, key: str) -> str:
        raise ServerError("MultiValueDictKeyError", repr(key))


@dataclass
class Request:
    """One HTTP request, decoded."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    scheme: str = "http"
    host: str = "127.0.0.1:8000"
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        host = (
            headers.get("host")
            or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
        )
        path = environ.get("PATH_INFO", "/") or "/"
        # PEP 3333 hands PATH_INFO over as latin-1-decoded bytes
        path = path.encode("latin-1").decode("utf-8", "replace")
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            query_string=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=body,
            scheme=environ.get("wsgi.url_scheme", "http"),
            host=host,
        )

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, snake_case keys, the last value of a repeated key (QueryDict.get)."""
        return {_snake(k): v for k, v in parse_qsl(self.query_string, keep_blank_values=True)}

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @cached_property
    def data(self) -> Any:
        """The body as DRF's ``request.data``: a dict for JSON objects or forms, {} when empty."""
        return self._parse_body()

    def _parse_body(self) -> Any:
        if not self.body:
            return {}
        content_type = self.content_type
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                return underscoreize(json.loads(self.body.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as error:
                raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            pairs = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            return FormData({_snake(k): v for k, v in pairs})
        raise ApiError(415, {"detail": f'Unsupported media type "{content_type}" in request.'})

    def accepts_html(self) -> bool:
        """Whether Django's debug 500 would be HTML (else it is a plain-text traceback)."""
        accept = self.headers.get("accept", "")
        if not accept:
            return True
        kinds = [part.split(";", 1)[0].strip() for part in accept.split(",")]
        return any(kind in ("text/html", "text/*", "*/*") for kind in kinds)


@dataclass
class Response:
    """A status, headers and body; what every handler returns."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", "application/json"), *(headers or [])])


def empty_response(status: int) -> Response:
    """201 or 204 with no body and no content type, as the recordings show."""
    return Response(status)


STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def server_error_page(request: Request, exception_name: str, value: str) -> Response:
    """A short stand-in for Django's debug 500: the title names the exception and path.

    Like Django, answer plain text to a client that does not accept HTML (092).
    """
    title = f"{exception_name} at {request.path}"
    if not request.accepts_html():
        text = f"{title}\n{value}\n\n\nRequest Method: {request.method}\n"
        return Response(500, text.encode("utf-8"), [("Content-Type", "text/plain; charset=utf-8")])
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        '  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n'
        f"  <title>{html.escape(title)}</title>\n</head>\n<body>\n"
        "  <h1>Server Error (500)</h1>\n"
        f'  <p class="exception_name">{html.escape(exception_name)}</p>\n'
        f'  <pre class="exception_value">{html.escape(value)}</pre>\n'
        "</body>\n</html>\n"
    )
    return Response(500, page.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])


def page_not_found(request: Request) -> Response:
    """Django's 404 for a URL no pattern matches (including a trailing slash, 050)."""
    title = f"Page not found at {request.path}"
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        '  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n'
        f"  <title>{html.escape(title)}</title>\n</head>\n<body>\n"
        "  <h1>Page not found <span>(404)</span></h1>\n"
        f"  <p>The current path, <code>{html.escape(request.path.lstrip('/'))}</code>, "
        "didn't match any of these.</p>\n</body>\n</html>\n"
    )
    return Response(404, page.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])


def require(data: Any, key: str) -> Any:
    """``request.data[key]`` as the server's views do it: a missing key is a 500 KeyError."""
    try:
        return data[key]
    except KeyError:
        raise ServerError("KeyError", repr(key)) from None
    except TypeError as error:  # a JSON array or scalar body
        raise ServerError("TypeError", str(error)) from None


def get(data: Any, key: str) -> Any:
    """``request.data.get(key)``: None when missing; a body that is not an object is a 500."""
    try:
        return data.get(key)
    except AttributeError as error:
        raise ServerError("AttributeError", str(error)) from None
