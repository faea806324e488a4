"""Renderers: text, json and markdown only format a Plan; golden files hold the expected output.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 PYTHONPATH=. pytest tests/plan/test_render.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
from dataclasses import fields, replace

import pytest

from jhe_sync.live import Patient
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.plan.render.formats import FORMATS, RenderOptions, render
from jhe_sync.plan.render.markdown import GITHUB_COMMENT_LIMIT
from jhe_sync.resources import ChangeKind

from .conftest import (
    HYPERTENSION_DESCRIPTION,
    LIFESPAN,
    assert_golden,
    desired,
    hypertension_spec,
    live_study,
    make_live,
    sample_desired,
    sample_live,
)


def rendered(plan: Plan, format: str = "text", **options) -> str:
    stream = io.StringIO()
    render(plan, stream, format, RenderOptions(**options))
    return stream.getvalue()


@pytest.fixture
def sample() -> Plan:
    """The sample plan, its fingerprints made stable (their digest is the reader's business)."""
    plan = build_plan(sample_desired(), sample_live())
    return replace(plan, fingerprints={key: f"fingerprint-of-{key}" for key in plan.fingerprints})


@pytest.fixture
def refusals(sample) -> tuple[str, ...]:
    return tuple(sample.refusals(SafetyPolicy()))


# -- golden files ---------------------------------------------------------------------


def test_text_golden(sample, refusals):
    assert_golden("sample.txt", rendered(sample, refusals=refusals))


def test_text_with_colour_golden(sample, refusals):
    assert_golden("sample.color.txt", rendered(sample, color=True, refusals=refusals))


def test_markdown_golden(sample, refusals):
    assert_golden("sample.md", rendered(sample, "markdown", refusals=refusals))


def test_json_golden(sample, refusals):
    assert_golden("sample.json", rendered(sample, "json", refusals=refusals))


def test_the_hypertension_plan_golden():
    assert_golden(
        "hypertension.txt", rendered(build_plan(desired(hypertension_spec()), make_live()))
    )


# -- text -----------------------------------------------------------------------------------


def test_text_has_no_colour_unless_asked(sample):
    assert "\x1b[" not in rendered(sample)


def test_an_empty_plan_says_no_changes():
    live = make_live(
        live_study(30012, "Hypertension Management Study", description=HYPERTENSION_DESCRIPTION)
    )

    assert rendered(
        build_plan(
            desired(hypertension_spec(scope_requests=None, data_sources=None, patients=None)), live
        )
    ) == ("No changes. The live exchange matches the spec.\n")


def test_text_ends_with_the_summary_line_when_nothing_is_refused():
    plan = build_plan(desired(hypertension_spec()), make_live())

    assert rendered(plan, refusals=()).splitlines()[-1] == (
        "Plan: 1 to create, 0 to update, 0 to delete; 6 links to add, 0 to remove"
    )


@pytest.mark.parametrize(
    ("format", "marker"),
    [
        ("text", "Refused: apply's safeguards would refuse this plan"),
        ("markdown", "**Apply would refuse this plan**"),
        ("json", '"refusals": ['),
    ],
)
def test_a_refused_plan_still_renders_and_says_so(sample, refusals, format, marker):
    assert marker in rendered(sample, format, refusals=refusals)


# -- markdown -------------------------------------------------------------------------------


def test_markdown_puts_the_summary_first_and_destructive_changes_before_details(sample, refusals):
    text = rendered(sample, "markdown", refusals=refusals)

    assert (
        text.splitlines()[2]
        == "**Plan: 1 to create, 1 to update, 2 to delete; 8 links to add, 4 to remove; "
        "6 destructive: 1 unenrollment (1 consented), 1 client removal, "
        "1 scope request removal, 1 data source removal, 2 study deletions**"
    )
    assert text.index("### Destructive changes (6)") < text.index("<details>")


def many_studies(count: int) -> Plan:
    return Plan(
        changes=tuple(
            Change(
                ChangeKind.DELETE_STUDY, f"study-{i:05}", LIFESPAN, 30000 + i, f"Study number {i}"
            )
            for i in range(count)
        )
    )


def test_a_big_plan_is_cut_to_fit_a_github_comment_with_a_note():
    text = rendered(many_studies(3000), "markdown")

    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.startswith("## jhe-sync plan\n\n**Plan: 0 to create, 0 to update, 3000 to delete;")
    assert "**Cut to stay under GitHub's comment size limit:** not shown:" in text
    assert "3000 studies' changes" in text


def test_a_small_plan_is_not_cut():
    assert "Cut to stay under" not in rendered(many_studies(3), "markdown")


def test_markdown_escapes_what_the_spec_wrote_outside_code_blocks():
    change = Change(ChangeKind.DELETE_STUDY, "k", LIFESPAN, 30001, "<img src=x> **bold** ```")

    text = rendered(Plan(changes=(change,)), "markdown")

    (listed,) = [line for line in text.splitlines() if line.startswith("- **")]
    assert "&lt;img src=x&gt; \\*\\*bold\\*\\* \\`\\`\\`" in listed


def test_markdown_code_blocks_use_a_fence_longer_than_any_backticks_inside():
    change = Change(ChangeKind.DELETE_STUDY, "k", LIFESPAN, 30001, "a ``` b")

    assert "\n````diff\n" in rendered(Plan(changes=(change,)), "markdown")


# -- json -----------------------------------------------------------------------------------


def test_json_is_the_plans_json_form(sample):
    assert json.loads(rendered(sample, "json")) == sample.to_dict()


def test_every_format_has_a_renderer():
    assert FORMATS == ("text", "json", "markdown")


# -- personal data ------------------------------------------------------------------------------


def test_a_patient_given_by_email_appears_only_as_that_email_and_id():
    assert {f.name for f in fields(Patient)} == {"id", "email", "identifiers", "organization_ids"}
    live = make_live(patients=[Patient(40001, "peter@example.com", (), frozenset({LIFESPAN}))])
    plan = build_plan(desired(hypertension_spec(patients=["Peter@Example.com"])), live)

    for format in FORMATS:
        text = rendered(plan, format)
        assert "peter@example.com" in text
        assert "Peter@Example.com" not in text
    assert "enroll 1 patient: peter@example.com (#40001)" in rendered(plan)
