"""Keeping the one drift issue of an exchange: list the open drift issues, decide
(``drift.issue.decide``, pure) and send the one call decided, plus the closing of any
duplicates. Nothing is sent when the report did not change.
"""

from __future__ import annotations

from dataclasses import dataclass

from jhe_sync.ci.github import GitHub
from jhe_sync.drift.issue import LABEL, Issue, decide


@dataclass(frozen=True)
class Kept:
    """What keeping the issue did: ``created``, ``updated``, ``closed`` or ``unchanged``
    (or ``none``: no drift and no issue), the issue's number and address."""

    what: str
    number: int | None = None
    url: str = ""

    def __str__(self) -> str:
        if self.number is None:
            return "no drift issue open"
        where = f" {self.url}" if self.url else ""
        return f"drift issue #{self.number} {self.what}{where}"


def keep_drift_issue(github: GitHub, report: str | None, name: str, footer: str = "") -> Kept:
    """Leave one open issue for exchange ``name`` holding ``report`` (the drift report,
    ``drift.issue.issue_report``) while it differs from git, and none once it agrees
    (``report`` None)."""
    listed = github.open_issues(LABEL)
    action = decide([Issue(i.number, i.title, i.body) for i in listed], report, name, footer)
    urls = {i.number: i.url for i in listed}
    for duplicate in action.duplicates:
        github.comment(duplicate, action.duplicate_comment)
        github.update_issue(duplicate, state="closed", state_reason="not_planned")
    if action.kind == "create":
        created = github.create_issue(action.title, action.body, action.labels)
        return Kept("created", created.number, created.url)
    if action.kind == "update" and action.number is not None:
        updated = github.update_issue(action.number, title=action.title, body=action.body)
        return Kept("updated", updated.number, updated.url)
    if action.kind == "close" and action.number is not None:
        github.comment(action.number, action.comment)
        github.update_issue(action.number, state="closed", state_reason="completed")
        return Kept("closed", action.number, urls.get(action.number, ""))
    if action.number is not None:
        return Kept("unchanged", action.number, urls.get(action.number, ""))
    return Kept("none")
