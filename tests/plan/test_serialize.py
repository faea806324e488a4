"""The json form and saved plan files: versioned, documented, round-trips, refuses edits."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
from pathlib import Path

import pytest

from jhe_sync.errors import ConfigError, PlanFileError, TamperedPlanError, UnsignedPlanError
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind
from jhe_sync.plan.plan import PLAN_FORMAT_VERSION, Plan
from jhe_sync.plan.serialize import (
    SavedPlan,
    content_digest,
    load_plan,
    load_saved,
    plan_from_dict,
    plan_key,
    save_plan,
)

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


# -- keyed plans -----------------------------------------------------------------------

KEY = b"k" * 32


def signed(plan: Plan, key: bytes = KEY) -> str:
    stream = io.StringIO()
    save_plan(plan, stream, key)
    return stream.getvalue()


def test_a_signed_plan_loads_with_its_key_and_fits_the_schema(plan):
    text = signed(plan)

    assert errors(json.loads(text), SCHEMA) == []
    assert load_saved(io.StringIO(text), KEY) == SavedPlan(plan, signed=True, verified=True)


def test_a_signed_plan_loads_without_a_key_unchecked(plan):
    assert load_saved(io.StringIO(signed(plan))) == SavedPlan(plan, signed=True, verified=False)


def test_with_a_key_an_unsigned_plan_is_refused(plan):
    with pytest.raises(UnsignedPlanError, match="not signed"):
        load_plan(io.StringIO(saved(plan)), KEY)


def test_a_plan_signed_with_another_key_is_refused(plan):
    with pytest.raises(TamperedPlanError, match="signature does not match"):
        load_plan(io.StringIO(signed(plan, b"o" * 32)), KEY)


def test_an_edit_that_recomputes_the_digest_is_caught_by_the_signature(plan):
    document = json.loads(signed(plan))
    document["changes"][0]["reason"] = "reviewed, honestly"
    document["digest"] = content_digest(document)

    assert load_plan(io.StringIO(json.dumps(document))).changes[0].reason == "reviewed, honestly"
    with pytest.raises(TamperedPlanError, match="signature does not match"):
        load_plan(io.StringIO(json.dumps(document)), KEY)


def test_reformatting_a_signed_plan_keeps_its_signature(plan):
    document = json.loads(signed(plan))

    assert load_plan(io.StringIO(json.dumps(document, indent=None)), KEY) == plan


def test_the_signature_is_an_hmac_of_the_content_the_digest_covers(plan):
    document = json.loads(signed(plan))
    content = {k: v for k, v in document.items() if k not in ("digest", "signature")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hmac.new(KEY, canonical.encode(), hashlib.sha256).hexdigest()

    assert document["signature"] == f"hmac-sha256:{expected}"
    assert KEY.decode() not in json.dumps(document)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_plan_key_means_unsigned_plans(text):
    assert plan_key(text) is None


def test_a_plan_key_too_short_to_resist_guessing_is_refused_without_repeating_it():
    with pytest.raises(ConfigError, match="JHE_PLAN_KEY has 9 characters") as raised:
        plan_key("swordfish")
    assert "swordfish" not in str(raised.value)


def test_a_saved_plan_records_the_exchange_and_the_user(plan):
    bound = dataclasses.replace(plan, exchange="https://jhe.example.org", planned_as="a@b.org")
    document = json.loads(saved(bound))

    assert (document["exchange"], document["planned_as"]) == ("https://jhe.example.org", "a@b.org")
    assert load_plan(io.StringIO(saved(bound))) == bound


def test_a_plan_saved_before_the_exchange_was_recorded_loads_without_one(plan):
    document = plan.to_dict()
    del document["exchange"], document["planned_as"]

    assert plan_from_dict(document).exchange == ""
