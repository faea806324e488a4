"""Error answers of the exchange, reduced to a typed error with a one-line reason.

The real server answers errors in four shapes (see the contract recordings): DRF's
``{"detail": ...}``, a field dict from validation (``{"name": ["This field is
required."]}``), a bare list of strings, and, for every unhandled error (the many 500s
of this API), a Django HTML page of up to 175 KB or a plain-text traceback. A user
needs one line, never the page: the title of an HTML page, the first line of text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from jhe_sync.errors import (
    AuthError,
    ExchangeError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)

MAX_REASON = 200

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SECRETISH = re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_AUTH_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')


@dataclass(frozen=True)
class BearerChallenge:
    """What a 401's ``WWW-Authenticate: Bearer ...`` says (RFC 6750): ``error`` is
    ``invalid_token`` for an expired, revoked or unknown token and empty when no token
    arrived; only ``description`` tells expired from the rest ("The access token has
    expired." against "... is invalid.", recordings 002 and 003)."""

    error: str = ""
    description: str = ""

    @property
    def expired(self) -> bool:
        return "expired" in self.description.lower()


def bearer_challenge(response: httpx.Response) -> BearerChallenge:
    """The Bearer challenge of a response (empty when it has none)."""
    header = response.headers.get("www-authenticate", "")
    scheme, _, params = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return BearerChallenge()
    found = {
        name.lower(): (quoted if quoted else bare).replace('\\"', '"')
        for name, quoted, bare in _AUTH_PARAM.findall(params)
    }
    return BearerChallenge(
        error=_clip(found.get("error", "")), description=_clip(found.get("error_description", ""))
    )


def error_for(
    method: str, path: str, response: httpx.Response, secrets: Iterable[str] = ()
) -> ExchangeError:
    """The typed error for an error status, carrying method, path, status and reason
    (with ``secrets`` redacted, see ``one_line_reason``)."""
    status = response.status_code
    reason = one_line_reason(response, secrets)
    if status == 401:
        return AuthError(method, path, status, reason)
    if status == 403:
        return PermissionDenied(method, path, status, reason)
    if status == 404:
        return NotFound(method, path, status, reason)
    if status == 429:
        return RateLimited(method, path, status, reason, retry_after=retry_after_seconds(response))
    if status >= 500:
        return ServerError(method, path, status, reason)
    return ExchangeError(method, path, status, reason)


def one_line_reason(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """What went wrong, in one line of at most ``MAX_REASON`` characters.

    ``secrets`` (the caller's tokens and client secret) are redacted wherever the
    answer repeats them, as a proxy or a debug page may: a reason is printed, logged
    and journaled. Bearer and Basic credentials are redacted whatever they are.
    """
    content_type = response.headers.get("content-type", "").lower()
    text = _body_text(response)
    if not text.strip():
        return response.reason_phrase or f"HTTP {response.status_code}"
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            reason = _json_reason(json.loads(text))
        except ValueError:
            reason = _first_line(text)
    elif "html" in content_type or text.lstrip()[:1] == "<":
        reason = _html_reason(text)
    else:
        reason = _first_line(text)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        reason = reason.replace(secret, "<redacted>")
    return _clip(_SECRETISH.sub(r"\1 <redacted>", reason)) or f"HTTP {response.status_code}"


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date); None if absent."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    date = response.headers.get("date")
    try:
        now = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        now = None
    if now is None:
        now = datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (UnicodeDecodeError, LookupError):
        return ""


def _json_reason(data: Any) -> str:
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(data.get("error"), str):
            description = data.get("error_description")
            return (
                f"{data['error']}: {description}" if isinstance(description, str) else data["error"]
            )
        return "; ".join(f"{key}: {_flat(value)}" for key, value in data.items())
    return _flat(data)


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_flat(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flat(item)}" for key, item in value.items())
    return str(value)


def _html_reason(text: str) -> str:
    for pattern in (_TITLE, _HEADING):
        match = pattern.search(text)
        if match:
            found = _plain(match.group(1))
            if found:
                return found
    return _first_line(_plain(_TAG.sub("\n", text)))


def _plain(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return _SPACE.sub(" ", line).strip()
    return ""


def _clip(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
