"""The hand-off between a pull request's job and the merge job, as GitHub holds it.

The pull request's job plans, saves the plan as an artifact named after the exchange
(``artifact_name``) and keeps ONE comment holding it, found again by a hidden marker
(``upsert_comment``). The merge job finds what was reviewed (``find_review``): the pull
request the pushed commit merged, the labels it carried when it was merged (from its
label events, so a label added after the merge allows nothing), and the saved plan of
its last reviewed head commit. Permission to destroy travels with that pull request
(``ALLOW_DESTROY_LABEL``), never as an edit of the workflow.

The decisions are pure functions of what GitHub answered (``merged_pull``,
``labels_at``, ``reviewed_artifact``, ``plan_from_archive``); the two functions that
talk to GitHub only read and write through ``GitHub``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from jhe_sync.ci.github import ArtifactRef, CommentRef, GitHub, GitHubError, LabelEvent, PullRef

ALLOW_DESTROY_LABEL = "jhe-sync:allow-destroy"
"""The pull-request label that lets its reviewed destructive changes through on merge."""

PLAN_MEMBER = "plan.json"
"""The saved plan's name inside the artifact."""

MAX_PLAN_BYTES = 50_000_000
"""The most a saved plan may weigh once unpacked (an archive cannot inflate past it)."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def checked_name(name: str) -> str:
    """An exchange's name in CI (``production``): it names the comment's marker and the
    artifact, so it is kept to letters, digits, ``.``, ``_`` and ``-``."""
    if not _NAME.match(name):
        raise GitHubError(
            f"the name {name!r} is not usable for a comment marker and an artifact: use "
            "lower-case letters, digits, '.', '_' and '-' (e.g. production)"
        )
    return name


def marker(name: str) -> str:
    """The hidden line that finds the plan comment of exchange ``name`` again."""
    return f"<!-- jhe-sync:plan {checked_name(name)} -->"


def artifact_name(name: str) -> str:
    """What the pull request's job calls the artifact holding its saved plan."""
    return f"jhe-sync-plan-{checked_name(name)}"


def comment_with_marker(name: str, body: str) -> str:
    return f"{marker(name)}\n{body}"


def find_comment(comments: Iterable[CommentRef], name: str) -> CommentRef | None:
    """The plan comment of exchange ``name``: the first a bot wrote holding its marker
    (a person quoting the marker does not make their comment the plan's)."""
    wanted = marker(name)
    return next((c for c in comments if c.by_bot and wanted in c.body), None)


def upsert_comment(github: GitHub, number: int, name: str, body: str) -> str:
    """Keep one plan comment on pull request ``number``: create it, or edit it in place.
    Returns ``created``, ``updated`` or ``unchanged`` (nothing sent)."""
    text = comment_with_marker(name, body)
    found = find_comment(github.comments(number), name)
    if found is None:
        github.comment(number, text)
        return "created"
    if found.body == text:
        return "unchanged"
    github.edit_comment(found.id, text)
    return "updated"


def merged_pull(pulls: Sequence[PullRef], sha: str) -> PullRef | None:
    """The pull request whose merge made commit ``sha`` (merge, squash or rebase)."""
    return next((p for p in pulls if p.merged_at and p.merge_commit_sha == sha), None)


def labels_at(events: Iterable[LabelEvent], moment: str) -> frozenset[str]:
    """The labels a pull request carried at ``moment`` (ISO 8601, as GitHub writes it),
    replaying its label events up to then."""
    labels: set[str] = set()
    for event in sorted(events, key=lambda e: e.created_at):
        if event.created_at > moment:
            break
        if event.event == "labeled":
            labels.add(event.label)
        elif event.event == "unlabeled":
            labels.discard(event.label)
    return frozenset(labels)


def reviewed_artifact(
    artifacts: Iterable[ArtifactRef], name: str, head_sha: str
) -> ArtifactRef | None:
    """The newest unexpired artifact ``name`` made by a run for commit ``head_sha``: the
    plan of the pull request's last head, which its comment showed."""
    fitting = [a for a in artifacts if a.name == name and a.head_sha == head_sha and not a.expired]
    return max(fitting, key=lambda a: (a.created_at, a.id), default=None)


def plan_from_archive(data: bytes) -> str:
    """The saved plan inside an artifact's zip archive, as text."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(PLAN_MEMBER)
            except KeyError:
                raise GitHubError(f"the artifact holds no {PLAN_MEMBER}") from None
            if info.file_size > MAX_PLAN_BYTES:
                raise GitHubError(
                    f"the artifact's {PLAN_MEMBER} is larger than {MAX_PLAN_BYTES} bytes"
                )
            with archive.open(info) as member:
                raw = member.read(MAX_PLAN_BYTES + 1)
    except zipfile.BadZipFile:
        raise GitHubError("the artifact is not a zip archive") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise GitHubError(f"the artifact's {PLAN_MEMBER} is larger than {MAX_PLAN_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GitHubError(f"the artifact's {PLAN_MEMBER} is not UTF-8 text") from None


@dataclass(frozen=True)
class Review:
    """What the merge of commit ``sha`` was reviewed with: the pull request (None: the
    commit merged none, e.g. a direct push), whether destroying is allowed, and the
    saved plan its job made (None: not found). ``notes`` say what was missing."""

    sha: str
    pull: PullRef | None = None
    labels: frozenset[str] = frozenset()
    plan_text: str | None = None
    artifact: ArtifactRef | None = None
    allow_destroy: bool = False
    """The label was on the pull request when it was merged, and its saved plan was
    found: without the plan there is nothing to compare destructive changes with."""
    notes: tuple[str, ...] = field(default_factory=tuple)


def find_review(github: GitHub, sha: str, name: str, label: str = ALLOW_DESTROY_LABEL) -> Review:
    """Find what the pull request merged by ``sha`` reviewed (see ``Review``)."""
    pull = merged_pull(github.pulls_of_commit(sha), sha)
    if pull is None:
        return Review(
            sha,
            notes=(
                f"commit {sha[:12]} merged no pull request: nothing was reviewed, so no "
                "destructive change will be applied",
            ),
        )
    labels = labels_at(github.label_events(pull.number), pull.merged_at)
    artifact = reviewed_artifact(
        github.artifacts(artifact_name(name)), artifact_name(name), pull.head_sha
    )
    notes: list[str] = []
    plan_text = None
    if artifact is None:
        notes.append(
            f"pull request #{pull.number} has no saved plan for its head {pull.head_sha[:12]} "
            f"(artifact {artifact_name(name)}: never made, or expired): no destructive change "
            "will be applied"
        )
    else:
        plan_text = plan_from_archive(github.download_artifact(artifact.id))
    wanted = label in labels
    if wanted and plan_text is None:
        notes.append(f"the label {label} is ignored: there is no reviewed plan to hold it to")
    elif not wanted:
        notes.append(
            f"pull request #{pull.number} was merged without the label {label}: destructive "
            "changes are refused"
        )
    return Review(
        sha,
        pull=pull,
        labels=labels,
        plan_text=plan_text,
        artifact=artifact,
        allow_destroy=wanted and plan_text is not None,
        notes=tuple(notes),
    )
