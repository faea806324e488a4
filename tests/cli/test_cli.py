"""The command line as a user meets it: commands, exit codes, and the README's flows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from jhe_sync import __version__

from .conftest import Run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
COMMANDS = ("validate", "plan", "show", "apply", "schema", "export", "status", "invite", "emulator")


def test_help_lists_every_command_with_its_purpose(jhe: Callable[..., Run]) -> None:
    run = jhe("--help")
    assert run.code == 0
    for command in COMMANDS:
        assert f"  {command} " in run.out


def test_version_is_the_package_version(jhe: Callable[..., Run]) -> None:
    run = jhe("--version")
    assert (run.code, run.out.strip()) == (0, f"jhe-sync, version {__version__}")


def test_a_usage_error_exits_1_not_2_which_means_changes(jhe: Callable[..., Run]) -> None:
    run = jhe("plan", EXAMPLES / "quickstart", "--no-such-flag")
    assert run.code == 1
    assert "No such option" in run.err


def test_the_readme_first_command_applies_then_plans_no_changes(
    jhe: Callable[..., Run], local: str
) -> None:
    applied = jhe("apply", EXAMPLES / "quickstart", "--url", local, "--auto-approve")
    assert applied.code == 0, applied.err
    assert "[3/3] done" in applied.out
    assert "Apply complete: 3 changes done." in applied.out
    planned = jhe("plan", EXAMPLES / "quickstart", "--url", local, "--detailed-exitcode")
    assert planned.code == 0, planned.err
    assert "No changes." in planned.out


def test_the_hypertension_example_plans_the_guides_six_calls(
    jhe: Callable[..., Run], local: str
) -> None:
    run = jhe("plan", EXAMPLES / "hypertension", "--url", local, "--format", "json")
    assert run.code == 0, run.err
    calls = sorted(
        (c["call"]["method"], c["call"]["path"], json.dumps(c["call"]["body"], sort_keys=True))
        for c in json.loads(run.out)["changes"]
    )
    assert calls == sorted(
        [
            (
                "POST",
                "/api/v1/studies",
                json.dumps(
                    {
                        "description": "Remote blood pressure monitoring for hypertensive patients.",
                        "name": "Hypertension Management Study",
                        "organization": 20003,
                    },
                    sort_keys=True,
                ),
            ),
            ("POST", "/api/v1/studies/{study_id}/scope_requests", '{"scope_code_id": 50002}'),
            ("POST", "/api/v1/studies/{study_id}/scope_requests", '{"scope_code_id": 50004}'),
            ("POST", "/api/v1/studies/{study_id}/data_sources", '{"data_source_id": 70001}'),
            ("POST", "/api/v1/studies/{study_id}/data_sources", '{"data_source_id": 70003}'),
            ("POST", "/api/v1/studies/{study_id}/patients", '{"patient_ids": [40001, 40002]}'),
        ]
    )


def test_after_applying_the_hypertension_example_a_second_plan_is_empty(
    jhe: Callable[..., Run], local: str
) -> None:
    assert jhe("apply", EXAMPLES / "hypertension", "--url", local, "--auto-approve").code == 0
    run = jhe("plan", EXAMPLES / "hypertension", "--url", local, "--format", "json")
    assert json.loads(run.out)["changes"] == []


def test_detailed_exitcode_is_2_when_there_are_changes(jhe: Callable[..., Run], local: str) -> None:
    run = jhe("plan", EXAMPLES / "quickstart", "--url", local, "--detailed-exitcode")
    assert run.code == 2
    assert "Plan: 1 to create" in run.out


def test_without_a_terminal_apply_needs_auto_approve_and_writes_nothing(
    jhe: Callable[..., Run], local: str
) -> None:
    run = jhe("apply", EXAMPLES / "quickstart", "--url", local)
    assert run.code == 1
    assert "--auto-approve" in run.err
    assert jhe("plan", EXAMPLES / "quickstart", "--url", local, "--detailed-exitcode").code == 2


def _spec(tmp_path: Path, patients: list[str]) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "version: 1\nstudies:\n  - key: bp\n    name: BP\n    description: d\n"
        f"    organization: Lifespan Lab\n    patients: {json.dumps(patients)}\n",
        encoding="utf-8",
    )
    return path


PETER, PAMELA = "ll_patient_peter@example.com", "ll_patient_pamela@example.com"


def test_an_unallowed_unenrollment_exits_3_and_writes_nothing(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    both = _spec(tmp_path, [PETER, PAMELA])
    assert jhe("apply", both, "--url", local, "--auto-approve").code == 0
    one = _spec(tmp_path, [PETER])
    refused = jhe("apply", one, "--url", local, "--auto-approve")
    assert refused.code == 3
    assert "--allow-destroy bp" in refused.err
    # Still planned: nothing was unenrolled.
    assert jhe("plan", one, "--url", local, "--detailed-exitcode").code == 3


def test_allow_destroy_for_the_study_lets_the_unenrollment_through(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe("apply", _spec(tmp_path, [PETER, PAMELA]), "--url", local, "--auto-approve").code == 0
    )
    one = _spec(tmp_path, [PETER])
    run = jhe("apply", one, "--url", local, "--auto-approve", "--allow-destroy", "bp")
    assert run.code == 0, run.err
    assert jhe("plan", one, "--url", local, "--detailed-exitcode").code == 0


def test_allow_destroy_with_a_key_the_spec_does_not_have_is_an_error(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    run = jhe(
        "apply",
        _spec(tmp_path, [PETER]),
        "--url",
        local,
        "--auto-approve",
        "--allow-destroy",
        "nope",
    )
    assert run.code == 1
    assert "names no study or organization key" in run.err


def test_a_saved_plan_applies_and_then_nothing_is_left(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert jhe("plan", EXAMPLES / "hypertension", "--url", local, "--out", saved).code == 0
    shown = jhe("show", saved)
    assert "Plan: 1 to create" in shown.out
    applied = jhe("apply", "--plan", saved, "--url", local, "--auto-approve")
    assert applied.code == 0, applied.err
    assert jhe("plan", EXAMPLES / "hypertension", "--url", local, "--detailed-exitcode").code == 0


def test_a_stale_saved_plan_is_refused_with_exit_3(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert jhe("apply", _spec(tmp_path, [PETER]), "--url", local, "--auto-approve").code == 0
    assert jhe("plan", _spec(tmp_path, [PETER, PAMELA]), "--url", local, "--out", saved).code == 0
    # Someone else changes the study after the plan was made.
    assert (
        jhe("apply", _spec(tmp_path, []), "--url", local, "--auto-approve", "--allow-destroy").code
        == 0
    )
    run = jhe("apply", "--plan", saved, "--url", local, "--auto-approve")
    assert run.code == 3
    assert "stale" in run.err


def test_an_edited_saved_plan_is_refused_with_exit_3(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert jhe("plan", EXAMPLES / "quickstart", "--url", local, "--out", saved).code == 0
    saved.write_text(saved.read_text().replace("Glucose Monitoring Pilot", "Something Else"))
    run = jhe("apply", "--plan", saved, "--url", local, "--auto-approve")
    assert run.code == 3
    assert jhe("plan", EXAMPLES / "quickstart", "--url", local, "--detailed-exitcode").code == 2


def test_target_limits_the_plan_to_one_study(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(
        "version: 1\nstudies:\n"
        "  - {key: a, name: A, description: d, organization: Lifespan Lab}\n"
        "  - {key: b, name: B, description: d, organization: Lifespan Lab}\n",
        encoding="utf-8",
    )
    run = jhe("plan", spec, "--url", local, "--target", "b", "--format", "json")
    assert [c["key"] for c in json.loads(run.out)["changes"]] == ["b"]


def test_an_unknown_data_source_names_the_file_and_line(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "version: 1\nstudies:\n  - key: a\n    name: A\n    description: d\n"
        "    organization: Lifespan Lab\n    data_sources: [Dexcom, Omron]\n",
        encoding="utf-8",
    )
    run = jhe("plan", spec, "--url", local)
    assert run.code == 1
    assert f"{spec}:7" in run.err
    assert "Omron" in run.err
    assert "Traceback" not in run.err


def test_validate_accepts_every_example(jhe: Callable[..., Run]) -> None:
    for example in ("quickstart", "hypertension"):
        run = jhe("validate", EXAMPLES / example)
        assert run.code == 0, run.err


def test_schema_prints_the_published_schema(jhe: Callable[..., Run]) -> None:
    run = jhe("schema")
    assert run.out == (ROOT / "specs" / "jhe-sync.schema.json").read_text(encoding="utf-8")


def test_an_export_plans_no_changes(jhe: Callable[..., Run], local: str, tmp_path: Path) -> None:
    assert jhe("apply", EXAMPLES / "hypertension", "--url", local, "--auto-approve").code == 0
    out = tmp_path / "exported"
    exported = jhe("export", "--url", local, "--out", out)
    assert exported.code == 0, exported.err
    assert (out / "jhe-sync.schema.json").exists()
    run = jhe("plan", out, "--url", local, "--detailed-exitcode")
    assert run.code == 0, run.out + run.err


def test_status_reports_enrollment_per_study(jhe: Callable[..., Run], local: str) -> None:
    assert jhe("apply", EXAMPLES / "hypertension", "--url", local, "--auto-approve").code == 0
    run = jhe("status", EXAMPLES / "hypertension", "--url", local, "--format", "json")
    assert run.code == 0, run.err
    [study] = json.loads(run.out)["studies"]
    assert (study["key"], study["enrolled"]) == ("hypertension", 2)


def test_plain_http_to_another_host_is_refused(jhe: Callable[..., Run]) -> None:
    run = jhe("plan", EXAMPLES / "quickstart", "--url", "http://jhe.example.org", "--token", "t")
    assert run.code == 1
    assert "--insecure-http" in run.err


def test_missing_credentials_say_which_variables_to_set(jhe: Callable[..., Run]) -> None:
    run = jhe("plan", EXAMPLES / "quickstart", "--url", "https://jhe.example.org")
    assert run.code == 1
    assert "JHE_CLIENT_ID" in run.err and "JHE_TOKEN" in run.err


def test_target_narrows_a_saved_plan_too(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(
        "version: 1\nstudies:\n"
        "  - {key: a, name: A, description: d, organization: Lifespan Lab}\n"
        "  - {key: b, name: B, description: d, organization: Lifespan Lab}\n",
        encoding="utf-8",
    )
    saved = tmp_path / "plan.json"
    assert jhe("plan", spec, "--url", local, "--out", saved).code == 0
    run = jhe("apply", "--plan", saved, "--url", local, "--auto-approve", "--target", "a")
    assert run.code == 0, run.err
    left = jhe("plan", spec, "--url", local, "--format", "json")
    assert [c["key"] for c in json.loads(left.out)["changes"]] == ["b"]


def test_a_saved_plan_takes_no_spec_variables(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert jhe("plan", EXAMPLES / "quickstart", "--url", local, "--out", saved).code == 0
    run = jhe("apply", "--plan", saved, "--url", local, "--auto-approve", "--var", "x=1")
    assert run.code == 1
    assert "--plan FILE applies a saved plan as it was made" in run.err
