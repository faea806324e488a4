"""One open issue per exchange while it differs from git: created, edited in place only
when the report changes, closed when they agree again; duplicates closed."""

from __future__ import annotations

from jhe_sync.drift import attribute
from jhe_sync.drift.issue import (
    LABEL,
    Issue,
    decide,
    issue_body,
    issue_report,
    marker,
    run_footer,
)
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import ChangeKind

NAME = "jhe.example.org"


def _drift(*link_ids: int):  # type: ignore[no-untyped-def]
    changes = tuple(
        Change(ChangeKind.ADD_SCOPE, "bp", 20003, study_id=30002, link_id=i, link_label=f"s{i}")
        for i in link_ids
    )
    return attribute(Plan(changes=changes), Plan(changes=()), "abc1234")


def _open(number: int, drift=None, name: str = NAME, footer: str = "run 1") -> Issue:  # type: ignore[no-untyped-def]
    body = issue_body(issue_report(drift or _drift(50001)) or "", name, footer)
    return Issue(number, f"Drift: {name} differs from git", body)


def test_a_first_drift_opens_an_issue_with_the_report() -> None:
    action = decide([], issue_report(_drift(50001)), NAME, "run 1")
    assert (action.kind, action.title, action.labels) == (
        "create",
        "Drift: jhe.example.org differs from git",
        (LABEL,),
    )
    assert action.body.startswith(marker(NAME) + "\n## jhe-sync drift")
    assert action.body.rstrip().endswith("run 1")


def test_the_same_drift_again_sends_nothing() -> None:
    action = decide([_open(7)], issue_report(_drift(50001)), NAME, "run 2")
    assert (action.kind, action.number) == ("nothing", 7)


def test_a_changed_drift_edits_the_issue_in_place() -> None:
    action = decide([_open(7)], issue_report(_drift(50001, 50002)), NAME, "run 2")
    assert (action.kind, action.number) == ("update", 7)
    assert "s50002" in action.body


def test_agreement_closes_the_issue_with_a_comment() -> None:
    action = decide([_open(7)], issue_report(_drift()), NAME, "run 3")
    assert (action.kind, action.number, action.comment) == (
        "close",
        7,
        "The exchange matches git again: run 3",
    )


def test_agreement_with_no_issue_open_does_nothing() -> None:
    assert decide([], issue_report(_drift()), NAME).kind == "nothing"


def test_another_exchanges_issue_is_left_alone() -> None:
    other = _open(3, name="staging.example.org")
    action = decide([other], issue_report(_drift(50001)), NAME)
    assert action.kind == "create" and action.duplicates == ()
    assert decide([other], issue_report(_drift()), NAME).kind == "nothing"


def test_duplicates_are_closed_and_the_oldest_kept() -> None:
    action = decide([_open(12), _open(9)], issue_report(_drift(50001, 50002)), NAME)
    assert (action.kind, action.number, action.duplicates) == ("update", 9, (12,))
    assert action.duplicate_comment == "Closed as a duplicate of #9."


def test_a_name_cannot_end_the_marker_early() -> None:
    assert marker("evil --> <b>x</b>") == "<!-- jhe-sync drift: evil  <b>x</b> -->"


def test_the_footer_links_the_run_that_checked() -> None:
    assert run_footer("https://github.com", "lab/studies", "42", "0123456789abcdef") == (
        "Checked by [run 42](https://github.com/lab/studies/actions/runs/42) "
        "at commit `0123456789ab`."
    )
