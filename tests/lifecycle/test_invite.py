"""invite: one invitation request per patient, failures per patient, links shown on request.

Seeded: study 30002 has one client (CareX, id 1), study 30001 two (CareX and Patient
Access, id 3); Peter (40001) and Pamela (40002) are enrolled in both.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from jhe_sync.errors import ConfigError
from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle.invite import invite_patients
from jhe_sync.lifecycle.render_invite import render_invites
from jhe_sync.spec.models import Desired

from .conftest import PAMELA, PETER, requests, spec_text

Connect = Callable[..., Exchange]
INVITATION = "/api/v1/invitation"

SPEC = """
version: 1
studies:
  - key: bp
    id: 30002
    name: Lifespan Study on BP
    description: Blood Pressure
    organization: Lifespan Lab
    patients:
      - key: peter
        email: ll_patient_peter@example.com
      - ll_patient_pamela@example.com
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood Pressure & Heart Rate
    organization: Lifespan Lab
  - key: glucose
    name: Glucose Pilot
    description: Not applied yet.
    organization: Lifespan Lab
"""


@pytest.fixture
def desired() -> Desired:
    return spec_text(SPEC)


# -- one request per patient -------------------------------------------------------------


def test_every_enrolled_patient_gets_exactly_one_invitation_request(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    results = invite_patients(connect(emulator), desired, "bp")
    assert [(r.patient, r.ok) for r in results] == [("peter", True), (PAMELA, True)]
    assert requests(emulator, "POST", INVITATION) == 2


def test_the_request_names_the_patient_the_client_and_whether_to_email(
    emulator: Any, connect: Connect, desired: Desired, scripted: Any
) -> None:
    app = scripted(emulator)
    invite_patients(connect(app), desired, "bp", patients=["peter"], send_email=True)
    [sent] = app.requests("POST", INVITATION)
    assert sent.body == {"patient_id": 40001, "client_id": 1, "send_email": True}


def test_chosen_patients_are_found_by_label_email_or_id(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    results = invite_patients(
        connect(emulator), desired, "bp-hr", client="CareX", patients=[PAMELA, "#40001", "40002"]
    )
    assert [(r.patient_id, r.ok) for r in results] == [(40002, True), (40001, True)]
    assert requests(emulator, "POST", INVITATION) == 2


def test_each_result_holds_the_link_and_the_invitation(
    exchange: Exchange, desired: Desired
) -> None:
    [result] = invite_patients(exchange, desired, "bp", patients=["peter"])
    assert result.invitation_id is not None
    assert result.link is not None and result.link.startswith("https://carex.ai/invitation/")


# -- failures, one patient at a time ------------------------------------------------------


def test_a_failed_invitation_is_that_patients_result_and_the_rest_are_invited(
    emulator: Any, connect: Connect, desired: Desired, scripted: Any
) -> None:
    app = scripted(emulator).fail("POST", INVITATION, "before_commit", status=500)
    results = invite_patients(connect(app), desired, "bp", parallelism=1)
    assert [(r.patient, r.ok) for r in results] == [("peter", False), (PAMELA, True)]
    assert "500" in results[0].reason
    assert len(app.requests("POST", INVITATION)) == 2


def test_a_patient_who_is_not_enrolled_fails_without_a_request(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    results = invite_patients(connect(emulator), desired, "bp", patients=["#999999", "peter"])
    assert [(r.patient, r.ok) for r in results] == [("#999999", False), ("peter", True)]
    assert "not enrolled" in results[0].reason
    assert requests(emulator, "POST", INVITATION) == 1


def test_a_reference_that_names_nobody_fails_without_a_request(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    [result] = invite_patients(connect(emulator), desired, "bp", patients=["somebody"])
    assert not result.ok
    assert requests(emulator, "POST", INVITATION) == 0


def test_a_patient_named_twice_is_invited_once(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    invite_patients(connect(emulator), desired, "bp", patients=["peter", PETER, "#40001"])
    assert requests(emulator, "POST", INVITATION) == 1


# -- choosing the client --------------------------------------------------------------------


def test_a_study_with_several_clients_needs_one_chosen(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    with pytest.raises(ConfigError, match=r"CareX \(id 1\), Patient Access \(id 3\)"):
        invite_patients(connect(emulator), desired, "bp-hr")
    assert requests(emulator, "POST", INVITATION) == 0


def test_a_client_that_is_not_the_studys_is_refused(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    with pytest.raises(ConfigError, match="CommonHealth"):
        invite_patients(connect(emulator), desired, "bp-hr", client="CommonHealth")
    assert requests(emulator, "POST", INVITATION) == 0


def test_a_client_may_be_chosen_by_id(exchange: Exchange, desired: Desired) -> None:
    results = invite_patients(exchange, desired, "bp-hr", client="3", patients=["#40001"])
    assert [(r.client, r.client_id) for r in results] == [("Patient Access", 3)]


# -- studies that cannot be invited to -------------------------------------------------------


def test_a_study_key_not_in_the_spec_is_refused(exchange: Exchange, desired: Desired) -> None:
    with pytest.raises(ConfigError, match="known: bp, bp-hr, glucose"):
        invite_patients(exchange, desired, "nope")


def test_a_study_not_on_the_exchange_is_refused(exchange: Exchange, desired: Desired) -> None:
    with pytest.raises(ConfigError, match="apply the spec first"):
        invite_patients(exchange, desired, "glucose")


# -- what is shown ----------------------------------------------------------------------------


def test_links_are_not_shown_unless_asked(exchange: Exchange, desired: Desired) -> None:
    results = invite_patients(exchange, desired, "bp")
    hidden, shown = io.StringIO(), io.StringIO()
    render_invites(results, hidden)
    render_invites(results, shown, show_links=True)
    links = [r.link for r in results if r.link]
    assert len(links) == 2
    assert not any(link in hidden.getvalue() for link in links)
    assert all(link in shown.getvalue() for link in links)


def test_a_result_never_shows_its_link_in_its_text_repr_or_dict(
    exchange: Exchange, desired: Desired
) -> None:
    [result] = invite_patients(exchange, desired, "bp", patients=["peter"])
    assert result.link is not None
    assert result.link not in f"{result} {result!r} {result.to_dict()}"


def test_the_text_says_per_patient_that_the_new_link_replaces_the_earlier_one(
    exchange: Exchange, desired: Desired
) -> None:
    stream = io.StringIO()
    render_invites(invite_patients(exchange, desired, "bp"), stream)
    replaced = [line for line in stream.getvalue().splitlines() if "replaces any earlier" in line]
    assert [line.split()[1] for line in replaced] == ["peter:", f"{PAMELA}:"]
    assert all("link for CareX not yet used, which no longer works" in line for line in replaced)


def test_an_invite_reads_five_times_then_writes_once_per_patient(
    emulator: Any, connect: Connect, desired: Desired
) -> None:
    invite_patients(connect(emulator), desired, "bp")
    api_requests = [r for r in emulator.request_log if r.path != "/o/token/"]
    assert len(api_requests) == 5 + 2
