"""Organization changes through faults: read back before any resend, no organization
created twice, a failed create skipping what needs it."""

from __future__ import annotations

from typing import Any

import pytest

from jhe_sync.apply import Outcome, apply_plan
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.read import read_child_organizations, read_organization_roles, read_patient
from jhe_sync.spec.models import Desired, OrganizationSettings, PatientRef

from .helpers import ALLOW_ALL, DEFAULT, PETER, plan_for, study, writes

LIFESPAN = 20003


def sleep_lab(**fields: Any) -> OrganizationSettings:
    return OrganizationSettings(
        organization="Sleep Lab", part_of="Lifespan Lab", type="laboratory", **fields
    )


def spec(*organizations: OrganizationSettings, studies: Any = ()) -> Desired:
    return Desired(organizations=list(organizations), studies=list(studies))


def children_named(exchange: Exchange, name: str) -> list[int]:
    return [o.id for o in read_child_organizations(exchange, LIFESPAN).values() if o.name == name]


@pytest.mark.parametrize("kind", ["after_commit", "drop_after_commit"])
def test_an_organization_create_that_committed_despite_the_fault_is_adopted_not_repeated(
    emulator: Any, scripted: Any, connect: Any, kind: str
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/organizations", kind)
    exchange = connect(app)
    wanted = spec(sleep_lab(practitioners={"manager_mary@example.com": "manager"}))

    result = apply_plan(exchange, plan_for(exchange, wanted), DEFAULT)

    assert result.ok, result.summary()
    (create,) = result.results
    assert "adopted organization" in create.reason
    assert len(children_named(exchange, "Sleep Lab")) == 1
    assert [w.path for w in writes(app)].count("/api/v1/organizations") == 1


def test_a_failed_organization_create_skips_its_roles_members_and_studies(
    emulator: Any, scripted: Any, connect: Any
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/organizations", "before_commit", status=400)
    exchange = connect(app)
    wanted = spec(
        sleep_lab(
            practitioners={
                "manager_mary@example.com": "manager",
                "member_megan@example.com": "member",
            },
            patients=[PETER],
        ),
        studies=[
            study("sleep", "Sleep", organization="Sleep Lab", patients=[PatientRef(email=PETER)])
        ],
    )

    result = apply_plan(exchange, plan_for(exchange, wanted), DEFAULT)

    outcomes = [(r.change.kind.value, r.outcome) for r in result.results]
    assert outcomes[0] == ("create_organization", Outcome.FAILED)
    assert all(outcome is Outcome.SKIPPED for _, outcome in outcomes[1:])
    assert [w.path for w in writes(app)] == ["/api/v1/organizations"]


@pytest.mark.parametrize(
    ("method", "path", "fields", "check"),
    [
        (
            "POST",
            "/api/v1/organizations/20003/user",
            {
                "practitioners": {
                    "manager_mary@example.com": "manager",
                    "member_megan@example.com": "member",
                    "viewer_victor@example.com": "member",
                    "three_org_tom@example.com": "viewer",
                }
            },
            lambda exchange: (
                {r.user_id: r.role for r in read_organization_roles(exchange, LIFESPAN)}[10004]
                == "member"
            ),
        ),
        (
            "PATCH",
            "/api/v1/patients/40003/global_add_organization",
            {"patients": [PETER, "ll_patient_pamela@example.com", "npl_patient_percy@example.com"]},
            lambda exchange: LIFESPAN in read_patient(exchange, 40003).organization_ids,
        ),
    ],
    ids=["role", "membership"],
)
def test_a_role_or_membership_change_lost_after_commit_is_read_back_not_resent(
    emulator: Any, scripted: Any, connect: Any, method: str, path: str, fields: Any, check: Any
) -> None:
    app = scripted(emulator).fail(method, path, "after_commit")
    exchange = connect(app)
    wanted = spec(OrganizationSettings(organization="Lifespan Lab", **fields))

    result = apply_plan(exchange, plan_for(exchange, wanted), DEFAULT)

    assert result.ok, result.summary()
    assert result.results[0].reason == "confirmed by reading back after an error"
    assert [w.path for w in writes(app)].count(path) == 1
    assert check(exchange)


def test_deleting_an_organization_whose_answer_was_lost_is_confirmed_by_its_absence(
    emulator: Any, scripted: Any, connect: Any
) -> None:
    exchange = connect(emulator)
    assert apply_plan(exchange, plan_for(exchange, spec(sleep_lab())), DEFAULT).ok
    (sleep,) = children_named(exchange, "Sleep Lab")
    app = scripted(emulator).fail("DELETE", f"/api/v1/organizations/{sleep}", "drop_after_commit")
    exchange = connect(app)

    result = apply_plan(exchange, plan_for(exchange, spec(sleep_lab(state="absent"))), ALLOW_ALL)

    assert result.ok, result.summary()
    assert children_named(exchange, "Sleep Lab") == []
