"""A refused JHE_TOKEN as the user meets it: one line on stderr saying why and what to do.

The exchange is the emulator over HTTP on loopback (``--url local`` acts as a seeded
API client and never uses a token), with tokens issued into its database beforehand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jhe_sync.cli import main
from jhe_sync.emulator import create_app, serve

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


@dataclass
class Served:
    url: str
    expired: str
    current: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The emulator on a free loopback port, with an expired and a current token."""
    db = str(tmp_path / "exchange.db")
    app = create_app(db=db)
    expired = app.issue_token("manager_mary", expires_in=-1)
    current = app.issue_token("manager_mary")
    app.close()
    stop, bound, where = threading.Event(), threading.Event(), []

    def ready(host: str, port: int) -> None:
        where.append(f"http://{host}:{port}")
        bound.set()

    thread = threading.Thread(
        target=serve, kwargs={"port": 0, "db": db, "ready": ready, "stop": stop}, daemon=True
    )
    thread.start()
    assert bound.wait(10), "the emulator did not start"
    yield Served(where[0], expired, current)
    stop.set()
    thread.join(10)


def _plan_with_token(
    token: str, url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    for name in ("JHE_CLIENT_ID", "JHE_CLIENT_SECRET", "JHE_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JHE_URL", url)
    monkeypatch.setenv("JHE_TOKEN", token)
    with pytest.raises(SystemExit) as exited:
        main(["plan", str(QUICKSTART)])
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def test_an_expired_jhe_token_is_one_line_saying_so_and_what_to_do(
    served: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _plan_with_token(served.expired, served.url, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == (
        "Error: the bearer token (JHE_TOKEN or --token) has expired: generate a new one in the "
        "exchange's console (Generate Bearer Token) and set JHE_TOKEN, or set JHE_CLIENT_ID and "
        "JHE_CLIENT_SECRET (a practitioner API client) so that jhe-sync gets fresh tokens itself\n"
    )


def test_a_revoked_jhe_token_is_one_line_that_does_not_call_it_expired(
    served: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _plan_with_token("revoked0123456789abcdef", served.url, monkeypatch, capsys)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(
        "Error: the exchange refused the bearer token (JHE_TOKEN or --token): "
        "The access token is invalid. (revoked, mistyped, or issued by another exchange); "
    )
    assert "revoked0123456789abcdef" not in err


def test_a_current_jhe_token_plans(
    served: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _plan_with_token(served.current, served.url, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert "Plan:" in out
