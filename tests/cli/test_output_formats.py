"""``--format json`` of apply, export and invite as a script meets it: stdout is exactly
one document that fits its published schema, and what people read goes to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plan.schema_check import errors

from cli.conftest import Run
from jhe_sync.emulator import SEED_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
SPECS = ROOT / "specs"

INVITED = """\
version: 1
studies:
  - key: bp
    id: 30002
    name: Lifespan Study on BP
    description: Blood Pressure
    organization: Lifespan Lab
"""


def published(run: Run, schema: str) -> dict[str, Any]:
    """stdout as one JSON document, checked against ``specs/<schema>.schema.json``."""
    found = json.loads(run.out)
    published = json.loads((SPECS / f"{schema}.schema.json").read_text())
    assert errors(found, published) == []
    return found  # type: ignore[no-any-return]


# -- apply -----------------------------------------------------------------------------


def test_apply_as_json_writes_one_document_and_the_plan_and_progress_to_stderr(
    jhe: Callable[..., Run], local: str
) -> None:
    run = jhe("apply", QUICKSTART, "--url", local, "--auto-approve", "--format", "json")
    assert run.code == 0, run.err
    document = published(run, "apply")
    assert document["status"] == "complete"
    assert [r["outcome"] for r in document["results"]] == ["done"] * 3
    [created] = {r["ids"]["study_id"] for r in document["results"]}
    assert document["results"][0]["change"]["kind"] == "create_study"
    assert "Plan: 1 to create" in run.err and "[3/3] done" in run.err
    assert f"(id {created})" in run.err


def test_apply_as_json_with_nothing_to_do_is_a_complete_document_of_no_results(
    jhe: Callable[..., Run], local: str
) -> None:
    assert jhe("apply", QUICKSTART, "--url", local, "--auto-approve").code == 0
    run = jhe("apply", QUICKSTART, "--url", local, "--auto-approve", "--format", "json")
    assert (run.code, published(run, "apply")["results"]) == (0, [])


def test_apply_as_json_refused_by_a_safeguard_says_why_and_exits_3(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "delete.yaml"
    spec.write_text(
        "version: 1\nstudies:\n  - key: bp\n    name: Lifespan Study on BP\n"
        "    description: Blood Pressure\n    organization: Lifespan Lab\n    state: absent\n",
        encoding="utf-8",
    )
    run = jhe("apply", spec, "--url", local, "--auto-approve", "--format", "json")
    assert run.code == 3
    document = published(run, "apply")
    assert document["status"] == "refused" and document["refusals"]
    assert [r["outcome"] for r in document["results"]] == ["skipped"]
    assert "Error: refused: 1 change blocked by safeguards" in run.err


# -- export ----------------------------------------------------------------------------


def test_export_as_json_lists_the_files_it_wrote_and_the_studies(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = jhe("export", "--url", local, "--out", out, "--format", "json")
    assert (run.code, run.err) == (0, "")
    document = published(run, "export")
    assert [Path(f["path"]).name for f in document["files"]][-1] == "jhe-sync.schema.json"
    assert all(Path(f["path"]).is_file() for f in document["files"])
    assert {s["id"] for s in document["studies"]} >= {30001, 30002}


def test_export_as_json_of_nothing_is_an_empty_document(
    jhe: Callable[..., Run], local: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A superuser sees no studies in GET /studies, and no organization is named (one
    # named would be exported with its practitioners).
    monkeypatch.setenv("JHE_CLIENT_ID", "admin")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    run = jhe("export", "--url", local, "--out", tmp_path / "none", "--format", "json")
    assert run.code == 0, run.err
    document = published(run, "export")
    assert (document["files"], document["studies"]) == ([], [])
    assert not (tmp_path / "none").exists()


# -- invite ----------------------------------------------------------------------------


def test_invite_as_json_never_holds_a_link_unless_asked(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "invite.yaml"
    spec.write_text(INVITED, encoding="utf-8")
    run = jhe(
        *("invite", spec, "--url", local, "--study", "bp", "--format", "json"),
        *("--send-email", "--yes"),
    )
    assert run.code == 0, run.err
    document = published(run, "invite")
    assert document["summary"] == {"patients": 2, "invited": 2, "failed": 0}
    assert document["links_shown"] is False
    assert all("link" not in result for result in document["results"])
    shown = jhe(
        *("invite", spec, "--url", local, "--study", "bp", "--format", "json"),
        *("--show-links", "--yes"),
    )
    links = [r["link"] for r in published(shown, "invite")["results"]]
    assert len(links) == 2 and all(isinstance(link, str) and link for link in links)


# -- the token endpoint flag --------------------------------------------------------------


def test_a_token_url_on_another_host_is_refused_before_any_request(
    jhe: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JHE_CLIENT_SECRET", "s3cr3t-value")
    run = jhe(
        "plan",
        QUICKSTART,
        "--url",
        "https://jhe.example.org",
        "--client-id",
        "abc",
        "--token-url",
        "https://login.example.com/o/token/",
    )
    assert run.code == 1
    assert run.err.startswith("Error: refusing the token URL https://login.example.com/o/token/")
    assert "s3cr3t-value" not in run.err
