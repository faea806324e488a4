"""The json form and saved plan files: versioned, documented, round-trips, refuses edits."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from jhe_sync.errors import PlanFileError, TamperedPlanError
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind
from jhe_sync.plan.plan import PLAN_FORMAT_VERSION, Plan
from jhe_sync.plan.serialize import load_plan, plan_from_dict, save_plan

from .conftest import sample_desired, sample_live
from .schema_check import errors

SCHEMA = json.loads((Path(__file__).parents[2] / "specs" / "plan.schema.json").read_text())


@pytest.fixture
def plan() -> Plan:
    return build_plan(sample_desired(), sample_live())


def saved(plan: Plan) -> str:
    stream = io.StringIO()
    save_plan(plan, stream)
    return stream.getvalue()


def test_the_json_form_round_trips_exactly(plan):
    assert plan_from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_a_saved_plan_loads_as_the_same_plan(plan):
    assert load_plan(io.StringIO(saved(plan))) == plan


def test_the_json_form_fits_the_published_schema(plan):
    assert errors(plan.to_dict(), SCHEMA) == []


def test_a_saved_plan_fits_the_published_schema(plan):
    assert errors(json.loads(saved(plan)), SCHEMA) == []


def test_the_schema_knows_every_change_kind_and_the_format_version():
    change = SCHEMA["$defs"]["change"]["properties"]

    assert change["kind"]["enum"] == [kind.value for kind in ChangeKind]
    assert SCHEMA["properties"]["format_version"]["const"] == PLAN_FORMAT_VERSION


def test_the_schema_check_catches_a_key_the_schema_does_not_document(plan):
    document = plan.to_dict() | {"surprise": 1}

    assert errors(document, SCHEMA) == ["$: unexpected key 'surprise'"]


def test_the_json_form_is_the_same_bytes_every_time():
    first = saved(build_plan(sample_desired(), sample_live()))

    assert saved(build_plan(sample_desired(), sample_live())) == first


def test_a_saved_plan_records_the_spec_digest_and_fingerprints(plan):
    document = json.loads(saved(plan))

    assert document["spec_digest"] == "sha256:0123456789abcdef"
    assert set(document["fingerprints"]) == {
        "organization:20002",
        "organization:20003",
        "study:30001",
        "study:30003",
        "study:30010",
    }
    assert document["digest"].startswith("sha256:")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["changes"].pop(),
        lambda d: d["changes"][-1].update(protected=False),
        lambda d: d["fingerprints"].update({"study:30001": "0" * 16}),
        lambda d: d.update(spec_digest="sha256:other"),
    ],
    ids=[
        "a change removed",
        "protect dropped",
        "a fingerprint replaced",
        "the spec digest replaced",
    ],
)
def test_an_edited_saved_plan_is_refused(plan, edit):
    document = json.loads(saved(plan))
    edit(document)

    with pytest.raises(TamperedPlanError, match="edited after it was written"):
        load_plan(io.StringIO(json.dumps(document)))


def test_reformatting_a_saved_plan_is_not_an_edit(plan):
    document = json.loads(saved(plan))

    assert load_plan(io.StringIO(json.dumps(document, indent=None))) == plan


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a saved plan: invalid JSON at line 1, column 2"),
        ("[1, 2]", "not a saved plan: write one with jhe-sync plan --out FILE"),
        ('{"format_version": 2, "changes": []}', "the plan has no digest"),
        ('{"format_version": 99, "changes": []}', "format version 99"),
        (
            '{"format_version": 1, "changes": []}',
            "format version 1, .* reads version 2; plan again",
        ),
    ],
    ids=["not json", "not an object", "no digest", "unknown version", "the previous version"],
)
def test_a_malformed_saved_plan_is_a_clear_error(content, message):
    with pytest.raises(PlanFileError, match=message):
        load_plan(io.StringIO(content))


def test_a_file_error_names_the_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{oops")

    with path.open() as stream, pytest.raises(PlanFileError, match=f"^{path}: not a saved plan"):
        load_plan(stream)


def test_a_plan_with_a_wrong_field_type_is_a_clear_error(plan):
    document = plan.to_dict()
    document["changes"][0]["study_id"] = "30001"

    with pytest.raises(PlanFileError, match=r"changes\[0\]: 'study_id' has the wrong type \(str\)"):
        plan_from_dict(document)


def test_a_recorded_call_that_differs_from_the_change_is_refused(plan):
    document = plan.to_dict()
    document["changes"][0]["call"]["path"] = "/api/v1/studies/1"

    with pytest.raises(PlanFileError, match="recorded call differs"):
        plan_from_dict(document)
