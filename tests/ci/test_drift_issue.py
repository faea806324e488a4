"""Keeping the drift issue through GitHub's API, run after run: one issue opened while
the exchange differs, edited only when the report changes, closed when they agree."""

from __future__ import annotations

from ci.fake_github import FakeGitHub
from jhe_sync.ci.drift import keep_drift_issue
from jhe_sync.drift import Drift, attribute
from jhe_sync.drift.issue import LABEL, issue_body, issue_report
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import ChangeKind

NAME = "production"


def _drift(*link_ids: int) -> Drift:
    changes = tuple(
        Change(ChangeKind.ADD_SCOPE, "bp", 20003, study_id=30002, link_id=i, link_label=f"s{i}")
        for i in link_ids
    )
    return attribute(Plan(changes=changes), Plan(changes=()), "abc1234")


def test_a_series_of_runs_keeps_one_issue_then_closes_it() -> None:
    fake = FakeGitHub()
    with fake.client() as github:
        first = keep_drift_issue(github, issue_report(_drift(50001)), NAME, "run 1")
        same = keep_drift_issue(github, issue_report(_drift(50001)), NAME, "run 2")
        more = keep_drift_issue(github, issue_report(_drift(50001, 50002)), NAME, "run 3")
        agreed = keep_drift_issue(github, issue_report(_drift()), NAME, "run 4")
        quiet = keep_drift_issue(github, issue_report(_drift()), NAME, "run 5")
    assert [k.what for k in (first, same, more, agreed, quiet)] == [
        "created",
        "unchanged",
        "updated",
        "closed",
        "none",
    ]
    [issue] = fake.issues.values()
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert {label["name"] for label in issue["labels"]} == {LABEL}
    assert "s50002" in issue["body"]
    assert fake.comments[issue["number"]] == ["The exchange matches git again: run 4"]
    writes = [s for s in fake.seen if s[0] != "GET"]
    assert len(writes) == 4  # create, update, comment, close


def test_a_duplicate_issue_is_closed_and_the_oldest_kept() -> None:
    fake = FakeGitHub()
    oldest = fake.add(
        "Drift", issue_body(issue_report(_drift(50001)) or "", NAME, "run 1"), (LABEL,)
    )
    copy = fake.add("Drift", issue_body(issue_report(_drift(50001)) or "", NAME, "run 1"), (LABEL,))
    with fake.client() as github:
        kept = keep_drift_issue(github, issue_report(_drift(50001, 50002)), NAME, "run 2")
    assert (kept.what, kept.number) == ("updated", oldest)
    assert fake.issues[copy]["state"] == "closed"
    assert fake.comments[copy] == [f"Closed as a duplicate of #{oldest}."]


def test_each_exchange_keeps_its_own_issue() -> None:
    fake = FakeGitHub()
    with fake.client() as github:
        keep_drift_issue(github, issue_report(_drift(50001)), "staging", "run 1")
        keep_drift_issue(github, issue_report(_drift(50001)), "production", "run 1")
        keep_drift_issue(github, issue_report(_drift()), "staging", "run 2")
    states = {i["title"]: i["state"] for i in fake.issues.values()}
    assert states == {
        "Drift: staging differs from git": "closed",
        "Drift: production differs from git": "open",
    }
