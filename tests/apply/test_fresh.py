"""A saved plan is applied only if what it read is unchanged; a stale one writes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from apply.helpers import HYPERTENSION, desired, plan_for, study, writes
from jhe_sync.apply import check_fresh
from jhe_sync.errors import ForeignPlanError, StalePlanError, TamperedPlanError
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.settings import normalized_url
from jhe_sync.local import open_exchange
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.serialize import load_plan, save_plan

Connect = Callable[..., Exchange]

MANAGED = desired(
    study("bp-hr", "Lifespan Study on BP & HR", scope_requests=["omh:blood-pressure:4.0"]),
    study("bp", "Lifespan Study on BP"),
)


def _saved(plan: Plan) -> Plan:
    """The plan as apply --plan reads it back from the file."""
    stream = io.StringIO()
    save_plan(plan, stream)
    stream.seek(0)
    return load_plan(stream)


def test_an_unchanged_exchange_passes(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = _saved(plan_for(exchange, MANAGED))
    assert {"study:30001", "study:30002", "organization:20003"} <= set(plan.fingerprints)
    check_fresh(exchange, plan)
    assert writes(app) == []


def test_a_study_changed_since_the_plan_is_stale(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("PATCH", "/api/v1/studies/30002", {"description": "Changed by someone"})
    with pytest.raises(StalePlanError) as raised:
        check_fresh(exchange, plan)
    assert str(raised.value) == (
        "the plan is stale: study 30002 changed since it was planned; plan again\n"
        '  study 30002: description "Blood Pressure" -> "Changed by someone"'
    )


def test_a_study_renamed_since_the_plan_changes_its_organizations_listing_too(
    exchange: Exchange,
) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("PATCH", "/api/v1/studies/30002", {"name": "Renamed by someone"})
    with pytest.raises(StalePlanError, match="study 30002 and organization 20003 changed"):
        check_fresh(exchange, plan)


def test_a_link_added_since_the_plan_is_stale(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("POST", "/api/v1/studies/30001/scope_requests", {"scope_code_id": 50001})
    with pytest.raises(StalePlanError, match="study 30001"):
        check_fresh(exchange, plan)


def test_a_change_to_a_link_set_the_plan_did_not_read_does_not_make_it_stale(
    exchange: Exchange,
) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("POST", "/api/v1/studies/30001/data_sources", {"data_source_id": 70002})
    check_fresh(exchange, plan)


def test_a_study_deleted_since_the_plan_is_stale(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("DELETE", "/api/v1/studies/30002")
    with pytest.raises(StalePlanError, match="study 30002"):
        check_fresh(exchange, plan)


def test_a_study_created_in_a_managed_organization_since_the_plan_is_stale(
    exchange: Exchange,
) -> None:
    plan = _saved(plan_for(exchange, HYPERTENSION))
    exchange.write(
        "POST",
        "/api/v1/studies",
        {"name": "Hypertension Management Study", "description": "d", "organization": 20003},
    )
    with pytest.raises(StalePlanError, match="organization 20003"):
        check_fresh(exchange, plan)


def test_every_changed_object_is_named(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    exchange.write("PATCH", "/api/v1/studies/30001", {"description": "x"})
    exchange.write("DELETE", "/api/v1/studies/30002")
    with pytest.raises(StalePlanError, match="studies 30001, 30002 and organization 20003 changed"):
        check_fresh(exchange, plan)


def test_an_edited_saved_plan_is_refused(exchange: Exchange) -> None:
    stream = io.StringIO()
    save_plan(plan_for(exchange, HYPERTENSION), stream)
    edited = io.StringIO(stream.getvalue().replace("Hypertension Management Study", "Other Study"))
    with pytest.raises(TamperedPlanError):
        load_plan(edited)


def test_a_plan_that_changes_a_study_it_holds_no_fingerprint_of_is_refused(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = _saved(plan_for(exchange, MANAGED))
    assert plan.changes, "the managed spec changes study 30001"
    del plan.fingerprints["study:30001"]
    with pytest.raises(StalePlanError, match="changes study 30001 without a fingerprint"):
        check_fresh(exchange, plan)
    assert writes(app) == []


def test_a_plan_made_for_another_exchange_is_refused_before_any_request(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    plan = replace(_saved(plan_for(exchange, MANAGED)), exchange="https://staging.example.org")
    app.seen.clear()
    with pytest.raises(ForeignPlanError) as raised:
        check_fresh(exchange, plan)
    assert str(raised.value).startswith(
        f"the saved plan was made for https://staging.example.org, and this is {exchange.name};"
    )
    assert raised.value.exit_code == 3
    assert app.seen == []


def test_a_plan_that_names_no_exchange_is_refused(exchange: Exchange) -> None:
    plan = replace(_saved(plan_for(exchange, MANAGED)), exchange="")
    with pytest.raises(ForeignPlanError, match="does not say which exchange"):
        check_fresh(exchange, plan)


def test_a_plan_remembers_the_exchange_and_the_user_it_was_made_as(exchange: Exchange) -> None:
    plan = _saved(plan_for(exchange, MANAGED))
    assert (plan.exchange, plan.planned_as) == (exchange.name, "manager_mary@example.com")


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://JHE.Example.org:443/", "https://jhe.example.org"),
        ("https://jhe.example.org:8443/jhe/", "https://jhe.example.org:8443/jhe"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_an_exchange_is_named_by_its_normalised_url(url: str, normal: str) -> None:
    assert normalized_url(url) == normal


def test_an_emulator_in_process_is_named_by_its_database_file(tmp_path: Any) -> None:
    db = tmp_path / "exchange.db"
    with open_exchange(url=f"local:{db}") as exchange:
        assert exchange.name == f"local:{db.resolve()}"
