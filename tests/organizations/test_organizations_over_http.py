"""Issue 17's "Done when", each a test: the CLI against the emulator over HTTP, as
manager_mary (a manager of Lifespan Lab, where member_megan is a member and
viewer_victor and three_org_tom are viewers; patients ll_patient_peter and
ll_patient_pamela)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from apply.served import Served
from reliability.conftest import Run

from jhe_sync.errors import EXIT_OK, EXIT_REFUSED

from .conftest import writes

Jhe = Callable[..., Run]
Spec = Callable[[str], Path]

LIFESPAN_AS_SEEDED = """\
organizations:
  - organization: Lifespan Lab
    practitioners:
      manager_mary@example.com: manager
      member_megan@example.com: {megan}
      viewer_victor@example.com: {victor}
      three_org_tom@example.com: viewer
"""

SLEEP_LAB = """\
organizations:
  - organization: Sleep Lab
    part_of: Lifespan Lab
    type: laboratory
"""


def lifespan(megan: str = "member", victor: str = "viewer") -> str:
    return LIFESPAN_AS_SEEDED.format(megan=megan, victor=victor)


def plan_is_empty(jhe: Jhe, path: Path) -> bool:
    run = jhe("plan", path, "--detailed-exitcode")
    assert run.code in (0, 2, EXIT_REFUSED), run.output
    return run.code == 0


def test_a_new_sub_organization_with_three_roles_is_three_writes_and_then_no_changes(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path
) -> None:
    path = spec(
        SLEEP_LAB
        + """\
    practitioners:
      manager_mary@example.com: manager
      member_megan@example.com: member
      viewer_victor@example.com: viewer
"""
    )

    run = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert run.code == EXIT_OK, run.output
    assert [(w["change"], w["outcome"]) for w in writes(journal)] == [
        ("create_organization", "ok"),
        ("grant_role", "ok"),
        ("grant_role", "ok"),
    ]
    assert plan_is_empty(jhe, path)


def test_a_viewer_raised_to_member_needs_no_flag(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path
) -> None:
    path = spec(lifespan(victor="member"))

    run = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert run.code == EXIT_OK, run.output
    assert [w["change"] for w in writes(journal)] == ["raise_role"]
    assert plan_is_empty(jhe, path)


def test_lowering_and_removing_roles_are_refused_without_allow_destroy_and_applied_with_it(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path
) -> None:
    path = spec(lifespan(megan="viewer").replace("      viewer_victor@example.com: viewer\n", ""))

    refused = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert refused.code == EXIT_REFUSED, refused.output
    assert "lower member_megan@example.com (user 10003) from member to viewer" in refused.output
    assert "remove the viewer role of viewer_victor@example.com" in refused.output
    assert writes(journal) == []
    applied = jhe("apply", path, "--auto-approve", "--allow-destroy", "lifespan-lab")
    assert applied.code == EXIT_OK, applied.output
    assert plan_is_empty(jhe, path)


def test_taking_the_manager_role_from_the_caller_is_refused_even_with_allow_destroy(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path
) -> None:
    path = spec(
        lifespan().replace("manager_mary@example.com: manager", "manager_mary@example.com: member")
    )

    run = jhe("apply", path, "--auto-approve", "--allow-destroy", "--journal", journal)

    assert run.code == EXIT_REFUSED, run.output
    assert "takes the manager role from the identity applying this plan" in run.output
    assert writes(journal) == []
    assert not plan_is_empty(jhe, path)


def test_a_plan_leaving_an_organization_without_a_manager_is_refused_even_with_allow_destroy(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path
) -> None:
    # Megan becomes a second manager: then lowering her leaves mary's manager role ...
    assert jhe("apply", spec(lifespan(megan="manager")), "--auto-approve").code == EXIT_OK
    # ... unless mary's goes too: nobody but a superuser could grant a role there again.
    path = spec(
        lifespan().replace("manager_mary@example.com: manager", "manager_mary@example.com: member")
    )

    run = jhe("apply", path, "--auto-approve", "--allow-destroy", "--journal", journal)

    assert run.code == EXIT_REFUSED, run.output
    megan = next(
        line for line in run.output.splitlines() if "member_megan" in line and " - " in line
    )
    assert "it leaves the organization without a manager" in megan
    assert "identity applying" not in megan
    assert writes(journal) == []


def test_a_patient_joins_a_new_organization_and_its_new_study_in_one_apply(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path, exchange: httpx.Client
) -> None:
    path = spec(sleep_lab_with_peter())

    run = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert run.code == EXIT_OK, run.output
    assert [w["change"] for w in writes(journal)] == [
        "create_organization",
        "add_patient_membership",
        "create_study",
        "enroll_patients",
    ]
    assert plan_is_empty(jhe, path)
    assert sorted(o["name"] for o in patient(exchange, 40001)["organizations"]) == [
        "Lifespan Lab",
        "Sleep Lab",
    ]


def test_removing_that_patient_is_refused_then_applied_and_keeps_their_other_organization(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path, exchange: httpx.Client
) -> None:
    assert jhe("apply", spec(sleep_lab_with_peter()), "--auto-approve").code == EXIT_OK
    path = spec(sleep_lab_with_peter(patients="[]"))

    refused = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert refused.code == EXIT_REFUSED, refused.output
    # The spec no longer lists peter: the plan names him by id.
    assert "remove patient #40001" in refused.output
    assert writes(journal) == []
    applied = jhe("apply", path, "--auto-approve", "--allow-destroy")
    assert applied.code == EXIT_OK, applied.output
    assert [o["name"] for o in patient(exchange, 40001)["organizations"]] == ["Lifespan Lab"]
    assert plan_is_empty(jhe, path)


def test_deleting_an_organization_with_a_study_is_refused_names_the_study_and_then_deletes_it(
    jhe: Jhe, mary: Served, spec: Spec, journal: Path, exchange: httpx.Client
) -> None:
    assert jhe("apply", spec(sleep_lab_with_peter()), "--auto-approve").code == EXIT_OK
    (sleep_lab,) = [o for o in organizations(exchange) if o["name"] == "Sleep Lab"]
    path = spec(SLEEP_LAB + "    state: absent\n")

    planned = jhe("plan", path)
    refused = jhe("apply", path, "--auto-approve", "--journal", journal)

    assert f'delete organization "Sleep Lab" (id {sleep_lab["id"]})' in planned.out
    assert 'deletes study "Sleep Study"' in planned.out
    assert "1 enrolled patient" in planned.out
    assert refused.code == EXIT_REFUSED, refused.output
    assert writes(journal) == []
    applied = jhe("apply", path, "--auto-approve", "--allow-destroy", "sleep-lab")
    assert applied.code == EXIT_OK, applied.output
    assert exchange.get(f"/api/v1/organizations/{sleep_lab['id']}").status_code == 404
    assert plan_is_empty(jhe, path)


def test_the_organizations_example_applies_in_seven_writes_and_then_plans_no_changes(
    jhe: Jhe, mary: Served, journal: Path
) -> None:
    example = Path(__file__).parents[2] / "examples" / "organizations"

    run = jhe("apply", example, "--auto-approve", "--journal", journal)

    assert run.code == EXIT_OK, run.output
    assert len(writes(journal)) == 7
    assert plan_is_empty(jhe, example)


def test_export_of_an_organization_writes_its_roles_and_patients_and_plans_no_changes(
    jhe: Jhe, mary: Served, spec: Spec, tmp_path: Path
) -> None:
    assert jhe("apply", spec(sleep_lab_with_peter()), "--auto-approve").code == EXIT_OK
    out = tmp_path / "exported"

    run = jhe(
        "export", "--organization", "Lifespan Lab", "--organization", "Sleep Lab", "--out", out
    )

    assert run.code == EXIT_OK, run.output
    lifespan = (out / "lifespan-lab.yaml").read_text(encoding="utf-8")
    assert "  - organization: Lifespan Lab\n    practitioners:\n" in lifespan
    assert "      viewer_victor@example.com: viewer\n" in lifespan
    assert "      - ll_patient_pamela@example.com\n" in lifespan
    assert "organization: Sleep Lab" in (out / "sleep-lab.yaml").read_text(encoding="utf-8")
    assert plan_is_empty(jhe, out)


def test_export_of_an_organization_without_patients_leaves_its_members_unmanaged(
    jhe: Jhe, mary: Served, tmp_path: Path
) -> None:
    out = tmp_path / "exported"

    run = jhe("export", "--organization", "Lifespan Lab", "--no-patients", "--out", out)

    assert run.code == EXIT_OK, run.output
    text = (out / "lifespan-lab.yaml").read_text(encoding="utf-8")
    assert "\n    practitioners:\n" in text
    assert "\n    patients:" not in text  # neither the organization's nor its studies'
    assert "ll_patient" not in text
    assert plan_is_empty(jhe, out)


def test_a_saved_organization_plan_applies_and_one_made_stale_by_a_role_change_says_what_changed(
    jhe: Jhe, mary: Served, spec: Spec, tmp_path: Path, exchange: httpx.Client
) -> None:
    path = spec(lifespan(victor="member"))
    saved, later = tmp_path / "plan.json", tmp_path / "later.json"
    assert jhe("plan", path, "--out", saved).code == EXIT_OK
    assert jhe("plan", spec(lifespan(megan="viewer")), "--out", later).code == EXIT_OK

    applied = jhe("apply", "--plan", saved, "--auto-approve")
    stale = jhe("apply", "--plan", later, "--auto-approve", "--allow-destroy")

    assert applied.code == EXIT_OK, applied.output
    assert stale.code == EXIT_REFUSED, stale.output
    assert "organization 20003: user 10004 viewer -> member" in stale.err
    megan = next(
        u for u in exchange.get("/api/v1/organizations/20003/users").json() if u["id"] == 10003
    )
    assert megan["role"] == "member"


# -- helpers -------------------------------------------------------------------------------


def sleep_lab_with_peter(patients: str = "[ll_patient_peter@example.com]") -> str:
    return (
        SLEEP_LAB
        + f"""\
    patients: {patients}
studies:
  - key: sleep-study
    name: Sleep Study
    description: Sleep at home.
    organization: Sleep Lab
    patients: {patients}
"""
    )


def patient(exchange: httpx.Client, patient_id: int) -> dict:
    answer = exchange.get(f"/api/v1/patients/{patient_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def organizations(exchange: httpx.Client) -> list[dict]:
    answer = exchange.get("/api/v1/organizations", params={"page_size": 1000})
    return list(answer.json()["results"])
