"""Each safeguard refuses the whole plan before the first request: nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apply.helpers import desired, plan_for, study
from jhe_sync.apply import apply_plan
from jhe_sync.errors import EXIT_REFUSED, SafetyRefusal
from jhe_sync.exchange.client import Exchange
from jhe_sync.plan.change import Change, PatientTarget
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.resources import ChangeKind
from jhe_sync.spec.models import OrganizationSettings, PatientRef

Connect = Callable[..., Exchange]

DROP_CAREX = desired(study("bp", "Lifespan Study on BP", data_sources=["Questionnaire"]))
"""Study 30002 links CareX and Questionnaire: this spec removes CareX."""


def _refused(app: Any, exchange: Exchange, plan: Plan, policy: SafetyPolicy) -> SafetyRefusal:
    app.seen.clear()
    with pytest.raises(SafetyRefusal) as raised:
        apply_plan(exchange, plan, policy)
    assert app.seen == [], "a refused plan must not send a single request"
    assert raised.value.exit_code == EXIT_REFUSED
    return raised.value


def test_a_destructive_change_is_refused_without_allow_destroy(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    refusal = _refused(app, exchange, plan_for(exchange, DROP_CAREX), SafetyPolicy())
    assert "--allow-destroy bp" in str(refusal)


def test_allow_destroy_for_another_study_does_not_allow_this_one(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    policy = SafetyPolicy(allow_destroy_keys=frozenset({"other"}))
    _refused(app, exchange, plan_for(exchange, DROP_CAREX), policy)


def test_allow_destroy_for_this_study_lets_it_through(emulator: Any, connect: Connect) -> None:
    exchange = connect(emulator)
    policy = SafetyPolicy(allow_destroy_keys=frozenset({"bp"}))
    assert apply_plan(exchange, plan_for(exchange, DROP_CAREX), policy).ok


def test_a_protected_study_loses_no_link_whatever_the_flags(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    spec = desired(
        study("bp", "Lifespan Study on BP", data_sources=["Questionnaire"], protect=True)
    )
    policy = SafetyPolicy(allow_destroy_all=True, ignore_threshold=True)
    refusal = _refused(app, exchange, plan_for(exchange, spec), policy)
    assert "protect" in str(refusal)


def test_a_protected_study_is_never_deleted(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    delete = Change(ChangeKind.DELETE_STUDY, "bp", 20003, study_id=30002, name="x", protected=True)
    _refused(app, exchange, Plan(changes=(delete,)), SafetyPolicy(allow_destroy_all=True))


def test_a_plan_that_destroys_more_than_the_threshold_is_refused(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    spec = desired(study("bp", "Lifespan Study on BP"))
    spec = spec.model_copy(
        update={"organizations": [OrganizationSettings(organization="Lifespan Lab", prune=True)]}
    )
    plan = plan_for(exchange, spec)
    assert plan.destructive_changes()
    refusal = _refused(app, exchange, plan, SafetyPolicy(allow_destroy_all=True, max_destroy=0))
    assert "--max-destroy" in str(refusal)


def test_unenrolling_a_consented_patient_names_that_patient(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    unenroll = Change(
        ChangeKind.UNENROLL,
        "bp-hr",
        20003,
        study_id=30001,
        patients=(PatientTarget(40002, "ll_patient_pamela@example.com", consented=True),),
    )
    refusal = _refused(app, exchange, Plan(changes=(unenroll,)), SafetyPolicy())
    assert "ll_patient_pamela@example.com (#40002)" in str(refusal)


def test_every_blocked_change_is_listed_at_once(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    spec = desired(
        study("bp", "Lifespan Study on BP", data_sources=[], patients=[PatientRef(id=40001)])
    )
    refusal = _refused(app, exchange, plan_for(exchange, spec), SafetyPolicy())
    assert len(refusal.reasons) == 3  # two data sources, one unenrollment
