"""What a plan says, as a reviewer reads it: counts of every kind of destruction, the
same thing said once for many studies, a limited plan that says so, a pull-request
comment that fits GitHub and mentions nobody (issue 18)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from jhe_sync.plan.render.markdown import GITHUB_COMMENT_LIMIT

from .conftest import PAMELA, PETER, Run, estate_spec, write


def _study(key: str, name: str, **lists: object) -> str:
    fields = "".join(f"    {field}: {json.dumps(value)}\n" for field, value in lists.items())
    return (
        f"  - key: {key}\n    name: {name}\n    description: d\n"
        f"    organization: Lifespan Lab\n{fields}"
    )


def _spec(tmp_path: Path, *studies: str) -> Path:
    return write(tmp_path, "spec.yaml", "version: 1\nstudies:\n" + "".join(studies))


FULL = {
    "scope_requests": ["omh:blood-pressure:4.0", "omh:heart-rate:2.0"],
    "data_sources": ["CareX", "iHealth"],
    "clients": ["CareX"],
    "patients": [PETER, PAMELA],
}


def test_the_summary_line_counts_destructive_changes_of_every_kind(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe(
            "apply", _spec(tmp_path, _study("bp", "BP", **FULL)), "--url", local, "--auto-approve"
        ).code
        == 0
    )
    smaller = _spec(
        tmp_path,
        _study(
            "bp",
            "BP",
            scope_requests=["omh:blood-pressure:4.0"],
            data_sources=["CareX"],
            clients=[],
            patients=[PETER],
        ),
    )
    expected = (
        "Plan: 0 to create, 0 to update, 0 to delete; 0 links to add, 4 to remove; "
        "4 destructive: 1 unenrollment, 1 client removal, 1 scope request removal, "
        "1 data source removal"
    )

    text = jhe("plan", smaller, "--url", local)
    markdown = jhe("plan", smaller, "--url", local, "--format", "markdown")
    summary = json.loads(jhe("plan", smaller, "--url", local, "--format", "json").out)["summary"]

    assert expected in text.out.splitlines()
    assert f"**{expected}**" in markdown.out.splitlines()
    assert summary["text"] == expected
    assert summary["destroyed"] == {
        "unenroll_patients": 1,
        "remove_client": 1,
        "remove_scope_request": 1,
        "remove_data_source": 1,
    }


def test_a_study_deletion_counts_as_destructive_in_the_summary(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe("apply", _spec(tmp_path, _study("bp", "BP")), "--url", local, "--auto-approve").code
        == 0
    )
    gone = _spec(tmp_path, _study("bp", "BP") + "    state: absent\n")

    run = jhe("plan", gone, "--url", local)

    assert (
        "Plan: 0 to create, 0 to update, 1 to delete; 0 links to add, 0 to remove; "
        "1 destructive: 1 study deletion"
    ) in run.out.splitlines()


def _three_sites(tmp_path: Path) -> Path:
    """One template over three studies, each asking for a scope no data source supports."""
    return write(
        tmp_path,
        "sites.yaml",
        "version: 1\n"
        "templates:\n  weight:\n    description: d\n"
        "    scope_requests: [omh:body-weight:3.0]\n    data_sources: [CareX]\n"
        "studies:\n  - use: weight\n    for_each:\n      site: [a, b, c]\n"
        "    key: weight-${site}\n    name: Weight ${site}\n    organization: Lifespan Lab\n",
    )


WEIGHT_WARNING = (
    'scope "omh:body-weight:3.0" is supported by none of the study\'s data sources (CareX); '
    "patients will never be asked to consent to it"
)


def test_identical_warnings_of_many_studies_are_said_once_with_their_keys(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _three_sites(tmp_path)

    text = jhe("plan", spec, "--url", local).out
    markdown = jhe("plan", spec, "--url", local, "--format", "markdown").out

    assert text.count(WEIGHT_WARNING) == 1
    assert f"  ! 3 studies (weight-a, weight-b, weight-c): {WEIGHT_WARNING}" in text
    assert markdown.count("is supported by none of the study") == 1
    assert "- 3 studies (`weight-a`, `weight-b`, `weight-c`): scope" in markdown


def test_the_json_plan_keeps_one_warning_per_study(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    plan = json.loads(jhe("plan", _three_sites(tmp_path), "--url", local, "--format", "json").out)

    assert [w["key"] for w in plan["warnings"]] == ["weight-a", "weight-b", "weight-c"]


# -- a 300-study estate and one template change ---------------------------------------


def test_one_template_change_over_300_studies_fits_a_github_comment_changes_first(
    jhe: Callable[..., Run], estate_url: str, tmp_path: Path
) -> None:
    changed = estate_spec(tmp_path / "spec", "omh:body-weight:3.0")

    run = jhe(
        "plan", changed, "--url", estate_url, "--format", "markdown", "--out", tmp_path / "p.json"
    )

    comment = run.out
    assert run.code == 0, run.err
    assert len(comment) < GITHUB_COMMENT_LIMIT
    assert "Cut to stay under" not in comment
    assert (
        "**Plan: 0 to create, 0 to update, 0 to delete; 300 links to add, 300 to remove; "
        "300 destructive: 300 scope request removals**"
    ) in comment
    changes = comment.index("### Changes by study")
    assert changes < comment.index("### Warnings")
    assert '+ add scope request "omh:body-weight:3.0" (id 50008)' in comment[changes:]
    assert '- remove scope request "omh:heart-rate:2.0" (id 50004)' in comment[changes:]
    assert comment.count("<details>") == 1
    assert "300 studies, Lifespan Lab (20003): 2 changes each" in comment
    assert comment.count("patients will never be asked to consent to it") == 1
    assert comment.count("they must consent again") == 1


def test_a_cut_markdown_plan_keeps_changes_ahead_of_warnings_and_points_to_the_saved_plan(
    jhe: Callable[..., Run], estate_url: str, tmp_path: Path
) -> None:
    # Each study's description changes: 300 different updates, too many for one comment.
    changed = estate_spec(tmp_path / "spec", "omh:body-weight:3.0")
    templates = changed / "templates.yaml"
    templates.write_text(
        templates.read_text().replace("Remote BP at site", "Remote blood pressure at site")
    )

    comment = jhe(
        "plan",
        changed,
        "--url",
        estate_url,
        "--format",
        "markdown",
        "--out",
        tmp_path / "plan.json",
    ).out

    assert len(comment) < GITHUB_COMMENT_LIMIT
    assert "### Changes by study" in comment
    assert "### Warnings" not in comment
    (note,) = [line for line in comment.splitlines() if line.startswith("**Cut to stay under")]
    assert "studies' changes" in note and "600 warnings" in note
    assert f"`jhe-sync show {tmp_path / 'plan.json'}` prints it" in note


def test_a_cut_markdown_plan_without_a_saved_plan_says_how_to_see_it_whole(
    jhe: Callable[..., Run], estate_url: str, tmp_path: Path
) -> None:
    changed = estate_spec(tmp_path / "spec", "omh:heart-rate:2.0")
    templates = changed / "templates.yaml"
    templates.write_text(templates.read_text().replace("Remote BP", "Remote blood pressure"))

    comment = jhe("plan", changed, "--url", estate_url, "--format", "markdown").out

    assert "run the same `jhe-sync plan` with `--format text`" in comment


# -- --target ---------------------------------------------------------------------------


def test_a_targeted_plan_says_it_was_limited_in_every_format(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, _study("a", "A"), _study("b", "B"))
    assert jhe("apply", spec, "--url", local, "--auto-approve", "--target", "a").code == 0

    text = jhe("plan", spec, "--url", local, "--target", "a").out
    markdown = jhe("plan", spec, "--url", local, "--target", "a", "--format", "markdown").out
    plan = json.loads(jhe("plan", spec, "--url", local, "--target", "a", "--format", "json").out)

    limited = (
        "No changes for the targets (limited to --target a); the rest of the spec was not planned."
    )
    assert "No changes. The live exchange matches the spec." not in text
    assert text.splitlines()[-1] == limited
    assert f"**{limited}**" in markdown
    assert plan["targets"] == ["a"]
    assert plan["summary"]["text"] == limited


def test_a_targeted_plan_with_changes_says_other_studies_were_not_planned(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, _study("a", "A"), _study("b", "B"))

    text = jhe("plan", spec, "--url", local, "--target", "b").out

    assert text.splitlines()[-1] == (
        "Plan: 1 to create, 0 to update, 0 to delete; 0 links to add, 0 to remove "
        "(limited to --target b; the rest of the spec was not planned)"
    )


def test_a_saved_targeted_plan_remembers_its_targets(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, _study("a", "A"), _study("b", "B"))
    saved = tmp_path / "plan.json"
    assert jhe("plan", spec, "--url", local, "--target", "b", "--out", saved).code == 0

    shown = jhe("show", saved).out

    assert "(limited to --target b; the rest of the spec was not planned)" in shown
    assert json.loads(saved.read_text())["targets"] == ["b"]


# -- mentions -----------------------------------------------------------------------------


def test_a_study_name_mentions_nobody_in_the_markdown_plan(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    named = _spec(tmp_path, _study("pilot", "Pilot @octo-org/reviewers"), _study("bp", "BP @alice"))
    assert jhe("apply", named, "--url", local, "--auto-approve").code == 0
    # The live study "Pilot @..." is no longer in the spec (unmanaged), "BP @alice" is deleted.
    only_bp = _spec(tmp_path, _study("bp", "BP @alice") + "    state: absent\n")

    comment = jhe("plan", only_bp, "--url", local, "--format", "markdown").out

    prose = _outside_code(comment)
    assert re.findall(r"(?<![0-9A-Za-z])@[0-9A-Za-z]", prose) == []
    assert "Pilot @&#8203;octo-org/reviewers" in prose
    assert "BP @&#8203;alice" in prose


def _outside_code(markdown: str) -> str:
    """The comment without its code blocks and spans, where GitHub mentions nobody."""
    without_blocks = re.sub(r"^(`{3,})diff\n.*?^\1$", "", markdown, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`\n]*`|<code>.*?</code>", "", without_blocks)


def test_an_email_in_a_markdown_plan_is_left_as_it_is(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, _study("bp", "BP", patients=[PETER]))
    assert jhe("apply", spec, "--url", local, "--auto-approve").code == 0
    unenroll = _spec(tmp_path, _study("bp", "BP", patients=[]))

    comment = jhe("plan", unenroll, "--url", local, "--format", "markdown").out

    assert "#40001" in comment
    assert "@&#8203;" not in comment
