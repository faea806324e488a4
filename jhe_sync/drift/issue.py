"""The one issue a scheduled drift check keeps: what to do with it, decided from the open
issues and the drift, without touching GitHub (the CI layer sends the one call decided).

While the exchange differs from git there is exactly one open issue per exchange,
found by a marker in its body (an HTML comment naming the exchange) among the open
issues with the drift label; its body is the drift report, edited in place only when
the report changed (editing an issue body notifies nobody; an unchanged one is not
sent again). When they agree again it is closed with a comment. Duplicates (two runs
racing, or an issue copied by hand) are closed as such, keeping the oldest.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from jhe_sync.drift.report import ISSUE_BUDGET, render_markdown_report
from jhe_sync.drift.sides import Drift
from jhe_sync.markdown import inline_code

LABEL = "jhe-sync-drift"
"""The label of drift issues: the check lists open issues by it."""

_MARKER = "<!-- jhe-sync drift: {name} -->"
_MARKER_PATTERN = re.compile(r"<!-- jhe-sync drift: (.*?) -->")
_FOOTER_RULE = "\n\n<!-- jhe-sync drift: footer -->\n---\n"


@dataclass(frozen=True)
class Issue:
    """An open issue as the tracker lists it."""

    number: int
    title: str
    body: str


@dataclass(frozen=True)
class IssueAction:
    """What to do: ``create`` (title, body), ``update`` (number, body), ``close`` (number,
    comment), or ``nothing``; ``duplicates`` are closed with ``duplicate_comment``."""

    kind: str
    number: int | None = None
    title: str = ""
    body: str = ""
    comment: str = ""
    duplicates: tuple[int, ...] = ()
    duplicate_comment: str = ""
    labels: tuple[str, ...] = field(default=(LABEL,))


def marker(name: str) -> str:
    """The body marker of the drift issue of the exchange called ``name`` (one line)."""
    return _MARKER.format(name=name.replace("-->", "").replace("\n", " ").strip())


def title(name: str) -> str:
    return f"Drift: {name} differs from git"


def issue_report(drift: Drift) -> str | None:
    """What the issue holds for ``drift``: its markdown report, sized for an issue body;
    None when the exchange matches git (then the issue is closed)."""
    if not drift.differs:
        return None
    report = io.StringIO()
    render_markdown_report(drift, report, max_chars=ISSUE_BUDGET)
    return report.getvalue()


def issue_body(report: str, name: str, footer: str = "") -> str:
    """The issue body: the marker, the drift report, and a footer (which run found it)."""
    tail = f"{_FOOTER_RULE}{footer}\n" if footer else ""
    return f"{marker(name)}\n{report}{tail}"


def decide(
    open_issues: list[Issue], report: str | None, name: str, footer: str = ""
) -> IssueAction:
    """The action that leaves one open issue holding ``report`` (``issue_report``) while
    the exchange differs, and none once it agrees (``report`` None). ``footer`` says which
    run checked; it is not compared: a report that did not change is not sent again."""
    ours = sorted((i for i in open_issues if _name_of(i.body) == name), key=lambda i: i.number)
    keep, extra = (ours[0], tuple(i.number for i in ours[1:])) if ours else (None, ())
    duplicate_comment = f"Closed as a duplicate of #{keep.number}." if keep else ""
    if report is None:
        if keep is None:
            return IssueAction("nothing")
        agreed = "The exchange matches git again" + (f": {footer}" if footer else ".")
        return IssueAction(
            "close",
            keep.number,
            comment=agreed,
            duplicates=extra,
            duplicate_comment=duplicate_comment,
        )
    body = issue_body(report, name, footer)
    if keep is None:
        return IssueAction("create", title=title(name), body=body)
    if _report_of(keep.body) == _report_of(body) and keep.title == title(name):
        return IssueAction(
            "nothing", keep.number, duplicates=extra, duplicate_comment=duplicate_comment
        )
    return IssueAction(
        "update",
        keep.number,
        title=title(name),
        body=body,
        duplicates=extra,
        duplicate_comment=duplicate_comment,
    )


def run_footer(server_url: str, repository: str, run_id: str, sha: str) -> str:
    """``Checked by run 123 at commit abc1234.`` with links, from GitHub's own variables."""
    if not (server_url and repository and run_id):
        return f"Checked at commit `{inline_code(sha[:12])}`." if sha else ""
    run = f"[run {run_id}]({server_url}/{repository}/actions/runs/{run_id})"
    at = f" at commit `{inline_code(sha[:12])}`" if sha else ""
    return f"Checked by {run}{at}."


def _name_of(body: str) -> str | None:
    found = _MARKER_PATTERN.search(body.split("\n", 1)[0]) if body else None
    return found.group(1) if found else None


def _report_of(body: str) -> str:
    return body.split(_FOOTER_RULE, 1)[0].strip()
