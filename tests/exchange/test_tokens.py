"""Tokens as the exchange issues them: a refused bearer token is one line that says why
and what to do, and the token endpoint can live elsewhere on the exchange's origin."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from jhe_sync.emulator import SEED_PASSWORD
from jhe_sync.errors import ConfigError, TokenRefused
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.responses import bearer_challenge
from jhe_sync.exchange.settings import settings_from
from jhe_sync.local import LOCAL_BASE_URL, LocalTransport

PROFILE = "/api/v1/users/profile"


def _token_only(emulator: Any, token: str) -> Exchange:
    return Exchange(LOCAL_BASE_URL, token=token, transport=LocalTransport(emulator))


def _refusal(exchange: Exchange) -> TokenRefused:
    with exchange, pytest.raises(TokenRefused) as raised:
        exchange.get(PROFILE)
    return raised.value


# -- what the server's challenge says ------------------------------------------------


@pytest.mark.parametrize(
    ("header", "error", "expired"),
    [
        (
            'Bearer realm="api",error="invalid_token",error_description="The access token has expired."',
            "invalid_token",
            True,
        ),
        (
            'Bearer realm="api",error="invalid_token",error_description="The access token is invalid."',
            "invalid_token",
            False,
        ),
        ('Bearer realm="api"', "", False),
        ("Basic realm=x", "", False),
        ("", "", False),
        (
            'Bearer error=invalid_token, error_description="a \\"quoted\\" word"',
            "invalid_token",
            False,
        ),
    ],
    ids=["expired-003", "invalid-002", "no-token-001", "not-bearer", "none", "quoted-pairs"],
)
def test_the_bearer_challenge_tells_an_expired_token_from_an_invalid_one(
    header: str, error: str, expired: bool
) -> None:
    response = httpx.Response(401, headers={"WWW-Authenticate": header} if header else {})
    challenge = bearer_challenge(response)
    assert (challenge.error, challenge.expired) == (error, expired)


def test_a_quoted_pair_in_the_description_is_unquoted() -> None:
    header = 'Bearer error="invalid_token", error_description="a \\"quoted\\" word"'
    assert bearer_challenge(
        httpx.Response(401, headers={"WWW-Authenticate": header})
    ).description == ('a "quoted" word')


# -- a refused bearer token --------------------------------------------------------


def test_an_expired_token_is_one_line_saying_it_expired_and_how_to_get_a_new_one(
    emulator: Any,
) -> None:
    expired = emulator.issue_token("manager_mary", expires_in=-1)
    refusal = _refusal(_token_only(emulator, expired))
    message = str(refusal)
    assert message.startswith("the bearer token (JHE_TOKEN or --token) has expired: ")
    assert "Generate Bearer Token" in message and "JHE_CLIENT_ID" in message
    assert "\n" not in message and expired not in message
    assert (refusal.status, refusal.expired, refusal.challenge) == (401, True, "invalid_token")


def test_a_revoked_or_unknown_token_is_one_line_that_does_not_say_expired(emulator: Any) -> None:
    refusal = _refusal(_token_only(emulator, "revoked-or-never-issued-0123456789"))
    message = str(refusal)
    assert "The access token is invalid." in message and "revoked" in message
    assert "expired" not in message and not refusal.expired
    assert "revoked-or-never-issued-0123456789" not in message
    assert "\n" not in message


def test_a_401_that_gives_no_reason_in_its_challenge_still_says_what_to_do() -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "Unauthorized by the gateway"})

    exchange = Exchange(
        "https://jhe.example.org", token="tok-1", transport=httpx.MockTransport(proxy)
    )
    message = str(_refusal(exchange))
    assert "answered 401: Unauthorized by the gateway" in message
    assert "JHE_TOKEN" in message and "tok-1" not in message


def test_a_token_the_endpoint_just_issued_and_the_api_refuses_names_the_client(
    emulator: Any, scripted: Any, connect: Callable[..., Exchange]
) -> None:
    app = scripted(emulator).fail("GET", PROFILE, "unauthorized", times=2)
    message = str(_refusal(connect(app)))
    assert "had just issued for client manager_mary" in message
    assert "JHE_URL" in message
    assert len(app.requests("POST", "/o/token/")) == 2  # the first token, and one refresh


# -- where tokens come from --------------------------------------------------------


class _MountedElsewhere:
    """An exchange whose OAuth is mounted at /auth/ instead of /o/ (as ``OAUTH_MOUNT_PATH``
    allows upstream): /o/token/ is not found there."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.token_paths: list[str] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/o/"):
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<title>Page not found at /o/token/</title>"]
        if path == "/auth/token/":
            self.token_paths.append(path)
            environ = {**environ, "PATH_INFO": "/o/token/"}
        return self.app(environ, start_response)


def test_tokens_come_from_the_token_url_when_one_is_given(
    emulator: Any, connect: Callable[..., Exchange]
) -> None:
    app = _MountedElsewhere(emulator)
    exchange = connect(app, token_url=f"{LOCAL_BASE_URL}/auth/token/")
    assert exchange.get(PROFILE)["email"] == "manager_mary@example.com"
    assert app.token_paths == ["/auth/token/"]


def test_no_token_endpoint_at_the_default_path_says_to_set_the_token_url(
    emulator: Any, connect: Callable[..., Exchange]
) -> None:
    exchange = connect(_MountedElsewhere(emulator))
    with pytest.raises(ConfigError, match=r"POST /o/token/ answered 404.*set JHE_TOKEN_URL"):
        exchange.get(PROFILE)


def test_the_bearer_token_never_goes_to_the_token_endpoint(emulator: Any) -> None:
    seen: list[tuple[str, str]] = []
    transport = LocalTransport(_MountedElsewhere(emulator))

    class Spy(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append((request.url.path, request.headers.get("authorization", "").split(" ")[0]))
            return transport.handle_request(request)

    with Exchange(
        LOCAL_BASE_URL,
        client_id="manager_mary",
        client_secret=SEED_PASSWORD,
        token_url=f"{LOCAL_BASE_URL}/auth/token/",
        transport=Spy(),
    ) as exchange:
        exchange.get(PROFILE)
    assert seen == [("/auth/token/", "Basic"), (PROFILE, "Bearer")]


@pytest.mark.parametrize(
    ("token_url", "complaint"),
    [
        ("https://login.example.com/o/token/", "not on the exchange's origin"),
        ("http://jhe.example.org/o/token/", "not on the exchange's origin"),
        ("https://jhe.example.org:8443/o/token/", "not on the exchange's origin"),
        ("/o/token/", r"not an absolute http\(s\) URL"),
        ("https://user:pw@jhe.example.org/o/token/", "must not hold credentials"),
    ],
    ids=["another-host", "another-scheme", "another-port", "a-bare-path", "credentials"],
)
def test_a_token_url_off_the_exchanges_origin_is_refused_before_any_request(
    token_url: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint) as raised:
        settings_from(
            url="https://jhe.example.org",
            client_id="abc",
            environ={"JHE_CLIENT_SECRET": "s3cr3t", "JHE_TOKEN_URL": token_url},
        )
    assert "s3cr3t" not in str(raised.value) and "pw@" not in str(raised.value)


def test_the_token_url_comes_from_the_environment_and_keeps_its_path() -> None:
    settings = settings_from(
        url="https://JHE.example.org:443/jhe",
        environ={
            "JHE_CLIENT_ID": "abc",
            "JHE_CLIENT_SECRET": "s3cr3t",
            "JHE_TOKEN_URL": "https://jhe.example.org/auth/o/token/",
        },
    )
    assert settings.token_url == "https://jhe.example.org/auth/o/token/"


def test_an_exchange_refuses_a_token_url_on_another_host_too() -> None:
    with pytest.raises(ConfigError, match="origin"):
        Exchange(
            "https://jhe.example.org",
            client_id="abc",
            client_secret="s3cr3t",
            token_url="https://elsewhere.example.org/o/token/",
        )
