"""``GitHub``: the one request path to GitHub's REST API, for what jhe-sync does in CI.

Like ``exchange.Exchange`` for the exchange, and for the same reasons: every call has a
timeout; reads are retried with backoff on a dropped connection, a 5xx or a 429 (never
writes: a resent create would open a second issue); lists are read page by page by
number, never by following a ``Link`` URL, so the token goes only to ``GITHUB_API_URL``;
redirects are not followed; an error answer is one line (``GitHubError``) saying what
GitHub refused and, for a 403 or 404, which permission the workflow's token needs; and
the token is redacted wherever an answer repeats it.

A ground floor, like ``exchange/``: it imports only the errors.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from jhe_sync.errors import ConfigError, JheSyncError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PER_PAGE = 100
MAX_PAGES = 100
"""Open issues read at most (x ``PER_PAGE``): more is not a repository of specs."""
ATTEMPTS = 4


class GitHubError(JheSyncError):
    """GitHub answered an error, or did not answer; the message is one line."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GitHubSettings:
    """Where GitHub's API is, which repository, and the token (from the workflow)."""

    repository: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    """For links in what jhe-sync writes (a run's page)."""


def github_settings(environ: Mapping[str, str] | None = None) -> GitHubSettings:
    """The settings a GitHub Actions job has in its environment: ``GITHUB_REPOSITORY``,
    ``GITHUB_TOKEN`` (pass ``secrets.GITHUB_TOKEN`` to the step), ``GITHUB_API_URL`` and
    ``GITHUB_SERVER_URL`` (GitHub Enterprise Server sets its own). A ConfigError says
    what is missing."""
    env = os.environ if environ is None else environ
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    token = env.get("GITHUB_TOKEN", "").strip()
    if not repository or repository.count("/") != 1:
        raise ConfigError(
            "GITHUB_REPOSITORY (owner/name) is not set: keeping an issue needs a GitHub "
            "Actions job, or set it yourself"
        )
    if not token:
        raise ConfigError(
            "GITHUB_TOKEN is not set: give the step `env: GITHUB_TOKEN: ${{ "
            "secrets.GITHUB_TOKEN }}`, with `permissions: issues: write`"
        )
    api_url = env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    parts = urlsplit(api_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"GITHUB_API_URL {api_url!r} is not an https:// URL")
    server_url = env.get("GITHUB_SERVER_URL", "").strip() or DEFAULT_SERVER_URL
    return GitHubSettings(repository, token, api_url.rstrip("/"), server_url.rstrip("/"))


@dataclass(frozen=True)
class IssueRef:
    """An issue as GitHub lists it (pull requests left out)."""

    number: int
    title: str
    body: str
    url: str


_PERMISSION_HINT = (
    "; the workflow's token needs `permissions: issues: write` (and the repository must "
    "have issues enabled)"
)
_ACTIONS_HINT = (
    "; the workflow's token needs `permissions: actions: read`, and the workflow file must "
    "exist on the default branch"
)


class GitHub:
    """A connection to GitHub's API for one repository; close it after use.

    ``transport`` is the seam for tests (``httpx.MockTransport``); ``sleep`` is called
    for every backoff."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=settings.api_url,
            transport=transport,
            timeout=TIMEOUT,
            follow_redirects=False,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {settings.token}",
                "User-Agent": "jhe-sync",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- issues -----------------------------------------------------------------------

    def open_issues(self, label: str) -> list[IssueRef]:
        """The open issues with ``label``, oldest first (pull requests left out)."""
        path = f"{self._repo}/issues"
        found: list[IssueRef] = []
        for page in range(1, MAX_PAGES + 1):
            params: dict[str, str | int] = {
                "state": "open",
                "labels": label,
                "per_page": PER_PAGE,
                "page": page,
            }
            items = self._read("GET", path, params)
            if not isinstance(items, list):
                raise GitHubError(f"GET {path}: expected a list of issues from GitHub")
            found += [_issue(item) for item in items if "pull_request" not in item]
            if len(items) < PER_PAGE:
                return sorted(found, key=lambda i: i.number)
        return sorted(found, key=lambda i: i.number)

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> IssueRef:
        data = self._write(
            "POST", f"{self._repo}/issues", {"title": title, "body": body, "labels": list(labels)}
        )
        return _issue(data)

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
    ) -> IssueRef:
        fields = {"title": title, "body": body, "state": state, "state_reason": state_reason}
        payload = {key: value for key, value in fields.items() if value is not None}
        return _issue(self._write("PATCH", f"{self._repo}/issues/{number}", payload))

    def comment(self, number: int, body: str) -> None:
        self._write("POST", f"{self._repo}/issues/{number}/comments", {"body": body})

    # -- workflow runs ------------------------------------------------------------------

    def last_successful_run_sha(self, workflow: str, branch: str, event: str = "push") -> str:
        """The commit of the newest successful run of ``workflow`` (its file name, e.g.
        ``jhe-sync.yml``) on ``branch`` for ``event``: for the deploy workflow, the last
        commit applied. Empty when there is none."""
        path = f"{self._repo}/actions/workflows/{workflow}/runs"
        params: dict[str, str | int] = {
            "branch": branch,
            "event": event,
            "status": "success",
            "per_page": 1,
        }
        data = self._read("GET", path, params, hint=_ACTIONS_HINT)
        runs = data.get("workflow_runs") if isinstance(data, dict) else None
        if not isinstance(runs, list):
            raise GitHubError(f"GET {path}: expected workflow runs from GitHub")
        sha = runs[0].get("head_sha") if runs and isinstance(runs[0], dict) else ""
        return sha if isinstance(sha, str) else ""

    # -- the request path ---------------------------------------------------------------

    @property
    def _repo(self) -> str:
        return f"/repos/{self.settings.repository}"

    def _read(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int],
        hint: str = _PERMISSION_HINT,
    ) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, params=dict(params))
            except httpx.RequestError as error:
                if attempt == ATTEMPTS:
                    raise GitHubError(
                        f"{method} {path}: no answer from GitHub ({type(error).__name__})"
                    ) from None
                self._back_off(attempt, None)
                continue
            retryable = response.status_code == 429 or response.status_code >= 500
            if retryable and attempt < ATTEMPTS:
                self._back_off(attempt, response.headers.get("retry-after"))
                continue
            return self._answer(method, path, response, hint)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        try:
            response = self._http.request(method, path, json=dict(body))
        except httpx.RequestError as error:
            raise GitHubError(
                f"{method} {path}: no answer from GitHub ({type(error).__name__}); not resent"
            ) from None
        return self._answer(method, path, response)

    def _answer(
        self, method: str, path: str, response: httpx.Response, hint: str = _PERMISSION_HINT
    ) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if not response.content.strip():
                return None
            try:
                return response.json()
            except ValueError:
                raise GitHubError(
                    f"{method} {path}: GitHub answered {status} with no JSON"
                ) from None
        shown = hint if status in (401, 403, 404) else ""
        raise GitHubError(
            f"{method} {path}: GitHub answered {status}: {self._reason(response)}{shown}", status
        )

    def _reason(self, response: httpx.Response) -> str:
        try:
            data = response.json()
            reason = str(data.get("message", "")) if isinstance(data, dict) else ""
        except ValueError:
            reason = ""
        reason = " ".join((reason or response.reason_phrase or "").split())[:200]
        return reason.replace(self.settings.token, "<redacted>") if self.settings.token else reason

    def _back_off(self, attempt: int, retry_after: str | None) -> None:
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
        self.sleep(min(wait, 60.0) if wait is not None else 0.5 * 2**attempt * random.random())


def _issue(data: Any) -> IssueRef:
    if not isinstance(data, dict) or not isinstance(data.get("number"), int):
        raise GitHubError(
            f"GitHub answered with something that is not an issue: {json.dumps(data)[:80]}"
        )
    return IssueRef(
        number=data["number"],
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        url=str(data.get("html_url") or ""),
    )
