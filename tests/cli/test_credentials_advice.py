"""The wrong credential gets the right advice (issue 18): a caller who cannot see an
organization's patients is told so before anything about a patient, and is never told
to create a patient who may exist out of its sight; the superuser plans (and applies)
what it can apply.

Seeded: manager_mark has roles in Neptune Health System's organizations only, none in
Lifespan Lab; admin is a superuser and a practitioner of no organization.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jhe_sync.emulator import SEED_PASSWORD

from .conftest import PETER, Run, write

PETER_IDENTIFIER = "{identifier: {system: 'urn:oid:1.2.3.4', value: E1234}}"


def _spec(tmp_path: Path, patients: str | None) -> Path:
    listed = f"    patients: [{patients}]\n" if patients is not None else ""
    return write(
        tmp_path,
        "spec.yaml",
        "version: 1\nstudies:\n  - key: bp\n    name: BP\n    description: d\n"
        f"    organization: Lifespan Lab\n    scope_requests: [omh:blood-pressure:4.0]\n{listed}",
    )


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def act_as(client_id: str) -> None:
        monkeypatch.setenv("JHE_CLIENT_ID", client_id)
        monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)

    return act_as


@pytest.mark.parametrize("patient", [PETER_IDENTIFIER, PETER], ids=["identifier", "email"])
def test_a_caller_without_a_role_is_told_so_before_anything_about_a_patient(
    jhe: Callable[..., Run],
    local: str,
    tmp_path: Path,
    as_user: Callable[[str], None],
    patient: str,
) -> None:
    as_user("manager_mark")

    run = jhe("plan", _spec(tmp_path, patient), "--url", local)

    assert run.code == 1
    assert (
        'the caller (manager_mark@example.com) has no role in organization "Lifespan Lab" '
        "(20003): the exchange shows an organization's patients and its studies' enrollments "
        "only to its practitioners"
    ) in run.err
    assert "ask a manager of the organization for a role" in run.err
    assert "create the patient" not in run.err
    assert "no patient with" not in run.err


def test_an_identifier_nobody_has_is_never_advice_to_create_the_patient(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    unknown = "{identifier: {system: 'urn:oid:1.2.3.4', value: NOBODY}}"

    run = jhe("plan", _spec(tmp_path, unknown), "--url", local)

    assert run.code == 1
    assert "no patient with identifier urn:oid:1.2.3.4|NOBODY was found" in run.err
    assert "the patient may exist where the caller has no role" in run.err
    assert "rather than create them again" in run.err


def test_the_superuser_plans_and_applies_a_spec_without_patients(
    jhe: Callable[..., Run], local: str, tmp_path: Path, as_user: Callable[[str], None]
) -> None:
    as_user("admin")
    spec = _spec(tmp_path, None)

    planned = jhe("plan", spec, "--url", local, "--detailed-exitcode")
    applied = jhe("apply", spec, "--url", local, "--auto-approve")

    assert planned.code == 2, planned.err
    assert '+ create study "BP"' in planned.out
    assert applied.code == 0, applied.err
    assert jhe("plan", spec, "--url", local, "--detailed-exitcode").code == 0


def test_the_superuser_is_told_why_it_cannot_plan_patients_it_cannot_see(
    jhe: Callable[..., Run], local: str, tmp_path: Path, as_user: Callable[[str], None]
) -> None:
    as_user("admin")

    run = jhe("plan", _spec(tmp_path, PETER), "--url", local)

    assert run.code == 1
    assert (
        "the caller (admin@example.com) is a superuser but not a practitioner of "
        'organization "Lifespan Lab" (20003)'
    ) in run.err
    assert "leave patients out of this entry for this caller" in run.err
    assert "enroll" not in run.out
