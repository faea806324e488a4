"""The json forms of export and invite: versioned, documented, and free of patient details
and invitation links unless a link was asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plan.schema_check import errors

from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle.export import (
    EXPORT_FORMAT_VERSION,
    ExportResult,
    export_specs,
    write_export,
)
from jhe_sync.lifecycle.invite import INVITE_FORMAT_VERSION, invite_patients, invites_to_dict

from .conftest import PAMELA, PETER, SEEDED_PERSONAL_DATA, spec_text

SPECS = Path(__file__).parents[2] / "specs"
EXPORT_SCHEMA = json.loads((SPECS / "export.schema.json").read_text())
INVITE_SCHEMA = json.loads((SPECS / "invite.schema.json").read_text())
Connect = Callable[..., Exchange]

BP = f"""
version: 1
studies:
  - key: bp
    id: 30002
    name: Lifespan Study on BP
    description: Blood Pressure
    organization: Lifespan Lab
    patients: [{PETER}, {PAMELA}]
"""


def _exported(exchange: Exchange, out: Path, include_patients: bool = True) -> dict[str, Any]:
    export = export_specs(exchange, include_patients=include_patients)
    written = write_export({**export.files, "jhe-sync.schema.json": "{}"}, out)
    document = ExportResult(export, tuple(written), include_patients).to_dict()
    assert errors(json.loads(json.dumps(document)), EXPORT_SCHEMA) == []
    return document


# -- export --------------------------------------------------------------------------


def test_an_export_lists_every_file_written_and_the_studies_in_each(
    exchange: Exchange, tmp_path: Path
) -> None:
    document = _exported(exchange, tmp_path / "out")
    assert document["format_version"] == EXPORT_FORMAT_VERSION
    paths = [Path(f["path"]) for f in document["files"]]
    assert all(path.is_file() for path in paths)
    assert paths[-1].name == "jhe-sync.schema.json"
    in_files = {study for f in document["files"] for study in f["studies"]}
    assert in_files == {s["id"] for s in document["studies"]}
    assert document["summary"] == {"files": len(paths), "studies": len(document["studies"])}


def test_each_exported_study_has_its_id_key_file_and_a_patient_count(
    exchange: Exchange, tmp_path: Path
) -> None:
    document = _exported(exchange, tmp_path / "out")
    bp = next(s for s in document["studies"] if s["id"] == 30002)
    assert (bp["key"], bp["file"], bp["organization_id"], bp["patients"]) == (
        "lifespan-study-on-bp",
        "lifespan-lab.yaml",
        20003,
        2,
    )
    assert "key: lifespan-study-on-bp" in (tmp_path / "out" / "lifespan-lab.yaml").read_text()


def test_an_export_without_patients_counts_none_and_names_no_one(
    exchange: Exchange, tmp_path: Path
) -> None:
    document = _exported(exchange, tmp_path / "out", include_patients=False)
    assert document["patients_included"] is False
    assert {s["patients"] for s in document["studies"]} == {None}


def test_the_export_result_names_no_patient(exchange: Exchange, tmp_path: Path) -> None:
    text = json.dumps(_exported(exchange, tmp_path / "out"))
    for detail in (*SEEDED_PERSONAL_DATA, PETER, PAMELA):
        assert detail not in text


# -- invite ----------------------------------------------------------------------------


def test_invite_results_say_per_patient_ok_or_failed_without_links(
    emulator: Any, connect: Connect
) -> None:
    results = invite_patients(
        connect(emulator), spec_text(BP), "bp", patients=["peter@nowhere.example", PETER]
    )
    document = invites_to_dict(results)
    assert errors(json.loads(json.dumps(document)), INVITE_SCHEMA) == []
    assert document["format_version"] == INVITE_FORMAT_VERSION
    assert document["summary"] == {"patients": 2, "invited": 1, "failed": 1}
    failed, invited = document["results"]
    assert (failed["ok"], invited["ok"]) == (False, True)
    assert "not enrolled" in failed["reason"]
    assert all("link" not in r for r in document["results"])
    assert results[1].link and results[1].link not in json.dumps(document)


@pytest.mark.parametrize("show_links", [True, False])
def test_invite_results_hold_links_only_when_asked(
    emulator: Any, connect: Connect, show_links: bool
) -> None:
    results = invite_patients(connect(emulator), spec_text(BP), "bp")
    document = invites_to_dict(results, show_links=show_links)
    assert errors(json.loads(json.dumps(document)), INVITE_SCHEMA) == []
    assert document["links_shown"] is show_links
    links = [r.get("link") for r in document["results"]]
    assert links == ([r.link for r in results] if show_links else [None, None])
    assert all(links) is show_links
