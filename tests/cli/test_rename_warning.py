"""A rename without ``previous_names`` is warned about (issue 18): the plan would make a
second study with the same patients and leave (or prune) the old one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import PAMELA, PETER, Run, write


def _spec(tmp_path: Path, *studies: str, prune: bool = False) -> Path:
    organizations = (
        "organizations:\n  - {organization: Lifespan Lab, prune: true}\n" if prune else ""
    )
    return write(tmp_path, "spec.yaml", f"version: 1\n{organizations}studies:\n" + "".join(studies))


def _study(key: str, name: str, patients: list[str], extra: str = "") -> str:
    return (
        f"  - key: {key}\n    name: {name}\n    description: d\n    organization: Lifespan Lab\n"
        f"    patients: {json.dumps(patients)}\n{extra}"
    )


def _warnings(jhe: Callable[..., Run], spec: Path, local: str) -> list[str]:
    plan = json.loads(jhe("plan", spec, "--url", local, "--format", "json").out)
    return [w["message"] for w in plan["warnings"] if "previous_names" in w["message"]]


def test_a_renamed_entry_whose_key_came_from_the_old_name_is_warned_about(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe(
            "apply",
            _spec(tmp_path, _study("cardio-pilot", "Cardio Pilot", [])),
            "--url",
            local,
            "--auto-approve",
        ).code
        == 0
    )
    renamed = _spec(tmp_path, _study("cardio-pilot", "Cardio Pilot 2027", []))

    text = jhe("plan", renamed, "--url", local).out

    (warning,) = _warnings(jhe, renamed, local)
    assert warning.startswith(
        'creates a new study, but live study "Cardio Pilot" (id 30006) in the same organization, '
        "which no entry matches, has the name this entry's key 'cardio-pilot' comes from"
    )
    assert 'add previous_names: ["Cardio Pilot"] to it (or pin id: 30006)' in warning
    assert "leaves the live one unmanaged" in warning
    assert f"  ! cardio-pilot: {warning}" in text


def test_a_new_entry_enrolling_most_patients_of_an_unmatched_study_is_warned_about(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe(
            "apply",
            _spec(tmp_path, _study("old", "Old Name", [PETER, PAMELA])),
            "--url",
            local,
            "--auto-approve",
        ).code
        == 0
    )

    warnings = _warnings(jhe, _spec(tmp_path, _study("new", "New Name", [PETER, PAMELA])), local)

    # (the seeded studies enroll the same two patients: they are named too)
    (warning,) = [w for w in warnings if 'live study "Old Name" (id 30006)' in w]
    assert "has 2 of the 2 patients this entry enrolls" in warning


def test_with_prune_the_warning_says_the_old_study_would_be_deleted(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    old = _study("old", "Old Name", [PETER])
    assert jhe("apply", _spec(tmp_path, old), "--url", local, "--auto-approve").code == 0
    # (the seeded studies stay listed so that only the renamed one is pruned)
    seeded = _study("bp", "Lifespan Study on BP", [PAMELA, PETER]) + _study(
        "bp-hr", "Lifespan Study on BP & HR", [PAMELA, PETER]
    )

    warnings = _warnings(
        jhe, _spec(tmp_path, seeded, _study("new", "New Name", [PETER]), prune=True), local
    )

    assert any("deletes the live one with its consents (prune: true)" in w for w in warnings)


def test_a_rename_with_previous_names_is_an_update_and_no_warning(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert (
        jhe(
            "apply",
            _spec(tmp_path, _study("cardio-pilot", "Cardio Pilot", [PETER])),
            "--url",
            local,
            "--auto-approve",
        ).code
        == 0
    )
    renamed = _spec(
        tmp_path,
        _study(
            "cardio-pilot", "Cardio Pilot 2027", [PETER], '    previous_names: ["Cardio Pilot"]\n'
        ),
    )

    assert _warnings(jhe, renamed, local) == []
    assert "update study" in jhe("plan", renamed, "--url", local).out


def test_a_new_study_unlike_any_live_one_is_not_warned_about(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert _warnings(jhe, _spec(tmp_path, _study("sleep", "Sleep Study", [PETER])), local) == []
