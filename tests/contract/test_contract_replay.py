"""Every recorded exchange with the real server, replayed against one fresh emulator.

The recordings were made in file order against one database, so later ones depend on
earlier ones (study 30006 is created in 056 and used until 177). They are replayed in
that order against a single emulator; a test run for one recording alone first replays
the ones before it. Each test asserts the emulator answers its recording alike (see
``recordings.compare_response``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.recordings import CONTRACT_DIR, compare_response, load, recording_files
from jhe_sync.emulator import SEED_PASSWORD, EmulatorApp, create_app

if not CONTRACT_DIR.is_dir():
    pytest.skip(f"no recordings at {CONTRACT_DIR}", allow_module_level=True)

# The real server's address when recording: ``next``/``previous`` links carry it.
RECORDED_BASE_URL = "http://127.0.0.1:8000"

SKIPPED = {
    "900-debug-off-error-pages.json": (
        "a second server with DEBUG off, summarised as a list of exchanges without full "
        "requests; the emulator's error pages are the DEBUG-on kind the other recordings show"
    ),
}

# ``as_user`` -> the seeded user's API client
CLIENT_OF = {
    "mary(cc)": "manager_mary",
    "megan(member)": "member_megan",
    "victor(viewer)": "viewer_victor",
    "mark(other-org manager)": "manager_mark",
    "admin(superuser)": "admin",
    "peter(patient)": "ll_patient_peter",
}


class Replay:
    """One emulator and the recordings replayed against it so far, in order."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.app: EmulatorApp = create_app(db=":memory:")
        self.http = httpx.Client(
            transport=httpx.WSGITransport(app=self.app), base_url=RECORDED_BASE_URL
        )
        self.answers: dict[str, httpx.Response] = {}
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()
        self.app.close()

    def answer(self, path: Path) -> httpx.Response:
        """The emulator's answer to one recording, replaying the earlier ones first."""
        for earlier in self.files[: self.files.index(path) + 1]:
            if earlier.name not in self.answers and earlier.name not in SKIPPED:
                self.answers[earlier.name] = self._send(load(earlier))
        return self.answers[path.name]

    def token(self, client_id: str) -> str:
        if client_id not in self._tokens:
            response = self.http.post(
                "/o/token/",
                data={"grant_type": "client_credentials"},
                auth=(client_id, SEED_PASSWORD),
            )
            response.raise_for_status()
            self._tokens[client_id] = response.json()["access_token"]
        return str(self._tokens[client_id])

    def _send(self, recording: dict[str, Any]) -> httpx.Response:
        request = recording["request"]
        headers = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() == "accept"}
        options: dict[str, Any] = {"params": request.get("query") or None}
        if request.get("json_body") is not None:
            options["json"] = request["json_body"]
        if request.get("raw_body") is not None:
            options["content"] = request["raw_body"].encode()
            headers["Content-Type"] = request["headers"]["Content-Type"]
        if request.get("form_body") is not None:
            options["data"] = request["form_body"]
        user = request.get("as_user")
        if user in CLIENT_OF:
            headers["Authorization"] = f"Bearer {self.token(CLIENT_OF[user])}"
        special = CREDENTIALS.get(recording["case"])
        if special is not None:
            special(self, headers, options)
        response = self.http.request(request["method"], request["path"], headers=headers, **options)
        response.read()
        return response


# -- recordings whose credentials ``as_user`` does not name plainly ----------------------

Options = dict[str, Any]


def _garbage_token(replay: Replay, headers: dict[str, str], options: Options) -> None:
    headers["Authorization"] = "Bearer not-a-token-the-server-issued"


def _expired_token(replay: Replay, headers: dict[str, str], options: Options) -> None:
    headers["Authorization"] = f"Bearer {replay.app.issue_token('manager_mary', expires_in=-60)}"


def _api_key_as_basic(replay: Replay, headers: dict[str, str], options: Options) -> None:
    # 004's note: mary's practitioner API key itself, sent as Basic to the API
    listed = replay.http.get(
        "/api/v1/practitioner_clients",
        headers={"Authorization": f"Bearer {replay.token('manager_mary')}"},
    )
    headers["Authorization"] = f"Basic {listed.json()['results'][0]['key']}"


def _basic_client(secret: str) -> Callable[[Replay, dict[str, str], Options], None]:
    def apply(replay: Replay, headers: dict[str, str], options: Options) -> None:
        pair = base64.b64encode(f"manager_mary:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"

    return apply


def _credentials_in_json(replay: Replay, headers: dict[str, str], options: Options) -> None:
    options["json"] = {
        **options["json"],
        "client_id": "manager_mary",
        "client_secret": SEED_PASSWORD,
    }


def _leaked_secret(replay: Replay, headers: dict[str, str], options: Options) -> None:
    # the secret the emulator itself leaked to the viewer in 138
    leaked = replay.answers["138-study-clients-get-leaks-secret-to-viewer.json"].json()
    app = next(link["client"] for link in leaked if link["client"]["hashClientSecret"] is False)
    options["data"] = {
        **options["data"],
        "client_id": app["client_id"],
        "client_secret": app["clientSecret"],
    }


def _stolen_token(replay: Replay, headers: dict[str, str], options: Options) -> None:
    stolen = replay.answers["139-token-with-leaked-secret.json"].json()["access_token"]
    headers["Authorization"] = f"Bearer {stolen}"


CREDENTIALS: dict[str, Callable[[Replay, dict[str, str], Options], None]] = {
    "auth-invalid-token": _garbage_token,
    "auth-expired-token": _expired_token,
    "auth-basic-apikey-directly": _api_key_as_basic,
    "token-client-credentials-basic": _basic_client(SEED_PASSWORD),
    "token-client-credentials-bad-secret": _basic_client("wrong secret"),
    "token-client-credentials-json-body": _credentials_in_json,
    "token-with-leaked-secret": _leaked_secret,
    "users-profile-with-leaked-token": _stolen_token,
}

FILES = recording_files()


@pytest.fixture(scope="module")
def replay() -> Iterator[Replay]:
    replay = Replay(FILES)
    yield replay
    replay.close()


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_the_emulator_answers_like_the_recorded_server(replay: Replay, path: Path) -> None:
    if path.name in SKIPPED:
        pytest.skip(SKIPPED[path.name])
    recording = load(path)
    problems = compare_response(recording, replay.answer(path))
    assert not problems, f"{path.name}:\n  " + "\n  ".join(str(p) for p in problems)
