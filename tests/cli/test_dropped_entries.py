"""A study whose entry went with its organization is not forgotten (issue 18): every
organization where the caller may write is read (one request each), and its live
studies that no spec lists are reported, with how to delete or keep them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from jhe_sync.emulator import SEED_PASSWORD

from .conftest import Run, write

SATURN = "Saturn School of Data Science"


def _sites(tmp_path: Path, sites: list[str]) -> Path:
    return write(
        tmp_path,
        "spec.yaml",
        "version: 1\nstudies:\n  - for_each:\n"
        f"      site: {json.dumps(sites)}\n"
        "    key: bp-${slug:site}\n    name: Remote BP - ${site}\n    description: d\n"
        "    organization: ${site}\n",
    )


@pytest.fixture
def dropped(jhe: Callable[..., Run], local: str, tmp_path: Path) -> Path:
    """Both sites applied, then Saturn School dropped from the for_each."""
    both = _sites(tmp_path, ["Lifespan Lab", SATURN])
    assert jhe("apply", both, "--url", local, "--auto-approve").code == 0
    return _sites(tmp_path, ["Lifespan Lab"])


def test_a_study_dropped_with_its_organization_is_reported_with_what_to_do(
    jhe: Callable[..., Run], local: str, dropped: Path
) -> None:
    run = jhe("plan", dropped, "--url", local)

    assert run.code == 0, run.err
    lines = run.out.splitlines()
    start = lines.index(
        "Not in the spec: 1 live study in organizations the spec does not mention, where the "
        "caller may write (left alone):"
    )
    assert re.fullmatch(
        rf'  "Remote BP - {SATURN}" \(id \d+, {SATURN} \(20002\)\)', lines[start + 1]
    )
    assert "jhe-sync export --study ID writes it" in lines[start + 2]
    assert "add that entry with state: absent" in lines[start + 2]
    assert "No changes. The live exchange matches the spec." not in run.out
    assert lines[-1].endswith("it does not list are left alone (unmanaged).")


def test_the_markdown_and_json_plans_report_it_too(
    jhe: Callable[..., Run], local: str, dropped: Path
) -> None:
    markdown = jhe("plan", dropped, "--url", local, "--format", "markdown").out
    plan = json.loads(jhe("plan", dropped, "--url", local, "--format", "json").out)

    assert "### Not in the spec" in markdown
    assert re.search(rf"Remote BP - {SATURN} \(id \d+, {SATURN} \(20002\)\)", markdown)
    outside = [u for u in plan["unmanaged"] if not u["organization_in_spec"]]
    assert [(u["name"], u["organization_id"]) for u in outside] == [
        (f"Remote BP - {SATURN}", 20002)
    ]


def test_organizations_where_the_caller_may_not_write_are_not_read(
    jhe: Callable[..., Run],
    local: str,
    dropped: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # member_megan writes in Lifespan Lab only: Saturn School is none of her business.
    monkeypatch.setenv("JHE_CLIENT_ID", "member_megan")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)

    run = jhe("plan", dropped, "--url", local, "-v")

    assert "Not in the spec" not in run.out
    assert "/organizations/20002/studies" not in run.err
