"""The steps of the jhe-sync GitHub Action (``action.yml``), one command each, so that
every step holds only the secret it needs:

    plan mode   ci plan     exchange credentials   plan, save (signed), write the comment
                ci comment  GITHUB_TOKEN           keep the one plan comment of the PR
    apply mode  ci review   GITHUB_TOKEN           the merged PR, its labels at merge, its plan
                ci apply    exchange credentials   apply what was reviewed

Steps hand files to each other in ``out_dir`` (the plan, the comment, the reviewed plan
and what the review found), never values spliced into the workflow's YAML. Each step
writes its outputs and the job summary and returns 0 once they are written, whatever
the plan or apply said: the action's last step fails the job (``failed`` output), after
the comment is posted and the artifacts uploaded.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jhe_sync.ci.actions import append_summary, pull_request_event, write_outputs
from jhe_sync.ci.github import GitHub, GitHubSettings, github_settings
from jhe_sync.ci.report import apply_summary, failed_comment, plan_comment
from jhe_sync.ci.review import artifact_name, checked_name, find_review, upsert_comment
from jhe_sync.commands import (
    ApplyRequest,
    CiApplyRequest,
    CiCommentRequest,
    CiPlanRequest,
    CiReviewRequest,
    Safeguards,
    Terminal,
)
from jhe_sync.errors import EXIT_CHANGES, EXIT_OK, EXIT_REFUSED, ConfigError, JheSyncError
from jhe_sync.plan.serialize import save_plan
from jhe_sync.workflow import (
    apply_command,
    exchange_from,
    load,
    make_plan,
    plan_signing_key,
    policy_from,
    rendered,
)

PLAN_FILE = "plan.json"
COMMENT_FILE = "comment.md"
REVIEWED_FILE = "reviewed-plan.json"
REVIEW_FILE = "review.json"


def ci_plan_command(terminal: Terminal, request: CiPlanRequest) -> int:
    """Plan the pull request's spec; save the plan (signed with ``JHE_PLAN_KEY``) and the
    comment in ``out_dir``. Destructive changes are allowed only when the pull request
    carries the label; a missing write role does not fail the job (a viewer may plan)."""
    out = _folder(request.out_dir)
    name = checked_name(request.name)
    event = pull_request_event(request.event)
    labelled = event is not None and request.label in event.labels
    try:
        desired = load(request.spec)
        policy = policy_from(Safeguards(allow_destroy=("*",) if labelled else ()), desired)
        key = plan_signing_key()
        with exchange_from(request.connection) as exchange:
            plan, live = make_plan(exchange, desired, request.connection.parallelism)
        with open(out / PLAN_FILE, "w", encoding="utf-8") as stream:
            save_plan(plan, stream, key)
    except JheSyncError as error:
        body = failed_comment(str(error), error.exit_code)
        (out / COMMENT_FILE).write_text(body, encoding="utf-8")
        terminal.echo(f"Error: {error}", err=True)
        append_summary(body)
        write_outputs(_plan_outputs(error.exit_code, False, False, False, str(error)))
        return EXIT_OK
    refusals = plan.refusals(policy, live)
    blocking = [r for r in refusals if r.reason != "role"]
    roles = [r for r in refusals if r.reason == "role"]
    terminal.echo(rendered(plan, "text", terminal.color, refusals), nl=False)
    artifact = artifact_name(name)
    markdown = rendered(plan, "markdown", False, blocking, f"artifact {artifact}")
    body = plan_comment(
        markdown,
        role_refusals=roles,
        destructive=len(plan.destructive_changes()),
        label=request.label,
        labelled=labelled,
        head_sha=event.head_sha if event else "",
        artifact=artifact,
    )
    (out / COMMENT_FILE).write_text(body, encoding="utf-8")
    append_summary(body)
    code = EXIT_REFUSED if blocking else (EXIT_CHANGES if not plan.empty else EXIT_OK)
    reason = (
        f"apply would refuse this plan ({len(blocking)} refusal(s)); see the plan comment"
        if blocking
        else ""
    )
    write_outputs(_plan_outputs(code, not plan.empty, bool(blocking), bool(roles), reason))
    return EXIT_OK


def _plan_outputs(
    code: int, changes: bool, refused: bool, read_only: bool, reason: str
) -> dict[str, str]:
    return {
        "exit-code": str(code),
        "has-changes": _flag(changes),
        "refused": _flag(refused),
        "read-only": _flag(read_only),
        "failed": _flag(code not in (EXIT_OK, EXIT_CHANGES)),
        "failure": reason,
    }


ConnectGitHub = Callable[[GitHubSettings], GitHub]
"""How a step opens GitHub: ``GitHub`` itself; a test gives one over a fake transport."""


def ci_comment_command(
    terminal: Terminal, request: CiCommentRequest, connect: ConnectGitHub = GitHub
) -> int:
    """Create the pull request's plan comment, or edit it in place."""
    event = pull_request_event(request.event)
    if event is None:
        terminal.echo("Not a pull request: no comment to keep.", err=True)
        return EXIT_OK
    body = (Path(request.out_dir) / COMMENT_FILE).read_text(encoding="utf-8")
    with connect(github_settings()) as github:
        done = upsert_comment(github, event.number, checked_name(request.name), body)
    terminal.echo(f"Plan comment {done} on pull request #{event.number}.", err=True)
    return EXIT_OK


@dataclass(frozen=True)
class _Found:
    """What ``ci review`` hands ``ci apply`` (``review.json``)."""

    sha: str
    pull: int | None
    pull_url: str
    allow_destroy: bool
    reviewed_plan: str | None
    notes: list[str]


def ci_review_command(
    terminal: Terminal, request: CiReviewRequest, connect: ConnectGitHub = GitHub
) -> int:
    """Find the pull request the pushed commit merged, its labels when it was merged and
    its saved plan; write them in ``out_dir`` for ``ci apply``."""
    out = _folder(request.out_dir)
    with connect(github_settings()) as github:
        review = find_review(github, request.sha, checked_name(request.name), request.label)
    reviewed: str | None = None
    if review.plan_text is not None:
        (out / REVIEWED_FILE).write_text(review.plan_text, encoding="utf-8")
        reviewed = str(out / REVIEWED_FILE)
    found = _Found(
        sha=request.sha,
        pull=review.pull.number if review.pull else None,
        pull_url=review.pull.url if review.pull else "",
        allow_destroy=review.allow_destroy,
        reviewed_plan=reviewed,
        notes=list(review.notes),
    )
    (out / REVIEW_FILE).write_text(json.dumps(asdict(found), indent=2) + "\n", encoding="utf-8")
    for note in review.notes:
        terminal.echo(f"Note: {note}", err=True)
    write_outputs(
        {
            "pull-request": str(found.pull or ""),
            "allow-destroy": _flag(found.allow_destroy),
            "reviewed": _flag(reviewed is not None),
        }
    )
    return EXIT_OK


def ci_apply_command(terminal: Terminal, request: CiApplyRequest) -> int:
    """Apply what ``ci review`` found was reviewed: the merged spec, its destructive
    changes held to the reviewed plan (``fresh``), or the reviewed plan itself
    (``saved``); destructive changes only with the label at merge."""
    if request.source not in ("fresh", "saved"):
        raise ConfigError(f"plan source {request.source!r}: expected fresh or saved")
    found = _read_review(Path(request.out_dir))
    reviewed = found.get("reviewed_plan")
    allow = bool(found.get("allow_destroy")) and reviewed is not None
    safeguards = Safeguards(allow_destroy=("*",) if allow else ())
    if request.source == "saved" and reviewed is None:
        reason = "no reviewed plan was found, so there is no saved plan to apply"
        terminal.echo(f"Error: {reason}", err=True)
        write_outputs(_apply_outputs(EXIT_REFUSED, False, True, reason))
        return EXIT_OK
    apply = ApplyRequest(
        connection=request.connection,
        spec=request.spec if request.source == "fresh" else None,
        plan_file=reviewed if request.source == "saved" else None,
        reviewed=reviewed if request.source == "fresh" else None,
        safeguards=safeguards,
        auto_approve=True,
        journal=request.journal,
        output_format="json",
    )
    document = io.StringIO()

    def echo(message: str = "", *, nl: bool = True, err: bool = False) -> None:
        if err:
            terminal.echo(message, nl=nl, err=True)
        else:
            document.write(message + ("\n" if nl else ""))

    quiet = Terminal(
        echo=echo,
        color=terminal.color,
        progress=terminal.progress,
        interruptible=terminal.interruptible,
    )
    try:
        # Nothing reviewed (no pull request, no saved plan): without the allow, every
        # destructive change is refused; additive ones of the merged spec go through.
        code = apply_command(quiet, apply)
    except JheSyncError as error:
        terminal.echo(f"Error: {error}", err=True)
        code = error.exit_code
    result = _result(document.getvalue())
    status = str(result.get("status", "not applied"))
    summary = result.get("summary") if isinstance(result.get("summary"), dict) else {}
    done = int((summary or {}).get("done", 0))
    counts = str((summary or {}).get("text", f"exit code {code}"))
    append_summary(apply_summary(status, counts, found.get("notes", []), found.get("pull_url", "")))
    write_outputs(
        _apply_outputs(code, done > 0, code == EXIT_REFUSED, "" if code == EXIT_OK else counts)
    )
    return EXIT_OK


def _apply_outputs(code: int, changes: bool, refused: bool, reason: str) -> dict[str, str]:
    return {
        "exit-code": str(code),
        "has-changes": _flag(changes),
        "refused": _flag(refused),
        "failed": _flag(code != EXIT_OK),
        "failure": reason,
    }


def _read_review(out: Path) -> dict[str, Any]:
    path = out / REVIEW_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(
            f"{path}: no review to apply; run `jhe-sync ci review` first (the action does)"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a review written by jhe-sync ci review")
    return data


def _result(text: str) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        if isinstance(data, dict):
            return data
    return {}


def _folder(path: str) -> Path:
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{path}: cannot make the folder ({error.strerror or error})") from None
    return folder


def _flag(value: bool) -> str:
    return "true" if value else "false"


__all__ = [
    "ci_apply_command",
    "ci_comment_command",
    "ci_plan_command",
    "ci_review_command",
]
