"""The contract tests' line in pytest's summary: each series' score, its skips, or why none ran.

Registered by ``tests/conftest.py`` (the one conftest that pytest-xdist's controller
process loads, which is where the reports of every worker arrive):

    contract jhe-contract: 213 of 214 recordings match (99.5%); 1 skipped
      skipped jhe-contract/900-debug-off-error-pages.json: a second server with DEBUG off ...
    contract jhe-contract/orgs: 125 of 125 recordings match (100.0%)

Without the recordings it says so, with the count of what was not replayed, instead of
pytest's bare "N skipped".
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from contract.recordings import SERIES, in_ci, missing_recordings

_REPLAY_TEST = "test_the_emulator_answers_like_the_recorded_server["
_CONTRACT_TESTS = Path(__file__).resolve().parent

# series -> outcome -> [(recording, skip reason or "")]
_outcomes: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _REPLAY_TEST not in report.nodeid:
        return
    recording = report.nodeid.split(_REPLAY_TEST, 1)[1].rstrip("]")
    series = recording.rsplit("/", 1)[0]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        _outcomes[series][report.outcome].append((recording, reason))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    write = terminalreporter.write_line
    reason = missing_recordings()
    if reason is not None:
        if _contract_tests_selected(config):
            expected = " and ".join(f"{s.name} ({s.recordings} recordings)" for s in SERIES)
            verdict = "failed (CI=true)" if in_ci() else "skipped (with CI=true: failed)"
            write(
                f"contract: not run, {reason}: the replay of {expected} and the seed "
                f"catalogue checks {verdict}"
            )
        return
    for series in SERIES:
        outcomes = _outcomes.get(series.name)
        if not outcomes:
            continue
        matched = len(outcomes["passed"])
        ran = sum(len(found) for found in outcomes.values())
        of = (
            f"{matched} of {series.recordings} recordings match ({100 * matched / series.recordings:.1f}%)"
            if ran == series.recordings
            else f"{matched} of the {ran} recordings run match"
        )
        parts = [of]
        if outcomes["skipped"]:
            parts.append(f"{len(outcomes['skipped'])} skipped")
        if outcomes["failed"]:
            parts.append(f"{len(outcomes['failed'])} do not match")
        write(f"contract {series.name}: " + "; ".join(parts))
        for recording, why in outcomes["skipped"]:
            write(f"  skipped {recording}: {why}")
        for recording, _ in outcomes["failed"]:
            write(f"  does not match {recording}")


def _contract_tests_selected(config: pytest.Config) -> bool:
    """Whether this run's paths include the contract tests (the default ``tests`` does)."""
    for arg in config.args or [str(config.rootpath / "tests")]:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == _CONTRACT_TESTS or path in _CONTRACT_TESTS.parents:
            return True
        if _CONTRACT_TESTS in path.parents:
            return True
    return False
