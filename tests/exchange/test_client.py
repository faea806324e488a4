"""The one request path: pagination, retries of reads, writes sent once, tokens, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jhe_sync.errors import (
    AuthError,
    JheSyncError,
    NotFound,
    PermissionDenied,
    ServerError,
    TransportError,
)
from jhe_sync.exchange.client import Exchange, RetryPolicy

Connect = Callable[..., Exchange]
PROFILE = "/api/v1/users/profile"


# -- pagination ----------------------------------------------------------------------


def test_every_page_of_a_list_is_read(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    exchange = connect(app, page_size=2)
    organizations = exchange.get_all("/api/v1/organizations")
    assert len({o["id"] for o in organizations}) == len(organizations) == 9
    assert len(app.requests("GET", "/api/v1/organizations")) == 5


def test_lists_are_asked_for_in_pages_of_the_largest_size_the_server_allows(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    connect(app).get_all("/api/v1/studies", {"organization_id": 20003})
    [seen] = app.requests("GET", "/api/v1/studies")
    assert "page_size=1000" in seen.query


def test_a_bare_array_is_taken_as_the_whole_list(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    scopes = connect(app).get_all("/api/v1/data_sources/all_scopes")
    assert len(scopes) == 16
    assert len(app.requests("GET", "/api/v1/data_sources/all_scopes")) == 1


def test_a_paginated_study_sub_resource_is_read_to_the_end(emulator: Any, connect: Connect) -> None:
    exchange = connect(emulator, page_size=1)
    enrolled = exchange.get_all("/api/v1/studies/30001/patients")
    assert sorted(p["id"] for p in enrolled) == [40001, 40002]


# -- retries of reads ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "before_commit", "status": 500},
        {"kind": "before_commit", "status": 503},
        {"kind": "drop"},
        {"kind": "rate_limit", "retry_after": None},
    ],
    ids=["500", "503", "dropped-connection", "429-without-retry-after"],
)
def test_a_read_that_fails_transiently_is_retried_after_a_backoff(
    emulator: Any, scripted: Any, connect: Connect, sleeps: list[float], fault: dict[str, Any]
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, times=2, **fault)
    assert connect(app).get(PROFILE)["email"] == "manager_mary@example.com"
    assert len(app.requests("GET", PROFILE)) == 3
    assert len(sleeps) == 2 and all(delay > 0 for delay in sleeps)


def test_backoff_grows_exponentially_with_jitter(
    emulator: Any, scripted: Any, connect: Connect, sleeps: list[float]
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "before_commit", times=3)
    connect(app, retry=RetryPolicy(attempts=4, backoff=1.0), jitter=lambda: 1.0).get(PROFILE)
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_read_answered_429_waits_as_long_as_retry_after_says(
    emulator: Any, scripted: Any, connect: Connect, sleeps: list[float]
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "rate_limit", retry_after=7)
    connect(app).get(PROFILE)
    assert sleeps == [7.0]


def test_a_retry_after_beyond_the_cap_waits_only_the_cap(
    emulator: Any, scripted: Any, connect: Connect, sleeps: list[float]
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "rate_limit", retry_after=86400)
    connect(app, retry=RetryPolicy(max_retry_after=30)).get(PROFILE)
    assert sleeps == [30.0]


def test_a_read_that_keeps_failing_gives_up_after_the_bounded_attempts(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "before_commit", status=502, times=99)
    with pytest.raises(ServerError) as raised:
        connect(app, retry=RetryPolicy(attempts=3)).get(PROFILE)
    assert raised.value.status == 502
    assert len(app.requests("GET", PROFILE)) == 3


def test_a_connection_that_keeps_dropping_is_a_transport_error(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "drop", times=99)
    with pytest.raises(TransportError, match="dropped"):
        connect(app, retry=RetryPolicy(attempts=2)).get(PROFILE)


# -- writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["before_commit", "after_commit", "drop", "rate_limit"])
def test_a_write_is_sent_once_whatever_its_failure(
    emulator: Any, scripted: Any, connect: Connect, kind: str
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies/30001/scope_requests", kind)
    with pytest.raises(JheSyncError):
        connect(app).write("POST", "/api/v1/studies/30001/scope_requests", {"scope_code_id": 50001})
    assert len(app.requests("POST", "/api/v1/studies/30001/scope_requests")) == 1


def test_a_write_returns_the_status_and_the_decoded_answer(exchange: Exchange) -> None:
    reply = exchange.write(
        "POST", "/api/v1/studies", {"name": "N", "description": "D", "organization": 20003}
    )
    assert reply.status == 201
    assert reply.data["organization"] == 20003


def test_a_write_answered_with_an_empty_body_returns_none(exchange: Exchange) -> None:
    reply = exchange.write("POST", "/api/v1/studies/30002/data_sources", {"data_source_id": 70002})
    assert (reply.status, reply.data) == (201, None)


# -- tokens ----------------------------------------------------------------------------


def test_no_request_is_made_until_one_is_needed(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    connect(app)
    assert app.seen == []


def test_the_token_comes_from_client_credentials_in_basic_auth_form_encoded(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    connect(app).get(PROFILE)
    [token_request] = app.requests("POST", "/o/token/")
    assert token_request.body == "grant_type=client_credentials"


def test_a_token_refused_mid_run_is_replaced_once_and_the_read_goes_on(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app)
    exchange.get(PROFILE)
    app.fail("GET", "/api/v1/organizations", "unauthorized")
    assert len(exchange.get_all("/api/v1/organizations")) == 9
    assert len(app.requests("POST", "/o/token/")) == 2


def test_a_refused_write_is_sent_again_with_a_fresh_token(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("POST", "/api/v1/studies/30002/data_sources", "unauthorized")
    connect(app).write("POST", "/api/v1/studies/30002/data_sources", {"data_source_id": 70002})
    assert len(app.requests("POST", "/api/v1/studies/30002/data_sources")) == 2


def test_an_expired_token_given_with_client_credentials_is_replaced(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    exchange = connect(app, token=emulator.issue_token("manager_mary", expires_in=-1))
    assert exchange.get(PROFILE)["email"] == "manager_mary@example.com"
    assert [s.path for s in app.seen] == [PROFILE, "/o/token/", PROFILE]


def test_a_refused_token_without_client_credentials_says_what_to_do(emulator: Any) -> None:
    from jhe_sync.local import LOCAL_BASE_URL, LocalTransport

    expired = emulator.issue_token("manager_mary", expires_in=-1)
    exchange = Exchange(LOCAL_BASE_URL, token=expired, transport=LocalTransport(emulator))
    with exchange, pytest.raises(AuthError, match="JHE_CLIENT_ID") as raised:
        exchange.get(PROFILE)
    assert expired not in str(raised.value)


def test_a_wrong_client_secret_is_an_auth_error_that_does_not_repeat_it(
    emulator: Any, connect: Connect
) -> None:
    exchange = connect(emulator, client_secret="wrong-secret-123")
    with pytest.raises(AuthError, match="JHE_CLIENT_SECRET") as raised:
        exchange.get(PROFILE)
    assert "wrong-secret-123" not in str(raised.value)


def test_the_request_counter_counts_every_request_sent(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "before_commit")
    exchange = connect(app)
    exchange.get(PROFILE)
    assert exchange.request_count == len(app.seen) == 3


# -- errors ----------------------------------------------------------------------------


def test_a_study_the_caller_cannot_see_is_permission_denied_with_the_servers_reason(
    exchange: Exchange,
) -> None:
    with pytest.raises(PermissionDenied) as raised:
        exchange.get("/api/v1/studies/30003")
    assert raised.value.reason == "Current User does not have authorization to access this Study."


def test_an_unknown_path_is_not_found_with_one_line_from_the_html_page(exchange: Exchange) -> None:
    with pytest.raises(NotFound) as raised:
        exchange.get("/api/v1/no_such_thing")
    assert raised.value.reason.startswith("Page not found")
    assert "\n" not in str(raised.value)


def test_a_server_error_names_the_exception_not_the_page(exchange: Exchange) -> None:
    with pytest.raises(ServerError) as raised:
        exchange.write("POST", "/api/v1/studies/30001/scope_requests", {"scope_code_id": 50002})
    assert raised.value.reason.startswith("IntegrityError")
    assert len(str(raised.value)) < 300
