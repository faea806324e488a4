"""Every recorded exchange with the real server, replayed against a fresh emulator per series.

Each series (``recordings.SERIES``) was recorded in file order against one freshly
seeded server, so later files depend on earlier ones (study 30006 is created in 056 and
used until 177), and the two series reuse the same new ids (study 30006 again in 440).
Each series is therefore replayed in its order against an emulator of its own; a test
run for one recording alone first replays the ones before it in its series. Each test
asserts the emulator answers its recording alike (see ``recordings.compare_response``);
a recording the emulator cannot answer alike is in ``SKIPPED``, with the reason, and
each series must match at least ``MINIMUM_SCORE`` of its recordings.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.recordings import (
    SERIES,
    SHARED_DIR,
    Series,
    compare_response,
    load,
    require_recordings,
)
from jhe_sync.emulator import SEED_PASSWORD, EmulatorApp, create_app

require_recordings()

# The real server's address when recording: ``next``/``previous`` links carry it.
RECORDED_BASE_URL = "http://127.0.0.1:8000"

MINIMUM_SCORE = 0.95

# recording (its path under ``SHARED_DIR``) -> why the emulator is not held to it
SKIPPED = {
    "jhe-contract/900-debug-off-error-pages.json": (
        "a second server with DEBUG off, summarised as a list of exchanges without full "
        "requests; the emulator's error pages are the DEBUG-on kind the other recordings show"
    ),
}


def recording_id(path: Path) -> str:
    """A recording's name in test ids and in ``SKIPPED``: its path under ``SHARED_DIR``."""
    return path.relative_to(SHARED_DIR).as_posix()


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
    """One fresh emulator and the recordings of one series replayed against it so far."""

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
            if earlier.name not in self.answers and recording_id(earlier) not in SKIPPED:
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

CASES = [(series, path) for series in SERIES for path in series.files()]


@pytest.fixture(scope="module")
def replays() -> Iterator[dict[str, Replay]]:
    """A fresh emulator per series, made when its first recording is replayed."""
    made: dict[str, Replay] = {}
    yield made
    for replay in made.values():
        replay.close()


@pytest.mark.parametrize(
    ("series", "path"), CASES, ids=[recording_id(path) for _series, path in CASES]
)
def test_the_emulator_answers_like_the_recorded_server(
    replays: dict[str, Replay], series: Series, path: Path
) -> None:
    if recording_id(path) in SKIPPED:
        pytest.skip(SKIPPED[recording_id(path)])
    if series.name not in replays:
        replays[series.name] = Replay(series.files())
    recording = load(path)
    problems = compare_response(recording, replays[series.name].answer(path))
    assert not problems, f"{recording_id(path)}:\n  " + "\n  ".join(str(p) for p in problems)


@pytest.mark.parametrize("series", SERIES, ids=[series.name for series in SERIES])
def test_every_recording_of_the_series_is_there(series: Series) -> None:
    assert len(series.files()) == series.recordings, (
        f"{series.folder} holds {len(series.files())} recordings, {series.recordings} expected: "
        "a partial copy of the recordings"
    )


@pytest.mark.parametrize("series", SERIES, ids=[series.name for series in SERIES])
def test_each_series_is_held_to_at_least_95_percent_of_its_recordings(series: Series) -> None:
    skipped = [path for path in series.files() if recording_id(path) in SKIPPED]
    held = len(series.files()) - len(skipped)
    assert held >= MINIMUM_SCORE * len(series.files()), (
        f"{series.name}: {len(skipped)} of {len(series.files())} recordings skipped"
    )


def test_every_skip_names_a_recording_and_a_reason() -> None:
    recorded = {recording_id(path) for _series, path in CASES}
    assert set(SKIPPED) <= recorded
    assert all(reason.strip() for reason in SKIPPED.values())
