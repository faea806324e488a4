"""Who is asking: the OAuth2 client-credentials token endpoint and bearer authentication.

Tokens are opaque random strings with an expiry (14 days, as recorded in 005), each
acting as the user who owns the API client it was issued to. A missing, unknown or
expired token gets the same 401 body; only ``WWW-Authenticate`` tells them apart (001-003).
HTTP Basic on the API itself is not authentication there (004).
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from jhe_sync.emulator.db import Store
from jhe_sync.emulator.errors import NOT_AUTHENTICATED, ApiError
from jhe_sync.emulator.http import Request, Response, json_response

TOKEN_LIFETIME_SECONDS = 1209600
TOKEN_SCOPE = "openid email"
_TOKEN_ALPHABET = string.ascii_letters + string.digits

_REALM = 'Bearer realm="api"'
_INVALID = _REALM + ',error="invalid_token",error_description="The access token is invalid."'
_EXPIRED = _REALM + ',error="invalid_token",error_description="The access token has expired."'


@dataclass(frozen=True)
class Principal:
    """The authenticated user and the profiles that decide what they may do."""

    user_id: int
    email: str
    user_type: str | None
    is_superuser: bool
    practitioner_id: int | None
    patient_id: int | None

    @property
    def is_practitioner(self) -> bool:
        """``JheUser.is_practitioner()``: the user type says so, or a practitioner profile does."""
        return self.user_type == "practitioner" or self.practitioner_id is not None


def load_principal(store: Store, user_id: int) -> Principal:
    row = store.one(
        "SELECT u.id, u.email, u.user_type, u.is_superuser, pr.id AS practitioner_id, pa.id AS patient_id "
        "FROM core_jheuser u LEFT JOIN core_practitioner pr ON pr.jhe_user_id = u.id "
        "LEFT JOIN core_patient pa ON pa.jhe_user_id = u.id WHERE u.id = ?",
        (user_id,),
    )
    assert row is not None, "a token always belongs to an existing user"
    return Principal(
        user_id=row["id"],
        email=row["email"],
        user_type=row["user_type"],
        is_superuser=bool(row["is_superuser"]),
        practitioner_id=row["practitioner_id"],
        patient_id=row["patient_id"],
    )


def _unauthenticated(www_authenticate: str) -> ApiError:
    return ApiError(401, {"detail": NOT_AUTHENTICATED}, (("WWW-Authenticate", www_authenticate),))


def authenticate(store: Store, request: Request) -> Principal:
    """The user a request's bearer token acts as, or the 401 the server would answer."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise _unauthenticated(_REALM)
    row = store.one(
        "SELECT user_id, expires FROM oauth2_provider_accesstoken WHERE token = ?",
        (credentials.strip(),),
    )
    if row is None:
        raise _unauthenticated(_INVALID)
    if row["expires"] <= time.time():
        raise _unauthenticated(_EXPIRED)
    return load_principal(store, row["user_id"])


def new_token(store: Store, application_id: int, user_id: int, expires_in: float) -> str:
    """Store and return a fresh opaque token for ``user_id`` through ``application_id``."""
    token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(30))
    store.run(
        "INSERT INTO oauth2_provider_accesstoken (token, user_id, application_id, expires, scope) "
        "VALUES (?, ?, ?, ?, ?)",
        (token, user_id, application_id, time.time() + expires_in, TOKEN_SCOPE),
    )
    return token


_TOKEN_HEADERS = [("Cache-Control", "no-store"), ("Access-Control-Allow-Origin", "*")]


def _oauth_error(status: int, error: str, extra: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"error": error}, [*(extra or []), *_TOKEN_HEADERS])


def token_endpoint(store: Store, request: Request) -> Response:
    """``POST /o/token/``: the client-credentials grant, form-encoded only (007).

    The client authenticates with HTTP Basic or with ``client_id``/``client_secret``
    form fields; a JSON body carries no grant type, hence ``unsupported_grant_type``.
    """
    if request.method != "POST":
        return Response(405, b"", [("Allow", "POST, OPTIONS")])
    form: dict[str, str] = {}
    if request.content_type == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type")
    client_id, client_secret = _client_credentials(request, form)
    app = store.one(
        "SELECT id, client_secret, hash_client_secret, authorization_grant_type, user_id "
        "FROM oauth2_provider_application WHERE client_id = ?",
        (client_id,),
    )
    if (
        app is None
        or app["hash_client_secret"]
        or not secrets.compare_digest(app["client_secret"].encode(), client_secret.encode())
    ):
        return _oauth_error(
            401, "invalid_client", [("WWW-Authenticate", 'Bearer error="invalid_client"')]
        )
    if app["authorization_grant_type"] != "client-credentials" or app["user_id"] is None:
        return _oauth_error(400, "unauthorized_client")
    token = new_token(store, app["id"], app["user_id"], TOKEN_LIFETIME_SECONDS)
    return json_response(
        200,
        {
            "access_token": token,
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "token_type": "Bearer",
            "scope": TOKEN_SCOPE,
        },
        list(_TOKEN_HEADERS),
    )


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except ValueError:
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(client_secret)
    return form.get("client_id", ""), form.get("client_secret", "")
