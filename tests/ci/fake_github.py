"""A GitHub that keeps issues in memory, answering the REST calls jhe-sync makes the way
GitHub does (pull requests among the issues, pages by number, ``message`` in errors),
behind ``httpx.MockTransport``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from jhe_sync.ci.github import GitHub, GitHubSettings

REPO = "lab/studies"
TOKEN = "ghs_fake-token-0123456789"


@dataclass
class FakeGitHub:
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Workflow runs, newest first: ``{workflow, head_branch, event, conclusion, head_sha}``."""
    fail: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(method, path) -> (status, times): answer that status that many times."""

    def add(self, title: str, body: str, labels: tuple[str, ...] = (), pr: bool = False) -> int:
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "labels": [{"name": name} for name in labels],
            "html_url": f"https://github.com/{REPO}/issues/{number}",
            **({"pull_request": {"url": "..."}} if pr else {}),
        }
        return number

    def client(self, **options: Any) -> GitHub:
        settings = GitHubSettings(REPO, TOKEN, "https://api.github.com")
        options.setdefault("sleep", lambda seconds: None)
        return GitHub(settings, transport=httpx.MockTransport(self.handle), **options)

    def handle(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        self.seen.append((method, path))
        assert request.url.host == "api.github.com"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        status, times = self.fail.get((method, path), (0, 0))
        if times:
            self.fail[(method, path)] = (status, times - 1)
            return httpx.Response(status, json={"message": f"Refused, token {TOKEN}"})
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        workflows = f"/repos/{REPO}/actions/workflows/"
        if path.startswith(workflows) and path.endswith("/runs") and method == "GET":
            workflow = path.removeprefix(workflows).removesuffix("/runs")
            wanted = [
                run
                for run in self.runs
                if run["workflow"] == workflow
                and run["head_branch"] == query.get("branch", run["head_branch"])
                and run["event"] == query.get("event", run["event"])
                and run["conclusion"] == query.get("status", run["conclusion"])
            ]
            size = int(query.get("per_page", 30))
            return httpx.Response(
                200, json={"total_count": len(wanted), "workflow_runs": wanted[:size]}
            )
        prefix = f"/repos/{REPO}/issues"
        body = json.loads(request.content) if request.content else {}
        if path == prefix and method == "GET":
            wanted = [
                i
                for i in self.issues.values()
                if i["state"] == query.get("state", "open")
                and query.get("labels", "") in {label["name"] for label in i["labels"]}
            ]
            size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            return httpx.Response(200, json=wanted[(page - 1) * size : page * size])
        if path == prefix and method == "POST":
            number = self.add(body["title"], body["body"], tuple(body.get("labels", ())))
            return httpx.Response(201, json=self.issues[number])
        number = int(path.removeprefix(prefix + "/").split("/")[0])
        if path.endswith("/comments") and method == "POST":
            self.comments.setdefault(number, []).append(body["body"])
            return httpx.Response(201, json={"id": 1, "body": body["body"]})
        if method == "PATCH":
            self.issues[number].update(body)
            return httpx.Response(200, json=self.issues[number])
        return httpx.Response(404, json={"message": "Not Found"})

    def open(self) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if i["state"] == "open" and "pull_request" not in i]
