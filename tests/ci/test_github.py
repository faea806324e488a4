"""The GitHub client: settings from the job's environment, issue calls, pages, retries
of reads only, and one-line errors that name the permission and never the token."""

from __future__ import annotations

import pytest

from ci.fake_github import REPO, TOKEN, FakeGitHub
from jhe_sync.ci.github import PER_PAGE, GitHubError, github_settings
from jhe_sync.errors import ConfigError


def test_settings_come_from_the_jobs_environment() -> None:
    settings = github_settings(
        {
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": "https://ghe.example.org/api/v3/",
        }
    )
    assert (settings.repository, settings.api_url) == (REPO, "https://ghe.example.org/api/v3")
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"GITHUB_TOKEN": TOKEN}, "GITHUB_REPOSITORY"),
        ({"GITHUB_REPOSITORY": REPO}, "GITHUB_TOKEN is not set"),
        (
            {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://x"},
            "not an https:// URL",
        ),
    ],
    ids=["no-repository", "no-token", "plain-http-api"],
)
def test_missing_or_unsafe_settings_say_what_to_set(
    environ: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        github_settings(environ)


def test_open_issues_are_read_page_by_page_without_pull_requests() -> None:
    fake = FakeGitHub()
    for n in range(PER_PAGE + 5):
        fake.add(f"issue {n}", "", ("jhe-sync-drift",), pr=n % 50 == 0)
    fake.add("other", "", ("bug",))
    with fake.client() as github:
        issues = github.open_issues("jhe-sync-drift")
    assert len(issues) == PER_PAGE + 5 - 3
    assert [s for s in fake.seen if s[0] == "GET"] == [("GET", f"/repos/{REPO}/issues")] * 2


def test_a_read_that_fails_transiently_is_retried() -> None:
    fake = FakeGitHub()
    fake.fail[("GET", f"/repos/{REPO}/issues")] = (502, 2)
    with fake.client() as github:
        assert github.open_issues("jhe-sync-drift") == []
    assert len(fake.seen) == 3


def test_a_write_is_sent_once_even_when_it_fails() -> None:
    fake = FakeGitHub()
    fake.fail[("POST", f"/repos/{REPO}/issues")] = (502, 1)
    with fake.client() as github, pytest.raises(GitHubError, match="answered 502"):
        github.create_issue("t", "b", ("jhe-sync-drift",))
    assert fake.seen == [("POST", f"/repos/{REPO}/issues")] and fake.issues == {}


def test_a_refusal_is_one_line_naming_the_permission_and_not_the_token() -> None:
    fake = FakeGitHub()
    fake.fail[("POST", f"/repos/{REPO}/issues")] = (403, 1)
    with fake.client() as github, pytest.raises(GitHubError) as raised:
        github.create_issue("t", "b")
    message = str(raised.value)
    assert "GitHub answered 403: Refused, token <redacted>" in message
    assert "permissions: issues: write" in message
    assert TOKEN not in message and "\n" not in message


def test_issues_are_created_edited_commented_and_closed() -> None:
    fake = FakeGitHub()
    with fake.client() as github:
        created = github.create_issue("Drift", "body", ("jhe-sync-drift",))
        github.update_issue(created.number, body="new body")
        github.comment(created.number, "agreed again")
        github.update_issue(created.number, state="closed", state_reason="completed")
    issue = fake.issues[created.number]
    assert (issue["body"], issue["state"], issue["state_reason"]) == (
        "new body",
        "closed",
        "completed",
    )
    assert fake.comments[created.number] == ["agreed again"]


def test_the_last_applied_commit_is_the_newest_successful_push_run_of_the_deploy() -> None:
    fake = FakeGitHub()
    run = {"workflow": "jhe-sync.yml", "head_branch": "main", "event": "push"}
    fake.runs = [
        {**run, "conclusion": "failure", "head_sha": "c" * 40},
        {**run, "event": "pull_request", "conclusion": "success", "head_sha": "p" * 40},
        {**run, "conclusion": "success", "head_sha": "b" * 40},
        {**run, "conclusion": "success", "head_sha": "a" * 40},
    ]
    with fake.client() as github:
        assert github.last_successful_run_sha("jhe-sync.yml", "main") == "b" * 40
        assert github.last_successful_run_sha("other.yml", "main") == ""


def test_a_workflow_github_cannot_show_names_the_permission() -> None:
    fake = FakeGitHub()
    fake.fail[("GET", f"/repos/{REPO}/actions/workflows/deploy.yml/runs")] = (404, 9)
    with fake.client() as github, pytest.raises(GitHubError, match="actions: read"):
        github.last_successful_run_sha("deploy.yml", "main")
