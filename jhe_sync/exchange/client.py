"""``Exchange``: the one request path to a JupyterHealth Exchange.

Everything that touches the network goes through ``Exchange``: it sets a timeout on
every call, gets (and once refreshes) a token, retries reads with backoff and jitter,
follows pagination to the end (and no further than the server's count), turns error
answers into typed errors with a one-line reason (its own token and secret redacted,
should the server repeat them), logs each request (method, path, status, time) and
never a secret.

Writes are sent exactly once: whether a failed write happened is a question only the
caller (``apply``) can answer, by reading the object back.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from jhe_sync.errors import (
    AuthError,
    ConfigError,
    ExchangeError,
    JheSyncError,
    ProtocolError,
    TokenRefused,
    TransportError,
)
from jhe_sync.exchange.responses import (
    bearer_challenge,
    error_for,
    one_line_reason,
    retry_after_seconds,
)
from jhe_sync.exchange.settings import checked_token_url, normalized_url

log = logging.getLogger("jhe_sync.exchange")

TOKEN_PATH = "/o/token/"
"""Where JHE serves the client-credentials grant, under the exchange URL (``OAUTH_MOUNT_PATH``
``/o/`` upstream); ``token_url`` (``JHE_TOKEN_URL``) names another place on the same origin."""

NEW_TOKEN_HINT = (
    "generate a new one in the exchange's console (Generate Bearer Token) and set JHE_TOKEN, "
    "or set JHE_CLIENT_ID and JHE_CLIENT_SECRET (a practitioner API client) so that jhe-sync "
    "gets fresh tokens itself"
)
MAX_PAGE_SIZE = 1000
"""The server's cap; a larger page_size is silently reduced to it."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_MAX_PAGES = 100_000
_REDACTED_QUERY_KEYS = frozenset({"email"})
"""Query values kept out of logs: a patient's e-mail is personal data."""

Params = Mapping[str, str | int]


@dataclass(frozen=True)
class RetryPolicy:
    """How reads are retried: bounded attempts, exponential backoff with jitter (each
    wait is between half and all of the exponential step, so threads that failed
    together do not retry together).

    ``max_retry_after`` caps how long a server's ``Retry-After`` can make us wait.
    """

    attempts: int = 5
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + jitter / 2)


@dataclass(frozen=True)
class Reply:
    """A successful answer to a write: its status and decoded JSON body (None if empty)."""

    status: int
    data: Any


class Exchange:
    """A connection to one exchange, with its credentials. Thread-safe; close it after use.

    ``transport`` is the seam for tests and ``--url local`` (the emulator in process);
    ``token_url`` is the token endpoint when the server mounts OAuth elsewhere (an
    absolute URL on the exchange's origin; default ``TOKEN_PATH`` under ``base_url``);
    ``sleep`` is called for every backoff, so tests need not wait; ``page_size`` is
    the page size asked for on paginated lists (smaller only in tests).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        name: str | None = None,
    ) -> None:
        if not token and not (client_id and client_secret):
            raise ConfigError("an Exchange needs a token, or a client id and secret")
        self.base_url = base_url.rstrip("/")
        self.name = name or normalized_url(self.base_url)
        """Which exchange this is, as a saved plan records it: the normalised URL (for the
        emulator in process, ``local:`` and its database file)."""
        self._host = urlsplit(self.base_url).netloc.rpartition("@")[2] or self.base_url
        """The host (and port) errors name: ``jhe.example.org``."""
        self.token_url = checked_token_url(token_url, self.base_url) if token_url else None
        self._token_path = urlsplit(token_url).path if token_url else TOKEN_PATH
        """How the token endpoint is shown in logs and errors."""
        self.retry = retry or RetryPolicy()
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self.sleep = sleep
        self._jitter = jitter
        self._client_id = client_id
        self._client_secret = client_secret
        self._token = token
        # What an error's reason must never show: the secret and every token held.
        self._secrets: tuple[str, ...] = tuple(filter(None, (token, client_secret)))
        self._token_generation = 0
        self._token_lock = threading.Lock()
        self._login_refused: JheSyncError | None = None
        self._count_lock = threading.Lock()
        self._requests = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            verify=True,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "jhe-sync"},
        )

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Exchange({self.base_url!r})"

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (token requests and retries included)."""
        return self._requests

    # -- reads -----------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None) -> Any:
        """GET a JSON document, retrying connection errors, 5xx and 429."""
        response = self._with_retries("GET", path, params)
        return _json(response, "GET", path)

    def get_all(self, path: str, params: Params | None = None) -> list[Any]:
        """Every item of a list, page after page; a bare array is returned as it is.

        Pages are asked for by number rather than by following ``next``: the server
        builds ``next`` from the request's Host header, and a token must never be
        sent to a host the user did not name.
        """
        base = {**(params or {}), "page_size": self.page_size}
        items: list[Any] = []
        for page in range(1, _MAX_PAGES):
            query = base if page == 1 else {**base, "page": page}
            data = self.get(path, query)
            if isinstance(data, list) and page == 1:
                return data
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise ProtocolError(
                    f"GET {path}: expected a list or a page of results, got {_kind(data)}"
                )
            count = data.get("count")
            if isinstance(count, bool) or not isinstance(count, int):
                raise ProtocolError(
                    f"GET {path}: page {page} does not say how many items there are"
                )
            items.extend(results)
            if not data.get("next") or not results:
                return items
            # A server's own count bounds the list: pages that go on past it never end.
            if len(items) >= count:
                raise ProtocolError(
                    f"GET {path}: page {page} says more follow, but the {len(items)} items "
                    f"read already reach the server's count of {count}: the list does not end"
                )
        raise ProtocolError(f"GET {path}: more than {_MAX_PAGES} pages")

    # -- writes ----------------------------------------------------------------------

    def write(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Reply:
        """Send one write, once. Errors are typed; a 401 is retried once with a new token
        (a 401 means the request was not processed)."""
        response = self._send(method, path, None, body)
        # A redirect is not success: the API never redirects a write, and following one
        # would resend it elsewhere. It is a definite refusal, not an unknown outcome.
        if response.status_code >= 300:
            raise self._error_for(method, path, response)
        return Reply(response.status_code, _json(response, method, path))

    # -- the request path ------------------------------------------------------------

    def _with_retries(self, method: str, path: str, params: Params | None) -> httpx.Response:
        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                response = self._send(method, path, params, None)
            except TransportError as error:
                if last or not error.retryable:
                    raise
                self._pause(
                    method, path, attempt, policy.delay(attempt, self._jitter()), str(error)
                )
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if last:
                    raise self._error_for(method, path, response)
                delay = policy.delay(attempt, self._jitter())
                if status == 429:
                    wanted = retry_after_seconds(response)
                    if wanted is not None:
                        delay = min(wanted, policy.max_retry_after)
                self._pause(method, path, attempt, delay, f"{status} {self._reason(response)}")
                continue
            if status >= 300:
                raise self._error_for(method, path, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, method: str, path: str, attempt: int, delay: float, why: str) -> None:
        log.debug(
            "retrying %s %s in %.2f s (attempt %d of %d failed: %s)",
            method,
            path,
            delay,
            attempt,
            self.retry.attempts,
            why,
        )
        self.sleep(delay)

    def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        """One request with the current token; on a 401, one more with a fresh token."""
        token, generation = self._current_token()
        response = self._raw(method, path, params, body, token)
        if response.status_code != 401:
            return response
        if not self._can_refresh():
            raise self._token_refused(method, path, response, issued=False)
        log.debug("%s %s answered 401: getting a new token", method, path)
        token, _ = self._refresh_token(generation)
        response = self._raw(method, path, params, body, token)
        if response.status_code == 401:
            raise self._token_refused(method, path, response, issued=True)
        return response

    def _token_refused(
        self, method: str, path: str, response: httpx.Response, *, issued: bool
    ) -> TokenRefused:
        """The one line for a 401 to a bearer token: what the server's challenge says
        (expired, or not valid) and what to do. ``issued``: the token was one the token
        endpoint had just issued for the client id, not one the user gave."""
        challenge = bearer_challenge(response)
        reason = self._reason(response)
        if issued:
            where = f"JHE_TOKEN_URL ({self.token_url})" if self.token_url else f"{self._token_path}"
            said = challenge.description or reason
            message = (
                f"the exchange refused the token that {where} had just issued for client "
                f"{self._client_id} ({method} {path} answered 401: {said}); "
                + (
                    "check that JHE_TOKEN_URL is this exchange's own token endpoint"
                    if self.token_url
                    else "check that JHE_URL is the exchange the API client belongs to"
                )
            )
        elif challenge.expired:
            message = f"the bearer token (JHE_TOKEN or --token) has expired: {NEW_TOKEN_HINT}"
        elif challenge.error:
            said = challenge.description or challenge.error
            message = (
                f"the exchange refused the bearer token (JHE_TOKEN or --token): {said} "
                f"(revoked, mistyped, or issued by another exchange); {NEW_TOKEN_HINT}"
            )
        else:
            message = (
                f"the exchange refused the bearer token (JHE_TOKEN or --token): {method} {path} "
                f"answered 401: {reason}; {NEW_TOKEN_HINT}"
            )
        return TokenRefused(
            method,
            path,
            reason,
            message=message,
            challenge=challenge.error,
            expired=challenge.expired,
        )

    def _raw(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Mapping[str, Any] | None,
        token: str,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return self._timed(
            method,
            path,
            params,
            lambda: self._http.request(
                method, path, params=dict(params) if params else None, json=body, headers=headers
            ),
        )

    def _timed(
        self,
        method: str,
        path: str,
        params: Params | None,
        send: Callable[[], httpx.Response],
    ) -> httpx.Response:
        shown = _display(path, params)
        with self._count_lock:
            self._requests += 1
        started = time.perf_counter()
        try:
            response = send()
        except httpx.RequestError as error:
            # Transport faults, and answers that could not be read (a body that fails to
            # decode): either way the outcome of a write is unknown, unless the connection
            # was never made (a name that does not resolve, a refused connection): then
            # nothing was sent, and trying again for half a minute would change nothing.
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s -> %s (%.0f ms)", method, shown, type(error).__name__, elapsed)
            unreachable = _unreachable(error, self._host)
            raise TransportError(
                f"{method} {path}: {unreachable}"
                if unreachable
                else f"{method} {path}: no answer from {self._host} ({_transport_reason(error)})",
                timed_out=isinstance(error, httpx.TimeoutException),
                retryable=not unreachable,
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        if log.isEnabledFor(logging.DEBUG):
            size = len(response.content)
            log.info(
                "%s %s -> %d (%.0f ms, %s)",
                method,
                shown,
                response.status_code,
                elapsed,
                f"{size:,} bytes",
            )
        else:
            log.info("%s %s -> %d (%.0f ms)", method, shown, response.status_code, elapsed)
        return response

    def _error_for(self, method: str, path: str, response: httpx.Response) -> ExchangeError:
        return error_for(method, path, response, self._secrets)

    def _reason(self, response: httpx.Response) -> str:
        """The answer's one-line reason, never repeating this Exchange's credentials."""
        return one_line_reason(response, self._secrets)

    # -- tokens ----------------------------------------------------------------------

    def _can_refresh(self) -> bool:
        return bool(self._client_id and self._client_secret)

    def _current_token(self) -> tuple[str, int]:
        with self._token_lock:
            if self._token is None:
                self._login()
            assert self._token is not None
            return self._token, self._token_generation

    def _refresh_token(self, seen_generation: int) -> tuple[str, int]:
        """A new token, unless another thread already replaced the one that failed."""
        with self._token_lock:
            if self._token_generation == seen_generation or self._token is None:
                self._login()
            assert self._token is not None
            return self._token, self._token_generation

    def _login(self) -> None:
        """Fetch a new token (the caller holds the token lock). A login the exchange
        refused, or answered with something unreadable, is not sent again by this
        Exchange: the answer would be the same, and every thread waiting for a token
        would otherwise repeat a failed login (which an exchange may count against the
        account)."""
        if self._login_refused is not None:
            raise self._login_refused
        try:
            token = self._fetch_token()
        except (AuthError, ConfigError, ProtocolError) as refused:
            self._login_refused = refused
            raise
        self._secrets = (*self._secrets, token)
        self._token = token
        self._token_generation += 1

    def _fetch_token(self) -> str:
        """A token by the client-credentials grant: HTTP Basic, form-encoded."""
        assert self._client_id and self._client_secret
        auth = httpx.BasicAuth(self._client_id, self._client_secret)
        policy = self.retry
        url, shown = self.token_url or TOKEN_PATH, self._token_path
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                response = self._timed(
                    "POST",
                    shown,
                    None,
                    lambda: self._http.post(
                        url, data={"grant_type": "client_credentials"}, auth=auth
                    ),
                )
            except TransportError as error:
                if last or not error.retryable:
                    raise
                self._pause(
                    "POST", shown, attempt, policy.delay(attempt, self._jitter()), "no answer"
                )
                continue
            status = response.status_code
            if (status == 429 or status >= 500) and not last:
                self._pause(
                    "POST", shown, attempt, policy.delay(attempt, self._jitter()), str(status)
                )
                continue
            if status in (400, 401):
                raise AuthError(
                    "POST",
                    shown,
                    status,
                    f"{self._reason(response)}: the exchange refused the client id and secret; "
                    "check JHE_CLIENT_ID and JHE_CLIENT_SECRET",
                )
            if status == 404 or 300 <= status < 400:
                raise ConfigError(
                    f"POST {shown} answered {status}: no token endpoint there"
                    + (
                        "; check JHE_TOKEN_URL (or --token-url)"
                        if self.token_url
                        else "; if the exchange mounts OAuth elsewhere, set JHE_TOKEN_URL (or "
                        "--token-url) to its token endpoint"
                    )
                )
            if status >= 400:
                raise self._error_for("POST", shown, response)
            data = _json(response, "POST", shown)
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise ProtocolError(f"POST {shown}: the answer holds no access_token")
            return token
        raise AssertionError("unreachable")  # pragma: no cover


def _json(response: httpx.Response, method: str, path: str) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        content_type = response.headers.get("content-type", "no content type")
        raise ProtocolError(
            f"{method} {path} answered {response.status_code} with something that is not JSON "
            f"({content_type})"
        ) from None


def _display(path: str, params: Params | None) -> str:
    if not params:
        return path
    shown = "&".join(
        f"{key}=<redacted>" if key in _REDACTED_QUERY_KEYS else urlencode({key: value})
        for key, value in params.items()
    )
    return f"{path}?{shown}"


def _unreachable(error: httpx.RequestError, host: str) -> str:
    """Why no connection could be made at all, naming the host, or "" when one may have
    been (a timeout, a dropped connection): the name does not resolve, or the host
    refused the connection."""
    if not isinstance(error, httpx.ConnectError):
        return ""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return (
                f"cannot reach {host}: the name does not resolve ({cause.strerror or cause}); "
                "check the URL (--url or JHE_URL)"
            )
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"cannot connect to {host}: the connection was refused (nothing listens "
                "there); check the URL and its port (--url or JHE_URL), and that the exchange "
                "is running"
            )
        cause = cause.__cause__ or cause.__context__
    return ""


def _transport_reason(error: httpx.RequestError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection was dropped"
    return type(error).__name__


def _kind(data: object) -> str:
    return "nothing" if data is None else type(data).__name__
