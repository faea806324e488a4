"""What the terminal shows besides the plan (issue 18): colour as no-color.org and TERM
say, or as ``--color``/``--no-color`` decide; how far a long read has got; what ``-vv``
adds over ``-v``."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from jhe_sync.cli import ACTIVITY_EVERY, _Activity

from .conftest import EXAMPLES, Run, estate_spec

QUICKSTART = EXAMPLES / "quickstart"
ANSI = "\x1b["


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output is a terminal (as far as the command line can tell)."""
    monkeypatch.setattr("jhe_sync.cli._stdout_is_a_terminal", lambda: True)


def test_a_terminal_gets_colour(jhe: Callable[..., Run], local: str, on_a_terminal: None) -> None:
    assert ANSI in jhe("plan", QUICKSTART, "--url", local).out


def test_an_empty_no_color_does_not_turn_colour_off(
    jhe: Callable[..., Run], local: str, on_a_terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "")

    assert ANSI in jhe("plan", QUICKSTART, "--url", local).out


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_color_or_a_dumb_terminal_turns_colour_off(
    jhe: Callable[..., Run],
    local: str,
    on_a_terminal: None,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    monkeypatch.setenv(name, value)

    assert ANSI not in jhe("plan", QUICKSTART, "--url", local).out


def test_no_color_flag_wins_on_a_terminal(
    jhe: Callable[..., Run], local: str, on_a_terminal: None
) -> None:
    assert ANSI not in jhe("plan", QUICKSTART, "--url", local, "--no-color").out


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_color_flag_colours_a_ci_log(jhe: Callable[..., Run], local: str, command: str) -> None:
    extra = ["--auto-approve"] if command == "apply" else []

    run = jhe(command, QUICKSTART, "--url", local, "--color", *extra)

    assert run.code == 0, run.err
    assert "\x1b[32m  + create study" in run.out


def test_show_takes_the_color_flag_too(jhe: Callable[..., Run], local: str, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert jhe("plan", QUICKSTART, "--url", local, "--out", saved).code == 0

    assert ANSI in jhe("show", saved, "--color").out


# -- how far a read has got ---------------------------------------------------------------


def test_a_long_read_without_a_terminal_logs_its_requests_on_stderr(
    jhe: Callable[..., Run], estate_url: str, tmp_path: Path
) -> None:
    run = jhe("plan", estate_spec(tmp_path / "spec", "omh:heart-rate:2.0"), "--url", estate_url)

    assert run.code == 0, run.err
    lines = [line for line in run.err.splitlines() if line.startswith("jhe-sync: ")]
    assert lines and re.fullmatch(
        r"jhe-sync: \d+ requests to the exchange, \d+ s in all", lines[-1]
    )
    total = int(lines[-1].split()[1])
    assert total >= 2 * 300
    assert all(line.endswith(" so far") for line in lines[:-1])
    assert "jhe-sync: " not in run.out


def test_a_short_read_without_a_terminal_says_nothing(jhe: Callable[..., Run], local: str) -> None:
    run = jhe("plan", QUICKSTART, "--url", local)

    assert "requests to the exchange" not in run.err


def test_on_a_terminal_the_count_is_one_line_rewritten_then_erased(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count = 0
    done = threading.Event()

    def requests() -> int:
        return count

    with _Activity(requests, live=True, delay=0):
        for count in range(0, 3 * ACTIVITY_EVERY, 50):  # noqa: B007 - read by requests()
            done.wait(0.1)
    written = capsys.readouterr().err

    assert written.startswith("\rjhe-sync: ")
    assert written.endswith("\r\x1b[K")
    assert "\n" not in written


# -- verbosity ----------------------------------------------------------------------------


def test_vv_adds_the_size_of_each_answer_to_what_v_logs(
    jhe: Callable[..., Run], local: str
) -> None:
    once = jhe("plan", QUICKSTART, "--url", local, "-v").err
    twice = jhe("plan", QUICKSTART, "--url", local, "-vv").err

    request = re.compile(r"^GET /api/v1/users/profile -> 200 \(\d+ ms(, [\d,]+ bytes)?\)$", re.M)
    assert [m.group(1) for m in request.finditer(once)] == [None]
    assert [bool(m.group(1)) for m in request.finditer(twice)] == [True]


def test_v_logs_nothing_without_being_asked(jhe: Callable[..., Run], local: str) -> None:
    assert " -> 200 " not in jhe("plan", QUICKSTART, "--url", local).err


def test_the_live_line_stays_off_with_v(monkeypatch: pytest.MonkeyPatch) -> None:
    from jhe_sync.cli import _terminal

    monkeypatch.setattr("jhe_sync.cli._stderr_is_a_terminal", lambda: True)
    monkeypatch.setattr("jhe_sync.cli._logging_requests", lambda: True)
    shown = io.StringIO()
    monkeypatch.setattr("sys.stderr", shown)

    with _terminal().activity(lambda: 0):
        pass

    assert shown.getvalue() == ""
