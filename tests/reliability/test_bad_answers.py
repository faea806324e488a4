"""An answer the exchange's API never gives (cut short, an HTML page, fields missing or
of the wrong type, pages that never end) is one readable line naming the request, and
nothing is written after it: not by ``plan``, not by ``apply``, not by a read-back.

The seeded local exchange answers through ``Spoiling``, a middleware that spoils the
answer to one request; everything else is the emulator as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from apply.helpers import ALLOW_ALL, plan_for

from jhe_sync.apply import apply_plan
from jhe_sync.apply.results import Outcome
from jhe_sync.errors import ExchangeError, ProtocolError
from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle import study_status
from jhe_sync.plan.change import ChangeKind
from jhe_sync.spec import SpecSource, load_desired
from reliability.conftest import Run
from reliability.helpers import (
    ENDLESS,
    Answer,
    Spoiler,
    Spoiling,
    html_page,
    ids_as_text,
    truncated,
    without_ids,
)

SPEC = """\
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood Pressure & Heart Rate
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure:4.0]
    data_sources: [iHealth]
    clients: [CareX]
    patients: [ll_patient_peter@example.com]
  - key: new
    name: New Study
    description: A new one.
    organization: Lifespan Lab
    scope_requests: [omh:heart-rate:2.0]
"""
"""Reads every kind of list a plan reads, and plans writes of every kind: a create,
link additions and removals, an unenrollment (whose impact needs a consent read)."""

STUDY_30001 = """\
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood Pressure & Heart Rate
    organization: Lifespan Lab
"""

OUTSIDER = SPEC + "    patients: [npl_patient_percy@example.com]\n"
"""Also looks a patient of another organization up by email."""

ENROLLMENTS_ONLY = STUDY_30001 + "    patients: [ll_patient_peter@example.com]\n"
"""Manages no other link set whose answer would nest the enrolled ids: reads them."""

READS: dict[str, tuple[bool, str]] = {
    # what plan reads for a spec: path -> (paginated, the spec)
    "/api/v1/users/profile": (False, SPEC),
    "/api/v1/organizations": (True, SPEC),
    "/api/v1/organizations/20003/studies": (False, SPEC),
    "/api/v1/data_sources": (True, SPEC),
    "/api/v1/clients": (True, SPEC),
    "/api/v1/data_sources/all_scopes": (False, SPEC),
    "/api/v1/patients": (True, SPEC),
    "/api/v1/studies/30001/data_sources": (False, SPEC),
    "/api/v1/studies/30001/scope_requests": (False, SPEC),
    "/api/v1/studies/30001/clients": (False, SPEC),
    "/api/v1/studies/30001/patients": (True, ENROLLMENTS_ONLY),
    "/api/v1/patients/40002/consents": (False, SPEC),
}

SPOILERS: dict[str, Spoiler] = {
    "truncated-json": truncated,
    "html-page": html_page,
    "missing-ids": without_ids,
    "ids-as-text": ids_as_text,
}

CASES = [
    pytest.param(path, spoiler, spec, id=f"{name}-{path.removeprefix('/api/v1/')}")
    for path, (paginated, spec) in READS.items()
    for name, spoiler in [
        *SPOILERS.items(),
        *((s.__name__.replace("_", "-"), s) for s in (ENDLESS if paginated else ())),
    ]
]


@pytest.fixture
def spec_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "studies.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def assert_one_readable_line(run: Run, naming: str) -> None:
    """Exit 1 and one line on stderr, ``Error: ...``, naming the request; no HTML, no
    traceback, no bug report, no plan on stdout."""
    assert run.code == 1, run.output
    assert run.out == ""
    assert run.err.endswith("\n") and run.err.count("\n") == 1, run.err
    assert run.err.startswith("Error: ") and naming in run.err, run.err
    assert len(run.err) < 300, run.err
    for sign in ("<", "Traceback", "This is a bug", "Sign in to", "encodeURIComponent"):
        assert sign not in run.err, run.err


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize(("path", "spoiler", "spec"), CASES)
def test_an_unreadable_answer_is_one_readable_line_and_nothing_is_written(
    path: str,
    spoiler: Spoiler,
    spec: str,
    command: str,
    jhe: Callable[..., Run],
    local: str,
    spoiling: Spoiling,
    spec_file: Callable[[str], Path],
) -> None:
    spoiling.spoil("GET", path, spoiler)
    extra = ("--auto-approve", "--allow-destroy") if command == "apply" else ()
    run = jhe(command, spec_file(spec), "--url", local, *extra)
    assert spoiling.spoiled, f"nothing read {path}"
    assert_one_readable_line(run, f"GET {path}")
    assert spoiling.writes() == []


@pytest.mark.parametrize("spoiler", SPOILERS.values(), ids=SPOILERS.keys())
def test_an_unreadable_patient_lookup_is_one_readable_line_and_nothing_is_written(
    spoiler: Spoiler,
    jhe: Callable[..., Run],
    local: str,
    spoiling: Spoiling,
    spec_file: Callable[[str], Path],
) -> None:
    spoiling.spoil("GET", "/api/v1/patients/global_lookup", spoiler)
    run = jhe("apply", spec_file(OUTSIDER), "--url", local, "--auto-approve", "--allow-destroy")
    assert spoiling.spoiled
    assert_one_readable_line(run, "GET /api/v1/patients/global_lookup")
    assert spoiling.writes() == []


def _no_token(answer: Answer, page: int) -> Answer:
    return answer.with_json({"token_type": "Bearer", "expires_in": 36000})


@pytest.mark.parametrize(
    "spoiler",
    [truncated, html_page, _no_token],
    ids=["truncated-json", "html-page", "no-access-token"],
)
def test_an_unreadable_token_answer_is_one_readable_line_and_nothing_is_sent(
    spoiler: Spoiler,
    jhe: Callable[..., Run],
    local: str,
    spoiling: Spoiling,
    spec_file: Callable[[str], Path],
) -> None:
    spoiling.spoil("POST", "/o/token/", spoiler)
    run = jhe("apply", spec_file(SPEC), "--url", local, "--auto-approve", "--allow-destroy")
    assert_one_readable_line(run, "POST /o/token/")
    assert spoiling.seen == [("POST", "/o/token/")]


def test_a_refused_login_is_one_readable_line_and_is_sent_once(
    jhe: Callable[..., Run],
    local: str,
    spoiling: Spoiling,
    spec_file: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_with = {"JHE_CLIENT_ID": "manager_mary", "JHE_CLIENT_SECRET": "not-the-secret-4711"}
    for name, value in run_with.items():
        monkeypatch.setenv(name, value)
    run = jhe("plan", spec_file(SPEC), "--url", local)
    assert_one_readable_line(run, "POST /o/token/")
    assert "not-the-secret-4711" not in run.err
    assert spoiling.seen == [("POST", "/o/token/")]


# -- pages that never end, at the source ------------------------------------------------


@pytest.mark.parametrize("spoiler", ENDLESS, ids=lambda s: s.__name__)
def test_a_list_whose_pages_never_end_is_a_protocol_error_after_its_count(
    spoiler: Spoiler, emulator: Any, connect: Callable[..., Exchange]
) -> None:
    app = Spoiling(emulator).spoil("GET", "/api/v1/organizations", spoiler)
    with pytest.raises(ProtocolError) as raised:
        connect(app, page_size=4).get_all("/api/v1/organizations")
    assert "GET /api/v1/organizations" in str(raised.value)
    # nine organizations, four a page: three pages, and one more to see it goes on
    assert app.seen.count(("GET", "/api/v1/organizations")) <= 4


def test_a_page_without_its_count_is_a_protocol_error(
    emulator: Any, connect: Callable[..., Exchange]
) -> None:
    def uncounted(answer: Answer, page: int) -> Answer:
        return answer.with_json({k: v for k, v in json.loads(answer.body).items() if k != "count"})

    app = Spoiling(emulator).spoil("GET", "/api/v1/organizations", uncounted)
    with pytest.raises(ProtocolError, match="GET /api/v1/organizations"):
        connect(app).get_all("/api/v1/organizations")


def test_observations_whose_pages_never_end_stop_at_their_count(
    emulator: Any, connect: Callable[..., Exchange]
) -> None:
    def one_patient_forever(answer: Answer, page: int) -> Answer:
        # Both enrolled patients uploaded; every page shows only the first one's uploads,
        # so a scan for the other would go on as long as the pages do.
        data = json.loads(answer.body)
        first = data["results"][0]["subjectPatientId"]
        results = [o for o in data["results"] if o["subjectPatientId"] == first]
        return answer.with_json({**data, "results": results, "next": "http://localhost/n"})

    desired = load_desired([SpecSource.from_text(STUDY_30001, "studies.yaml")], environ={})
    endless = Spoiling(emulator).spoil(
        "GET", "/api/v1/observations", one_patient_forever, endless=True
    )
    # five uploads, three a page: the count makes two pages
    study_status(connect(endless, page_size=3), desired, parallelism=1)
    assert endless.seen.count(("GET", "/api/v1/observations")) <= 2


# -- a read-back that cannot be read ------------------------------------------------------


def test_a_write_whose_read_back_is_unreadable_is_not_sent_again_and_fails_as_unknown(
    emulator: Any, scripted: Any, connect: Callable[..., Exchange]
) -> None:
    desired = load_desired([SpecSource.from_text(SPEC, "studies.yaml")], environ={})
    faulty = scripted(emulator).fail("POST", "/api/v1/studies", "after_commit")
    # the plan reads the study list once, apply again before its create; the read-back
    # after the 500 is the third read
    app = Spoiling(faulty).spoil("GET", "/api/v1/organizations/20003/studies", html_page, passed=2)
    exchange = connect(app)
    plan = plan_for(exchange, desired)
    result = apply_plan(exchange, plan, ALLOW_ALL, parallelism=1)
    assert app.seen.count(("POST", "/api/v1/studies")) == 1
    create = next(r for r in result.results if r.change.kind is ChangeKind.CREATE_STUDY)
    assert create.outcome is Outcome.FAILED
    assert "whether it happened is unknown" in create.reason
    assert "<" not in create.reason and "\n" not in create.reason
    after = [r for r in result.results if r.change.key == "new" and r is not create]
    assert after and all(r.outcome is Outcome.SKIPPED for r in after)


# -- the client alone ----------------------------------------------------------------------


def test_a_redirect_is_not_followed_and_the_token_stays_home() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/o/token/":
            return httpx.Response(200, json={"access_token": "t0k3n", "token_type": "Bearer"})
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})

    exchange = Exchange(
        "https://jhe.example.org",
        client_id="c",
        client_secret="s",
        transport=httpx.MockTransport(handler),
        sleep=lambda _: None,
    )
    with exchange, pytest.raises(ExchangeError) as raised:
        exchange.get_all("/api/v1/organizations")
    assert all(url.startswith("https://jhe.example.org/") for url in seen), seen
    assert raised.value.status == 302 and "\n" not in str(raised.value)


def test_a_next_link_to_another_host_is_never_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200,
            json={
                "count": 2,
                "next": "https://elsewhere.example/api/v1/organizations?page=2"
                if page == 1
                else None,
                "previous": None,
                "results": [{"id": page}],
            },
        )

    with Exchange(
        "https://jhe.example.org", token="t0k3n", transport=httpx.MockTransport(handler)
    ) as exchange:
        assert exchange.get_all("/api/v1/organizations") == [{"id": 1}, {"id": 2}]
    assert [url.split("?")[0] for url in seen] == [
        "https://jhe.example.org/api/v1/organizations"
    ] * 2
