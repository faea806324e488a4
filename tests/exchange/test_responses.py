"""Error answers become typed errors with one line of reason, never the page.

The bodies are the shapes the real server sends (see jhe-contract: 044, 061, 091,
092, 154, 202, 203, 006, 900).
"""

from __future__ import annotations

import httpx
import pytest

from jhe_sync.errors import (
    AuthError,
    ExchangeError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from jhe_sync.exchange.responses import error_for, one_line_reason, retry_after_seconds

DEBUG_500_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
    "  <title>IntegrityError\n          at /api/v1/studies/30006/scope_requests</title>\n"
    "  <style>h1 { font-weight:normal; }</style>\n</head>\n<body>\n"
    + "<p>traceback line</p>\n" * 5000
    + "</body></html>"
)


def _html(status: int, body: str) -> httpx.Response:
    return httpx.Response(status, text=body, headers={"content-type": "text/html; charset=utf-8"})


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404, json={"detail": "Invalid page."}), "Invalid page."),
        (
            httpx.Response(
                400, json={"name": ["This field is required."], "description": ["Too long."]}
            ),
            "name: This field is required.; description: Too long.",
        ),
        (
            httpx.Response(400, json=["Patient with this email already exists."]),
            "Patient with this email already exists.",
        ),
        (httpx.Response(401, json={"error": "invalid_client"}), "invalid_client"),
        (
            _html(500, DEBUG_500_PAGE),
            "IntegrityError at /api/v1/studies/30006/scope_requests",
        ),
        (
            _html(
                500,
                "<!doctype html><title>Server Error (500)</title><h1>Server Error (500)</h1><p></p>",
            ),
            "Server Error (500)",
        ),
        (_html(500, "<html><body><h1>Server Error (500)</h1></body></html>"), "Server Error (500)"),
        (
            httpx.Response(
                500,
                text="IntegrityError at /api/v1/studies/30006/scope_requests\nduplicate key\n\nRequest Method: POST",
                headers={"content-type": "text/plain; charset=utf-8"},
            ),
            "IntegrityError at /api/v1/studies/30006/scope_requests",
        ),
        (httpx.Response(502, text=""), "Bad Gateway"),
    ],
)
def test_an_error_answer_is_reduced_to_one_line(response: httpx.Response, reason: str) -> None:
    assert one_line_reason(response) == reason


def test_a_huge_html_page_never_reaches_the_message() -> None:
    error = error_for("POST", "/api/v1/studies/30006/scope_requests", _html(500, DEBUG_500_PAGE))
    assert "\n" not in str(error)
    assert len(str(error)) < 300


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFound),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (400, ExchangeError),
        (405, ExchangeError),
    ],
)
def test_each_status_has_its_error_type(status: int, kind: type[ExchangeError]) -> None:
    error = error_for("GET", "/api/v1/studies", httpx.Response(status, json={"detail": "x"}))
    assert type(error) is kind
    assert (error.method, error.path, error.status, error.reason) == (
        "GET",
        "/api/v1/studies",
        status,
        "x",
    )


def test_a_rate_limit_carries_its_retry_after() -> None:
    response = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "7"})
    error = error_for("POST", "/api/v1/studies", response)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


def test_retry_after_may_be_an_http_date() -> None:
    response = httpx.Response(
        429,
        headers={
            "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
            "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
        },
    )
    assert retry_after_seconds(response) == 30.0


def test_a_bearer_token_echoed_in_an_error_is_redacted() -> None:
    response = httpx.Response(400, json={"detail": "bad header Bearer abc.def-123"})
    assert "abc.def-123" not in one_line_reason(response)
