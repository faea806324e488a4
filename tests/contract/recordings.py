"""The recorded exchanges with the real server, and how an answer is compared with one.

The recordings are in ``../shared/jhe-contract/`` beside the repository, in two series
each recorded from a fresh seed of the real server (``SERIES``). In CI (``CI=true``) a
missing folder is an error; elsewhere the contract tests are skipped, saying why.

An emulator answer matches a recording when it has the same status, the same content
type, the same ``Allow`` and ``WWW-Authenticate`` headers where recorded, and the same
body: the same keys and value types all the way down, and the same values, except

- ``<redacted>`` in the recording, which stands for any string;
- timestamps (``2026-11-24T18:35:54.173571Z``), which match any timestamp;
- the values that are random on the real server, listed in ``RANDOM_VALUES`` with why;
- HTML and plain-text error pages, compared by their title / first lines and the
  exception value the recording's ``body_summary`` keeps.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

SHARED_DIR = Path(__file__).resolve().parents[2].parent / "shared"
CONTRACT_DIR = SHARED_DIR / "jhe-contract"


@dataclass(frozen=True)
class Series:
    """Recordings made in file order against one freshly seeded server."""

    name: str  # its folder, relative to ``SHARED_DIR``
    recordings: int  # how many files it holds, so that a partial copy is noticed

    @property
    def folder(self) -> Path:
        return SHARED_DIR / self.name

    def files(self) -> list[Path]:
        """Its ``NNN-*.json`` recordings, in file (= recording) order."""
        return sorted(self.folder.glob("[0-9][0-9][0-9]-*.json"))


SERIES = (
    Series("jhe-contract", 214),  # 001-399 and 900: studies, links, patients, invitations
    Series("jhe-contract/orgs", 125),  # 401-525: organizations, roles, patient membership
)

REDACTED = "<redacted>"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_PRACTITIONER_CLIENT_NAME = re.compile(r"^(_practitioner_client_\d+_)\d{14}$")

# Keys whose values the real server draws at random, so a recording shows one draw:
RANDOM_VALUES = {
    # Faker values of ``manage.py seed``; 301-310 and 401-525 were recorded after a
    # reseed, so they disagree with 142-192 about the same people.
    "nameFamily": "Faker last name, differs between seeds",
    "lastName": "Faker last name of a seeded user, differs between seeds",
    "patientNameFamily": "Faker last name, differs between seeds",
    "birthDate": "Faker date, differs between seeds",
    "telecomPhone": "Faker phone number, differs between seeds",
    # a hash of a random invitation token
    "tokenHash": "hash of a random token",
}


def missing_recordings() -> str | None:
    """Why the contract tests cannot run here, or None when the recordings are in place."""
    if not CONTRACT_DIR.is_dir():
        return f"no recordings at {CONTRACT_DIR}"
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def require_recordings() -> None:
    """At module level: skip the module without the recordings, or fail in CI."""
    reason = missing_recordings()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"{reason}: CI must replay the contract recordings", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass
class Mismatch:
    where: str
    recorded: Any
    answered: Any

    def __str__(self) -> str:
        return f"{self.where}: recorded {self.recorded!r}, emulator {self.answered!r}"


def compare_response(recording: dict[str, Any], response: httpx.Response) -> list[Mismatch]:
    """Every difference between a recorded response and the emulator's answer."""
    recorded = recording["response"]
    problems: list[Mismatch] = []
    if response.status_code != recorded["status"]:
        problems.append(Mismatch("status", recorded["status"], response.status_code))
    headers = {k.lower(): v for k, v in (recorded.get("headers") or {}).items()}
    content_type = headers.get("content-type")
    answered_type = response.headers.get("content-type")
    # no headers recorded at all (139) says nothing about the content type
    if "headers" in recorded and _media_type(content_type) != _media_type(answered_type):
        problems.append(Mismatch("content-type", content_type, answered_type))
    for name in ("allow", "www-authenticate"):
        if name in headers and headers[name] != response.headers.get(name):
            problems.append(Mismatch(f"header {name}", headers[name], response.headers.get(name)))
    body = recorded.get("body")
    summary = recorded.get("body_summary") or {}
    if content_type and content_type.startswith("text/html"):
        problems += _compare_html(summary, response.text)
    elif content_type and content_type.startswith("text/plain"):
        lines = response.text.splitlines()
        for i, line in enumerate(summary.get("first_lines", [])[:3]):
            answered = lines[i] if i < len(lines) else None
            if line != answered:
                problems.append(Mismatch(f"line {i + 1}", line, answered))
    elif body == "" or body is None:
        if response.content:
            problems.append(Mismatch("body", body, response.text[:200]))
    else:
        try:
            answered_body = response.json()
        except ValueError:
            return [*problems, Mismatch("body", "JSON", response.text[:200])]
        problems += compare_json(body, answered_body)
    return problems


def _media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip() if content_type else None


def _compare_html(summary: dict[str, Any], page: str) -> list[Mismatch]:
    problems = []
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    answered_title = " ".join(html.unescape(title.group(1)).split()) if title else None
    if summary.get("html_title") and summary["html_title"] != answered_title:
        problems.append(Mismatch("html title", summary["html_title"], answered_title))
    if summary.get("exception_value"):
        value = re.search(r'<pre class="exception_value">(.*?)</pre>', page, re.S)
        answered_value = html.unescape(value.group(1)) if value else None
        if summary["exception_value"] != answered_value:
            problems.append(Mismatch("exception value", summary["exception_value"], answered_value))
    return problems


def compare_json(recorded: Any, answered: Any, where: str = "body") -> list[Mismatch]:
    """Differences in keys, types and values, recursively (see the module docstring)."""
    if isinstance(recorded, dict):
        if not isinstance(answered, dict):
            return [Mismatch(where, "an object", answered)]
        problems = []
        if set(recorded) != set(answered):
            missing, extra = (
                sorted(set(recorded) - set(answered)),
                sorted(set(answered) - set(recorded)),
            )
            problems.append(Mismatch(f"{where} keys", f"missing {missing}", f"extra {extra}"))
        for key in recorded.keys() & answered.keys():
            problems += _compare_value(
                recorded, key, recorded[key], answered[key], f"{where}.{key}"
            )
        return problems
    if isinstance(recorded, list):
        if not isinstance(answered, list):
            return [Mismatch(where, "an array", answered)]
        if len(recorded) != len(answered):
            return [Mismatch(f"{where} length", len(recorded), len(answered))]
        problems = []
        for i, (r, a) in enumerate(zip(recorded, answered, strict=True)):
            problems += compare_json(r, a, f"{where}[{i}]")
        return problems
    return _compare_scalar(recorded, answered, where)


def _compare_value(
    parent: dict[str, Any], key: str, recorded: Any, answered: Any, where: str
) -> list[Mismatch]:
    random_key = key in RANDOM_VALUES
    # An API client's OAuth client id is random on the real server; the emulator names
    # each seeded user's after the user (``manager_mary``) so people can log in with it.
    api_client_id = key == "client_id" and parent.get("hashClientSecret") is False
    if (random_key or api_client_id) and not isinstance(recorded, dict | list):
        if type(recorded) is not type(answered):
            return [Mismatch(where, f"a {type(recorded).__name__}", answered)]
        return []
    return compare_json(recorded, answered, where)


def _compare_scalar(recorded: Any, answered: Any, where: str) -> list[Mismatch]:
    if isinstance(recorded, str) and isinstance(answered, str):
        if recorded == REDACTED:
            return []
        if _TIMESTAMP.match(recorded):
            return [] if _TIMESTAMP.match(answered) else [Mismatch(where, "a timestamp", answered)]
        name = _PRACTITIONER_CLIENT_NAME.match(recorded)
        if name:  # named after its practitioner and the second it was created
            matched = _PRACTITIONER_CLIENT_NAME.match(answered)
            return (
                []
                if matched and matched.group(1) == name.group(1)
                else [Mismatch(where, recorded, answered)]
            )
    if type(recorded) is not type(answered) or recorded != answered:
        return [Mismatch(where, recorded, answered)]
    return []
