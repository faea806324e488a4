"""What ``status`` reports, as the team reading it takes it: observation counts labelled
for what the exchange counts, and a markdown report that fits where it is posted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from jhe_sync.lifecycle.status import OBSERVATIONS_COUNTED
from jhe_sync.markdown import GITHUB_COMMENT_LIMIT

from .conftest import EXAMPLES, SITES, Run, estate_spec

HYPERTENSION = EXAMPLES / "hypertension"


def test_status_says_its_observations_include_uploads_from_before_the_study(
    jhe: Callable[..., Run], local: str
) -> None:
    # The seeded patients uploaded before this study existed: the exchange counts those.
    assert jhe("apply", HYPERTENSION, "--url", local, "--auto-approve").code == 0

    text = jhe("status", HYPERTENSION, "--url", local).out
    markdown = jhe("status", HYPERTENSION, "--url", local, "--format", "markdown").out
    report = json.loads(jhe("status", HYPERTENSION, "--url", local, "--format", "json").out)

    header = next(line for line in text.splitlines() if line.startswith("STUDY"))
    assert "OBSERVATIONS*" in header and "LATEST UPLOAD*" in header
    assert f"* {OBSERVATIONS_COUNTED}" in text.splitlines()
    assert "| Observations\\* | Latest upload\\* |" in markdown
    assert "uploads from before a patient enrolled or consented count too" in markdown
    assert report["observations_counted"] == OBSERVATIONS_COUNTED
    [study] = report["studies"]
    assert study["observations"] > 0


def test_status_markdown_of_300_studies_stays_under_githubs_limit_and_says_what_it_cut(
    jhe: Callable[..., Run], estate_url: str, tmp_path: Path
) -> None:
    spec = estate_spec(tmp_path / "spec", "omh:heart-rate:2.0")

    run = jhe("status", spec, "--url", estate_url, "--format", "markdown")

    assert run.code == 0, run.err
    assert len(run.out) < GITHUB_COMMENT_LIMIT
    assert run.out.count("| `bp-") == SITES
    (note,) = [line for line in run.out.splitlines() if line.startswith("**Cut to stay under")]
    assert "studies' consent tables" in note
    assert "`--format json`" in note
