"""The drift report as people and machines read it: a line per change with its side, an
issue body that fits GitHub's limit and mentions nobody, and a json form with a schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

from plan.schema_check import errors

from jhe_sync.drift import Drift, attribute, render_json, render_markdown_report, render_text
from jhe_sync.markdown import GITHUB_COMMENT_LIMIT
from jhe_sync.plan.change import Change, FieldChange, PatientTarget
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import ChangeKind

SCHEMA = json.loads((Path(__file__).parents[2] / "specs" / "drift.schema.json").read_text())


def _scope(key: str, link_id: int) -> Change:
    return Change(
        ChangeKind.ADD_SCOPE, key, 20003, study_id=30002, link_id=link_id, link_label="omh:x:1"
    )


def _edited(key: str = "bp") -> Change:
    return Change(
        ChangeKind.UPDATE_STUDY,
        key,
        20003,
        study_id=30002,
        name="Lifespan Study on BP",
        fields=(FieldChange("description", "Edited", "Blood Pressure"),),
    )


def _drift() -> Drift:
    """The description edited in the console, a scope added in git since the apply."""
    now = Plan(changes=(_edited(), _scope("bp", 50004)))
    return attribute(now, Plan(changes=(_edited(),)), "abc1234")


def _text(render, drift: Drift) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    render(drift, out)
    return out.getvalue()


def test_the_text_report_gives_each_change_its_side() -> None:
    lines = _text(render_text, _drift()).splitlines()
    assert lines[:2] == [
        "2 changes would bring the exchange back to the spec.",
        "Compared with the spec at the last applied commit abc1234:",
    ]
    assert '  the exchange  bp: update study "Lifespan Study on BP"' in lines
    assert '  the spec      bp: add scope request "omh:x:1" (id 50004)' in lines


def test_an_exchange_that_matches_says_so() -> None:
    assert _text(render_text, attribute(Plan(changes=()), None)) == (
        "The exchange matches the spec: no drift.\n"
    )


def test_the_issue_body_has_the_sides_table_and_the_plan() -> None:
    body = _text(render_markdown_report, _drift())
    assert body.startswith("## jhe-sync drift: the exchange differs from git")
    assert "| the exchange | `bp` | update study" in body
    assert "| the spec | `bp` | add scope request" in body
    assert "## jhe-sync plan" in body


def test_without_the_applied_commit_the_body_says_the_sides_cannot_be_told() -> None:
    drift = attribute(Plan(changes=(_scope("bp", 50004),)), None, why="no applied commit was given")
    body = _text(render_markdown_report, drift)
    assert "cannot be told: no applied commit was given" in body
    assert "| unknown | `bp` |" in body


def test_a_huge_drift_fits_an_issue_body_and_says_what_was_cut() -> None:
    changes = tuple(_scope(f"study-{i:04}", 50000 + i) for i in range(3000))
    drift = attribute(Plan(changes=changes), Plan(changes=changes[:1500]), "abc1234")
    body = _text(render_markdown_report, drift)
    assert len(body) < GITHUB_COMMENT_LIMIT - 1_000
    assert "not shown:" in body and "Every change is in the plan below." in body


def test_a_key_that_looks_like_a_mention_mentions_nobody() -> None:
    drift = attribute(Plan(changes=(_edited("@lab-team"),)), None)
    assert "@lab-team" not in _text(render_markdown_report, drift).replace("`@lab-team`", "")


def test_an_enrollment_with_both_sides_lists_whose_side_is_whose() -> None:
    enroll = Change(
        ChangeKind.ENROLL,
        "bp",
        20003,
        study_id=30002,
        patients=(PatientTarget(40001, "peter"), PatientTarget(40002, "#40002")),
    )
    then = Change(ChangeKind.ENROLL, "bp", 20003, study_id=30002, patients=(enroll.patients[0],))
    text = _text(render_text, attribute(Plan(changes=(enroll,)), Plan(changes=(then,)), "abc"))
    assert "from the exchange: peter" in text and "from the spec: #40002" in text


def test_the_json_form_fits_its_schema_and_holds_the_plan() -> None:
    document = json.loads(_text(render_json, _drift()))
    assert errors(document, SCHEMA) == []
    assert document["sides"] == {"live": 1, "spec": 1, "both": 0, "unknown": 0}
    assert [c["side"] for c in document["changes"]] == ["live", "spec"]
    assert len(document["plan"]["changes"]) == 2
