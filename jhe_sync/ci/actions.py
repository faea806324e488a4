"""The files a GitHub Actions runner hands a step: the event that started the job
(``GITHUB_EVENT_PATH``), the step's outputs (``GITHUB_OUTPUT``) and the job summary
(``GITHUB_STEP_SUMMARY``). Outside a runner, outputs and summary are simply not written.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhe_sync.errors import ConfigError


@dataclass(frozen=True)
class PullRequestEvent:
    """What a ``pull_request`` event says of its pull request."""

    number: int
    head_sha: str
    labels: frozenset[str] = field(default_factory=frozenset)


def pull_request_event(path: str | None) -> PullRequestEvent | None:
    """The pull request of the event at ``path`` (None: no event, or not a pull request)."""
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"GITHUB_EVENT_PATH {path}: not a readable event ({error})") from None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
        return None
    head = pull.get("head") if isinstance(pull.get("head"), dict) else {}
    listed = pull.get("labels")
    labels: list[Any] = listed if isinstance(listed, list) else []
    return PullRequestEvent(
        number=pull["number"],
        head_sha=str((head or {}).get("sha") or ""),
        labels=frozenset(
            str(label["name"]) for label in labels if isinstance(label, dict) and "name" in label
        ),
    )


def write_outputs(outputs: Mapping[str, str], environ: Mapping[str, str] | None = None) -> None:
    """Append step outputs to ``GITHUB_OUTPUT`` (a value of several lines goes between
    random delimiters, as the runner expects, so no value can end the block early)."""
    target = (os.environ if environ is None else environ).get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as stream:
        for name, value in outputs.items():
            if "\n" in value:
                delimiter = f"EOF_{secrets.token_hex(8)}"
                stream.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                stream.write(f"{name}={value}\n")


def append_summary(markdown: str, environ: Mapping[str, str] | None = None) -> None:
    """Add to the job summary (``GITHUB_STEP_SUMMARY``)."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as stream:
        stream.write(markdown.rstrip("\n") + "\n\n")
