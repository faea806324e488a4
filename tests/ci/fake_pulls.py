"""A GitHub holding one repository's pull requests, their comments and label events, and
workflow artifacts, answering the REST calls of the plan comment and the merge job's
review the way GitHub does (pages by number, bots as ``type: Bot``, an artifact's zip
behind a redirect to another host that must be fetched without the token), behind
``httpx.MockTransport``."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from jhe_sync.ci.github import GitHub, GitHubSettings

REPO = "lab/studies"
TOKEN = "ghs_fake-token-for-pulls-0123456789"
API = "api.github.com"
BLOBS = "blobs.example-storage.net"


@dataclass
class FakePulls:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    redirect_to: str = f"https://{BLOBS}"

    # -- the state a test sets up -------------------------------------------------------

    def person_comments(self, number: int, body: str) -> None:
        self._add_comment(number, body, {"login": "reviewer", "type": "User"})

    def merged(self, number: int, head: str, merge_commit: str, at: str) -> None:
        self.pulls.append(
            {
                "number": number,
                "head": {"sha": head},
                "merge_commit_sha": merge_commit,
                "merged_at": at,
                "html_url": f"https://github.com/{REPO}/pull/{number}",
            }
        )

    def label(self, number: int, name: str, at: str, removed: bool = False) -> None:
        self.events.setdefault(number, []).append(
            {
                "event": "unlabeled" if removed else "labeled",
                "label": {"name": name},
                "created_at": at,
            }
        )
        self.events[number].append({"event": "commented", "created_at": at})

    def upload(self, name: str, head: str, plan_text: str, at: str, expired: bool = False) -> int:
        artifact_id = 900 + len(self.artifacts)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("plan.json", plan_text)
        self.blobs[f"/artifact-{artifact_id}.zip"] = archive.getvalue()
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": name,
                "expired": expired,
                "created_at": at,
                "size_in_bytes": len(archive.getvalue()),
                "workflow_run": {"id": 5000 + artifact_id, "head_sha": head},
            }
        )
        return artifact_id

    def client(self) -> GitHub:
        settings = GitHubSettings(REPO, TOKEN, f"https://{API}")
        return GitHub(settings, transport=httpx.MockTransport(self.handle), sleep=lambda s: None)

    def bot_comments(self, number: int) -> list[str]:
        return [c["body"] for c in self.comments.get(number, []) if c["user"]["type"] == "Bot"]

    # -- answering ----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        self.seen.append((method, f"{request.url.host}{path}"))
        if request.url.host == BLOBS:
            assert "authorization" not in request.headers, "the token went to the blob store"
            blob = self.blobs.get(path)
            return httpx.Response(200, content=blob) if blob else httpx.Response(404)
        assert request.url.host == API
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        body = json.loads(request.content) if request.content else {}
        repo = f"/repos/{REPO}"
        parts = path.removeprefix(repo).strip("/").split("/")
        if parts[:1] == ["issues"] and parts[2:] == ["comments"]:
            number = int(parts[1])
            if method == "GET":
                return self._page(self.comments.get(number, []), query)
            self._add_comment(number, body["body"], {"login": "github-actions[bot]", "type": "Bot"})
            return httpx.Response(201, json=self.comments[number][-1])
        if parts[:2] == ["issues", "comments"] and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(parts[2]):
                        comment["body"] = body["body"]
                        return httpx.Response(200, json=comment)
            return httpx.Response(404, json={"message": "Not Found"})
        if parts[:1] == ["issues"] and parts[2:] == ["events"]:
            return self._page(self.events.get(int(parts[1]), []), query)
        if parts[:1] == ["commits"] and parts[2:] == ["pulls"]:
            sha = parts[1]
            found = [p for p in self.pulls if sha in (p["merge_commit_sha"], p["head"]["sha"])]
            return httpx.Response(200, json=found)
        if parts == ["actions", "artifacts"]:
            named = [a for a in self.artifacts if a["name"] == query.get("name")]
            size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            chunk = named[(page - 1) * size : page * size]
            return httpx.Response(200, json={"total_count": len(named), "artifacts": chunk})
        if parts[:2] == ["actions", "artifacts"] and parts[3:] == ["zip"]:
            location = f"{self.redirect_to}/artifact-{parts[2]}.zip"
            return httpx.Response(302, headers={"location": location})
        return httpx.Response(404, json={"message": "Not Found"})

    def _add_comment(self, number: int, body: str, user: dict[str, str]) -> None:
        comments = self.comments.setdefault(number, [])
        comment_id = 100 + sum(len(c) for c in self.comments.values())
        comments.append({"id": comment_id, "body": body, "user": user})

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, str]) -> httpx.Response:
        size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        return httpx.Response(200, json=items[(page - 1) * size : page * size])
