"""What the reliability tests share: the emulator's database as a value, the seeded
secrets and personal data to look for, a WSGI middleware that spoils chosen answers,
and a token for a seeded user's API client (the emulator over real HTTP is
``apply.served.Served``).

The CLI runner (``jhe``) and the local exchange fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from jhe_sync.emulator.seed import SEED_PASSWORD, USERS

WSGIApp = Callable[..., Iterable[bytes]]

MARYS_APPLICATION = 6
"""The Application pk of manager_mary's practitioner API client (jhe-contract 137)."""

PERSONAL_DATA = tuple(
    sorted(
        {
            value
            for user in USERS
            if user.patient is not None
            for value in (
                user.first_name,
                user.last_name,
                user.patient.birth_date,
                user.patient.telecom_phone,
            )
        }
    )
)
"""Every seeded patient's names, birth date and phone (five patients, twenty values)."""

assert len(PERSONAL_DATA) == 20, PERSONAL_DATA


READ_TRACES = ("oauth2_provider_accesstoken", "core_jhesetting_user")
"""What reading alone changes on the server: the login's token, and the settings that
some GETs store (jhe-contract FINDINGS, "Side effects of GET")."""


def database_rows(path: Path, *, ignore: Iterable[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of an emulator database (but the ``ignore``d ones):
    equal values before and after mean nothing was written."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if name not in set(ignore)
        ]
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in tables
        }


def link_marys_client(path: Path, study_id: int = 30001) -> None:
    """Link manager_mary's practitioner API client to a study, as a viewer did in the
    recordings (137): from then on ``GET /studies/{id}/clients`` leaks its secret."""
    with closing(sqlite3.connect(path)) as conn, conn:
        (next_id,) = conn.execute(
            "UPDATE sequence SET last_value = last_value + 1 WHERE name = 'core_studyclient' "
            "RETURNING last_value"
        ).fetchone()
        conn.execute(
            "INSERT INTO core_studyclient (id, study_id, client_id) VALUES (?, ?, ?)",
            (next_id, study_id, MARYS_APPLICATION),
        )
        (secret,) = conn.execute(
            "SELECT client_secret FROM oauth2_provider_application WHERE id = ?",
            (MARYS_APPLICATION,),
        ).fetchone()
    assert secret == SEED_PASSWORD, "mary's client no longer has the plaintext seed secret"


def credentials_in(authorization: str) -> set[str]:
    """The secret parts of an Authorization header: a bearer token, a Basic password."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value:
        return {value}
    if scheme.lower() == "basic" and value:
        return {base64.b64decode(value).decode().partition(":")[2]}
    return set()


# -- spoiled answers -------------------------------------------------------------------


@dataclass
class Answer:
    """An answer as the middleware holds it; a spoiler returns a changed copy."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def with_json(self, data: Any) -> Answer:
        return Answer(self.status, self.headers, json.dumps(data).encode())


Spoiler = Callable[[Answer, int], Answer]
"""(the emulator's answer, the page number asked for) -> the answer to send instead."""


def truncated(answer: Answer, page: int) -> Answer:
    """The first half of the JSON, as when a proxy cuts a response short."""
    return Answer(answer.status, answer.headers, answer.body[: len(answer.body) // 2])


CAPTIVE_PORTAL = (
    b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
    b"<title>Sign in to Hospital Guest Wi-Fi</title>"
    b"<script>window.location='/login?next=' + encodeURIComponent(location.href);</script>"
    b"<style>" + b"body { font-family: sans-serif; }\n" * 400 + b"</style></head>\n"
    b"<body><h1>Please sign in</h1><form action='/login'><input name='user'></form>"
    b"</body></html>\n"
)


def html_page(answer: Answer, page: int) -> Answer:
    """A 200 with an HTML page where JSON was expected (a captive portal or a proxy)."""
    return Answer(200, [("Content-Type", "text/html; charset=utf-8")], CAPTIVE_PORTAL)


def _mapped(data: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(data, dict):
        return change({key: _mapped(value, change) for key, value in data.items()})
    if isinstance(data, list):
        return [_mapped(item, change) for item in data]
    return data


def without_ids(answer: Answer, page: int) -> Answer:
    """Every ``id`` field, at every depth, left out."""
    data = json.loads(answer.body)
    return answer.with_json(
        _mapped(data, lambda item: {k: v for k, v in item.items() if k != "id"})
    )


def ids_as_text(answer: Answer, page: int) -> Answer:
    """Every integer ``id``, at every depth, sent as a string ("30001")."""
    data = json.loads(answer.body)
    return answer.with_json(
        _mapped(
            data,
            lambda item: {
                k: str(v) if k == "id" and isinstance(v, int) else v for k, v in item.items()
            },
        )
    )


def same_page_forever(answer: Answer, page: int) -> Answer:
    """Every page is the first page, and every page says there is a next one."""
    data = json.loads(answer.body)
    return answer.with_json({**data, "next": f"http://localhost/next?page={page + 1}"})


def new_items_forever(answer: Answer, page: int) -> Answer:
    """Every page holds new items (ids moved on by the page number) under the same count,
    and says there is a next one."""
    data = json.loads(answer.body)
    results = [
        {**item, "id": item["id"] + 1_000_000 * page} if isinstance(item, dict) else item
        for item in data["results"]
    ]
    return answer.with_json(
        {**data, "results": results, "next": f"http://localhost/next?page={page + 1}"}
    )


ENDLESS = (same_page_forever, new_items_forever)

ENDLESS_BOUND = 200
"""Pages a never-ending list serves before it gives in and ends: a client that has not
stopped by then has not noticed, and the test fails rather than running for hours."""


@dataclass
class Spoil:
    method: str
    path: str
    spoiler: Spoiler
    passed: int = 0
    """How many matching requests are answered as they are before the spoiling starts."""
    endless: bool = False
    """Serve the first page for every page asked (and give in at ``ENDLESS_BOUND``)."""


@dataclass
class Spoiling:
    """WSGI middleware in front of the emulator: passes every request on and answers
    the chosen (method, path) with a spoiled copy of the emulator's answer.

    For a never-ending list the page number is taken out of the request before it is
    passed on (the emulator would answer a page past the end with a 404).
    """

    app: WSGIApp
    spoils: list[Spoil] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    spoiled: int = 0
    credentials: set[str] = field(default_factory=set)
    """Every bearer token and client secret that reached the server."""

    def spoil(
        self,
        method: str,
        path: str,
        spoiler: Spoiler,
        *,
        passed: int = 0,
        endless: bool | None = None,
    ) -> Spoiling:
        endless = spoiler in ENDLESS if endless is None else endless
        self.spoils.append(Spoil(method, path, spoiler, passed, endless))
        return self

    def writes(self) -> list[tuple[str, str]]:
        """The write requests that reached the server (the token request is not one)."""
        return [(m, p) for m, p in self.seen if m != "GET" and p != "/o/token/"]

    def close(self) -> None:
        close = getattr(self.app, "close", None)
        if close is not None:
            close()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.seen.append((method, path))
        self.credentials |= credentials_in(environ.get("HTTP_AUTHORIZATION", ""))
        spoil = next((s for s in self.spoils if (s.method, s.path) == (method, path)), None)
        if spoil is not None and spoil.passed > 0:
            spoil.passed -= 1
            spoil = None
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1
        if spoil is not None and spoil.endless:
            query.pop("page", None)
            environ["QUERY_STRING"] = urlencode(query)
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> None:
            captured[:] = [int(status.split()[0]), list(headers)]

        body = b"".join(self.app(environ, capture))
        answer = Answer(captured[0], captured[1], body)
        if spoil is not None and not (spoil.endless and page >= ENDLESS_BOUND):
            self.spoiled += 1
            answer = spoil.spoiler(answer, page)
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(answer.body))))
        start_response(f"{answer.status} Spoiled", headers)
        return [answer.body]


def token_for(client: httpx.Client, client_id: str = "manager_mary") -> str:
    answer = client.post(
        "/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, SEED_PASSWORD)
    )
    return str(answer.json()["access_token"])
