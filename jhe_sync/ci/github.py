"""``GitHub``: the one request path to GitHub's REST API, for what jhe-sync does in CI:
the drift issue, the plan comment of a pull request, the pull request a pushed commit
merged (with its label events) and the saved plan its job uploaded (an artifact).

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
MAX_ARTIFACT_BYTES = 20_000_000
"""The most an artifact archive may weigh: a saved plan of 300 studies is well under 1 MB."""


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
_COMMENT_HINT = "; the workflow's token needs `permissions: pull-requests: write`"
_READ_PULLS_HINT = "; the workflow's token needs `permissions: pull-requests: read`"
_ARTIFACT_HINT = "; the workflow's token needs `permissions: actions: read`"


@dataclass(frozen=True)
class CommentRef:
    """A comment on an issue or pull request: its id, text, and whether a bot wrote it."""

    id: int
    body: str
    by_bot: bool


@dataclass(frozen=True)
class PullRef:
    """A pull request as GitHub lists it for a commit."""

    number: int
    head_sha: str
    merge_commit_sha: str
    merged_at: str
    """ISO 8601, empty when it is not merged."""
    url: str = ""


@dataclass(frozen=True)
class LabelEvent:
    """A label added (``labeled``) to or removed (``unlabeled``) from an issue, and when."""

    event: str
    label: str
    created_at: str


@dataclass(frozen=True)
class ArtifactRef:
    """A workflow run's artifact: its id and name, the commit its run was for, whether it
    expired, and when it was made."""

    id: int
    name: str
    head_sha: str
    run_id: int
    expired: bool
    created_at: str
    size: int


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
        self._transport = transport
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

    def comment(self, number: int, body: str, hint: str = _PERMISSION_HINT) -> None:
        self._write("POST", f"{self._repo}/issues/{number}/comments", {"body": body}, hint)

    # -- pull requests --------------------------------------------------------------------

    def comments(self, number: int) -> list[CommentRef]:
        """The comments of an issue or pull request, oldest first."""
        return [
            _comment(item)
            for item in self._pages(f"{self._repo}/issues/{number}/comments", {}, _COMMENT_HINT)
        ]

    def edit_comment(self, comment_id: int, body: str) -> None:
        path = f"{self._repo}/issues/comments/{comment_id}"
        self._write("PATCH", path, {"body": body}, _COMMENT_HINT)

    def pulls_of_commit(self, sha: str) -> list[PullRef]:
        """The pull requests GitHub associates with a commit (the one it merged among them)."""
        items = self._read("GET", f"{self._repo}/commits/{sha}/pulls", {}, _READ_PULLS_HINT)
        if not isinstance(items, list):
            raise GitHubError(f"GET commits/{sha}/pulls: expected a list from GitHub")
        return [_pull(item) for item in items]

    def label_events(self, number: int) -> list[LabelEvent]:
        """The labels added to and removed from an issue or pull request, in order."""
        path = f"{self._repo}/issues/{number}/events"
        return [
            LabelEvent(str(item["event"]), str(item["label"]["name"]), str(item["created_at"]))
            for item in self._pages(path, {}, _READ_PULLS_HINT)
            if item.get("event") in ("labeled", "unlabeled") and isinstance(item.get("label"), dict)
        ]

    # -- artifacts --------------------------------------------------------------------------

    def artifacts(self, name: str) -> list[ArtifactRef]:
        """The repository's artifacts called ``name``, newest first."""
        found: list[ArtifactRef] = []
        for page in range(1, MAX_PAGES + 1):
            params: dict[str, str | int] = {"name": name, "per_page": PER_PAGE, "page": page}
            data = self._read("GET", f"{self._repo}/actions/artifacts", params, _ARTIFACT_HINT)
            items = data.get("artifacts") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise GitHubError("GET actions/artifacts: expected a list of artifacts from GitHub")
            found += [_artifact(item) for item in items]
            if len(items) < PER_PAGE:
                break
        return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)

    def download_artifact(self, artifact_id: int) -> bytes:
        """An artifact's zip archive. GitHub answers with a redirect to a short-lived
        address on another host, which is fetched without the token (it must be https and
        the archive at most ``MAX_ARTIFACT_BYTES``)."""
        path = f"{self._repo}/actions/artifacts/{artifact_id}/zip"
        try:
            response = self._http.request("GET", path)
        except httpx.RequestError as error:
            raise GitHubError(
                f"GET {path}: no answer from GitHub ({type(error).__name__})"
            ) from None
        if response.status_code not in (301, 302, 303, 307, 308):
            self._answer("GET", path, response, _ARTIFACT_HINT)
            raise GitHubError(f"GET {path}: GitHub answered {response.status_code}, not a redirect")
        location = response.headers.get("location", "")
        if urlsplit(location).scheme != "https":
            raise GitHubError(f"GET {path}: GitHub redirected to a non-https address")
        try:
            with (
                httpx.Client(
                    transport=self._transport, timeout=TIMEOUT, follow_redirects=False
                ) as blob,
                blob.stream("GET", location) as download,
            ):
                if download.status_code != 200:
                    raise GitHubError(
                        f"downloading artifact {artifact_id}: answered {download.status_code}"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in download.iter_bytes():
                    size += len(chunk)
                    if size > MAX_ARTIFACT_BYTES:
                        raise GitHubError(
                            f"artifact {artifact_id} is larger than {MAX_ARTIFACT_BYTES} bytes"
                        )
                    chunks.append(chunk)
        except httpx.RequestError as error:
            raise GitHubError(
                f"downloading artifact {artifact_id}: no answer ({type(error).__name__})"
            ) from None
        return b"".join(chunks)

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

    def _pages(self, path: str, params: Mapping[str, str | int], hint: str) -> list[dict[str, Any]]:
        """Every item of a list GitHub pages, asked for page by page by number."""
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            items = self._read("GET", path, {**params, "per_page": PER_PAGE, "page": page}, hint)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise GitHubError(f"GET {path}: expected a list from GitHub")
            found += items
            if len(items) < PER_PAGE:
                break
        return found

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

    def _write(
        self, method: str, path: str, body: Mapping[str, Any], hint: str = _PERMISSION_HINT
    ) -> Any:
        try:
            response = self._http.request(method, path, json=dict(body))
        except httpx.RequestError as error:
            raise GitHubError(
                f"{method} {path}: no answer from GitHub ({type(error).__name__}); not resent"
            ) from None
        return self._answer(method, path, response, hint)

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


def _comment(data: dict[str, Any]) -> CommentRef:
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    if not isinstance(data.get("id"), int):
        raise GitHubError("GitHub answered a comment without an id")
    return CommentRef(
        id=data["id"], body=str(data.get("body") or ""), by_bot=(user or {}).get("type") == "Bot"
    )


def _pull(data: Any) -> PullRef:
    if not isinstance(data, dict) or not isinstance(data.get("number"), int):
        raise GitHubError("GitHub answered a pull request without a number")
    head = data.get("head") if isinstance(data.get("head"), dict) else {}
    return PullRef(
        number=data["number"],
        head_sha=str((head or {}).get("sha") or ""),
        merge_commit_sha=str(data.get("merge_commit_sha") or ""),
        merged_at=str(data.get("merged_at") or ""),
        url=str(data.get("html_url") or ""),
    )


def _artifact(data: Any) -> ArtifactRef:
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise GitHubError("GitHub answered an artifact without an id")
    run = data.get("workflow_run") if isinstance(data.get("workflow_run"), dict) else {}
    return ArtifactRef(
        id=data["id"],
        name=str(data.get("name") or ""),
        head_sha=str((run or {}).get("head_sha") or ""),
        run_id=int((run or {}).get("id") or 0),
        expired=bool(data.get("expired")),
        created_at=str(data.get("created_at") or ""),
        size=int(data.get("size_in_bytes") or 0),
    )
