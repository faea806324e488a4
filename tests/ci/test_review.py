"""The hand-off as code: one plan comment kept in place by its marker; the merge finds the
pull request it merged, the labels it carried when merged, and the saved plan of its
last head (``jhe_sync.ci.review``), over a fake GitHub."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from jhe_sync.ci.github import (
    ArtifactRef,
    CommentRef,
    GitHub,
    GitHubError,
    GitHubSettings,
    LabelEvent,
    PullRef,
)
from jhe_sync.ci.review import (
    ALLOW_DESTROY_LABEL,
    artifact_name,
    find_comment,
    find_review,
    labels_at,
    marker,
    merged_pull,
    plan_from_archive,
    reviewed_artifact,
    upsert_comment,
)

from .fake_pulls import BLOBS, TOKEN, FakePulls

HEAD, MERGE = "a" * 40, "m" * 40
MERGED_AT = "2026-12-01T10:00:00Z"


# -- the plan comment ----------------------------------------------------------------------


def test_the_first_plan_makes_one_comment_with_a_hidden_marker() -> None:
    github = FakePulls()
    with github.client() as client:
        assert upsert_comment(client, 7, "production", "## jhe-sync plan\n") == "created"
    [body] = github.bot_comments(7)
    assert body.startswith("<!-- jhe-sync:plan production -->\n## jhe-sync plan")


def test_every_later_plan_edits_the_same_comment_in_place() -> None:
    github = FakePulls()
    with github.client() as client:
        upsert_comment(client, 7, "production", "first")
        assert upsert_comment(client, 7, "production", "second") == "updated"
        assert upsert_comment(client, 7, "production", "second") == "unchanged"
    assert github.bot_comments(7) == ["<!-- jhe-sync:plan production -->\nsecond"]
    assert [m for m, _ in github.seen].count("POST") == 1


def test_each_exchange_keeps_its_own_comment() -> None:
    github = FakePulls()
    with github.client() as client:
        upsert_comment(client, 7, "staging", "staging plan")
        upsert_comment(client, 7, "production", "production plan")
        upsert_comment(client, 7, "staging", "staging plan again")
    assert len(github.bot_comments(7)) == 2


def test_a_person_quoting_the_marker_does_not_get_their_comment_overwritten() -> None:
    github = FakePulls()
    github.person_comments(7, f"why does {marker('production')} appear?")
    with github.client() as client:
        assert upsert_comment(client, 7, "production", "plan") == "created"
    assert github.comments[7][0]["body"].startswith("why does")


def test_the_comment_is_found_on_any_page() -> None:
    comments = [CommentRef(n, "chatter", by_bot=False) for n in range(150)]
    comments.append(CommentRef(999, f"{marker('default')}\nplan", by_bot=True))
    found = find_comment(comments, "default")
    assert found is not None and found.id == 999

    github = FakePulls()
    for n in range(150):
        github.person_comments(7, f"comment {n}")
    with github.client() as client:
        upsert_comment(client, 7, "default", "one")
        upsert_comment(client, 7, "default", "two")
    assert len(github.bot_comments(7)) == 1


@pytest.mark.parametrize("name", ["Production", "prod env", "x" * 80, "-lead", ""])
def test_an_exchange_name_that_cannot_mark_a_comment_is_refused(name: str) -> None:
    with pytest.raises(GitHubError, match="lower-case letters"):
        marker(name)


# -- what the merge finds ------------------------------------------------------------------


def test_the_pull_request_a_commit_merged_is_the_one_whose_merge_made_it() -> None:
    open_one = PullRef(3, MERGE, "", "")
    merged = PullRef(7, HEAD, MERGE, MERGED_AT)
    assert merged_pull([open_one, merged], MERGE) == merged
    assert merged_pull([open_one], MERGE) is None


def test_labels_are_those_carried_when_the_pull_request_was_merged() -> None:
    events = [
        LabelEvent("labeled", ALLOW_DESTROY_LABEL, "2026-12-01T09:00:00Z"),
        LabelEvent("labeled", "docs", "2026-12-01T09:10:00Z"),
        LabelEvent("unlabeled", "docs", "2026-12-01T09:20:00Z"),
        LabelEvent("labeled", "late", "2026-12-01T10:00:01Z"),
    ]
    assert labels_at(events, MERGED_AT) == {ALLOW_DESTROY_LABEL}
    removed = [*events, LabelEvent("unlabeled", ALLOW_DESTROY_LABEL, "2026-12-01T09:59:00Z")]
    assert labels_at(removed, MERGED_AT) == set()


def _artifact(id: int, head: str, at: str, expired: bool = False, name: str = "") -> ArtifactRef:
    return ArtifactRef(id, name or artifact_name("default"), head, id, expired, at, 10)


def test_the_reviewed_plan_is_the_newest_unexpired_artifact_of_the_last_head() -> None:
    name = artifact_name("default")
    artifacts = [
        _artifact(1, HEAD, "2026-12-01T08:00:00Z"),
        _artifact(2, HEAD, "2026-12-01T09:00:00Z"),
        _artifact(3, HEAD, "2026-12-01T09:30:00Z", expired=True),
        _artifact(4, "b" * 40, "2026-12-01T09:45:00Z"),
        _artifact(5, HEAD, "2026-12-01T09:50:00Z", name="other"),
    ]
    chosen = reviewed_artifact(artifacts, name, HEAD)
    assert chosen is not None and chosen.id == 2
    assert reviewed_artifact(artifacts, name, "c" * 40) is None


def _zip(**members: bytes) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return archive.getvalue()


def test_the_saved_plan_is_read_from_the_artifact_archive() -> None:
    assert plan_from_archive(_zip(**{"plan.json": b'{"a": 1}'})) == '{"a": 1}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a zip archive"),
        (_zip(**{"other.json": b"{}"}), "holds no plan.json"),
        (_zip(**{"plan.json": b"\xff\xfe"}), "not UTF-8"),
        (_zip(**{"plan.json": b"0" * 60_000_000}), "larger than"),
    ],
    ids=["not a zip", "no plan", "not text", "a zip bomb"],
)
def test_an_artifact_that_holds_no_usable_plan_is_one_line(data: bytes, message: str) -> None:
    with pytest.raises(GitHubError, match=message):
        plan_from_archive(data)


def _merged_with_plan(github: FakePulls, labelled_at: str | None) -> None:
    github.merged(7, HEAD, MERGE, MERGED_AT)
    if labelled_at:
        github.label(7, ALLOW_DESTROY_LABEL, labelled_at)
    github.upload(artifact_name("default"), HEAD, '{"plan": "reviewed"}', "2026-12-01T09:30:00Z")


def test_a_merged_pull_request_with_the_label_and_its_plan_allows_destroying() -> None:
    github = FakePulls()
    _merged_with_plan(github, "2026-12-01T09:00:00Z")
    with github.client() as client:
        review = find_review(client, MERGE, "default")
    assert review.pull is not None and review.pull.number == 7
    assert review.plan_text == '{"plan": "reviewed"}'
    assert review.allow_destroy and review.notes == ()
    assert any(host_path.startswith(BLOBS) for _, host_path in github.seen)


def test_a_label_added_after_the_merge_allows_nothing() -> None:
    github = FakePulls()
    _merged_with_plan(github, "2026-12-01T10:05:00Z")
    with github.client() as client:
        review = find_review(client, MERGE, "default")
    assert review.plan_text is not None and not review.allow_destroy
    assert "merged without the label jhe-sync:allow-destroy" in review.notes[0]


def test_without_a_saved_plan_the_label_is_ignored() -> None:
    github = FakePulls()
    github.merged(7, HEAD, MERGE, MERGED_AT)
    github.label(7, ALLOW_DESTROY_LABEL, "2026-12-01T09:00:00Z")
    with github.client() as client:
        review = find_review(client, MERGE, "default")
    assert review.plan_text is None and not review.allow_destroy
    assert "has no saved plan" in review.notes[0]
    assert "label jhe-sync:allow-destroy is ignored" in review.notes[1]


def test_a_direct_push_merged_no_pull_request_so_nothing_was_reviewed() -> None:
    with FakePulls().client() as client:
        review = find_review(client, MERGE, "default")
    assert review.pull is None and not review.allow_destroy
    assert "merged no pull request" in review.notes[0]


def test_an_artifact_redirect_off_https_is_refused_and_the_token_never_leaves_github() -> None:
    github = FakePulls(redirect_to=f"http://{BLOBS}")
    _merged_with_plan(github, "2026-12-01T09:00:00Z")
    with github.client() as client, pytest.raises(GitHubError, match="non-https") as raised:
        find_review(client, MERGE, "default")
    assert TOKEN not in str(raised.value)
    assert not any(host_path.startswith(BLOBS) for _, host_path in github.seen)


def test_a_missing_permission_names_the_one_needed() -> None:
    github = FakePulls()
    github.merged(7, HEAD, MERGE, MERGED_AT)

    def forbidden(request: httpx.Request) -> httpx.Response:
        if "actions/artifacts" in request.url.path:
            return httpx.Response(403, json={"message": "Resource not accessible by integration"})
        return github.handle(request)

    settings = GitHubSettings("lab/studies", TOKEN, "https://api.github.com")
    client = GitHub(settings, transport=httpx.MockTransport(forbidden), sleep=lambda s: None)
    with client, pytest.raises(GitHubError, match="permissions: actions: read"):
        find_review(client, MERGE, "default")
