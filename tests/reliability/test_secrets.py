"""Nothing jhe-sync prints or saves holds a credential or a patient's details.

Every command runs at the highest verbosity (``-vv``), and everything it writes is
searched: stdout, stderr, the saved plan, the journal, the exported files. The
exchange leaks a secret the way the real one does (manager_mary's practitioner API
client linked to a study the spec manages: ``GET /studies/30001/clients`` then holds
its plaintext ``clientSecret``, jhe-contract 137), and it is reached two ways: the
local exchange with a client id and secret, and a real HTTP emulator on 127.0.0.1
with a bearer token in ``JHE_TOKEN``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from apply.served import Served

from jhe_sync.emulator import SEED_PASSWORD, create_app
from jhe_sync.emulator.seed import USERS
from jhe_sync.exchange.responses import one_line_reason
from reliability.conftest import Run
from reliability.helpers import (
    MARYS_APPLICATION,
    PERSONAL_DATA,
    Answer,
    Spoiling,
    link_marys_client,
    token_for,
)

SPEC = """\
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: Blood Pressure & Heart Rate
    organization: Lifespan Lab
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    clients: [CareX]
    patients:
      - ll_patient_peter@example.com
      - {email: ll_patient_pamela@example.com, key: pamela}
  - key: pilot
    name: Pilot
    description: A new study.
    organization: Lifespan Lab
    clients: [CareX]
    patients: [ll_patient_pamela@example.com]
"""
"""Manages study 30001, whose client list then leaks mary's secret, and creates one."""


@dataclass
class Outputs:
    """Everything a series of commands showed or saved, to be searched."""

    texts: dict[str, str] = field(default_factory=dict)

    def add_run(self, name: str, run: Run) -> Run:
        self.texts[f"{name} (stdout)"] = run.out
        self.texts[f"{name} (stderr)"] = run.err
        return run

    def add_files(self, root: Path) -> None:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix != ".db" and ".db-" not in path.name:
                self.texts[str(path.relative_to(root))] = path.read_text(encoding="utf-8")

    def holding(self, secret: str) -> list[str]:
        return [name for name, text in self.texts.items() if secret in text]


def run_every_command(jhe: Callable[..., Run], work: Path, connection: list[str]) -> Outputs:
    """validate, plan (every format, and --out), show (every format), status (every
    format), export (with and without patients, and as json), invite (with and without
    links, and as json), and apply with a journal (as json) and again, all at -vv; each
    must succeed."""
    spec = work / "studies.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    saved, journal = work / "saved-plan.json", work / "journal.jsonl"
    outputs = Outputs()
    runs = {
        "validate": ["validate", spec],
        **{
            f"plan --format {f}": ["plan", spec, *connection, "-vv", "--format", f]
            for f in ("text", "json", "markdown")
        },
        "plan --out": ["plan", spec, *connection, "-vv", "--out", saved],
        **{
            f"show --format {f}": ["show", saved, "--format", f]
            for f in ("text", "json", "markdown")
        },
        **{
            f"status --format {f}": ["status", spec, *connection, "-vv", "--format", f]
            for f in ("text", "json", "markdown")
        },
        "export": ["export", *connection, "-vv", "--out", work / "exported"],
        "export --no-patients": [
            *("export", *connection, "-vv", "--no-patients", "--out", work / "anonymous")
        ],
        "export --format json": [
            *("export", *connection, "-vv", "--format", "json", "--out", work / "as-json")
        ],
        "invite --send-email": [
            *("invite", spec, *connection, "-vv", "--study", "bp-hr", "--client", "CareX"),
            *("--send-email", "--yes"),
        ],
        "invite --show-links": [
            *("invite", spec, *connection, "-vv", "--study", "bp-hr", "--client", "CareX"),
            *("--show-links", "--yes"),
        ],
        "invite --format json": [
            *("invite", spec, *connection, "-vv", "--study", "bp-hr", "--client", "CareX"),
            *("--format", "json", "--send-email", "--yes"),
        ],
        "apply --journal --format json": [
            *("apply", spec, *connection, "-vv", "--auto-approve", "--allow-destroy"),
            *("--ignore-destroy-threshold", "--journal", journal, "--format", "json"),
        ],
        "apply again": ["apply", spec, *connection, "-vv", "--auto-approve"],
    }
    for name, args in runs.items():
        run = outputs.add_run(name, jhe(*args))
        assert run.code == 0, f"{name}: {run.output}"
    outputs.add_files(work)
    assert {"saved-plan.json", "journal.jsonl"} <= set(outputs.texts)
    assert any(name.startswith("exported/") for name in outputs.texts)
    return outputs


def leaked_secrets(client: httpx.Client) -> list[str]:
    """Every ``clientSecret`` in the study-clients answer, mary's plaintext one first."""
    answer = client.get("/api/v1/studies/30001/clients")
    secrets = {entry["client"]["id"]: entry["client"]["clientSecret"] for entry in answer.json()}
    assert secrets[MARYS_APPLICATION] == SEED_PASSWORD, "the exchange no longer leaks it"
    return [secrets.pop(MARYS_APPLICATION), *secrets.values()]


PLAN_KEY = "plan-key-9f2c41d0b7e84a6c93d5e1f0a2b4c6d8"
"""A JHE_PLAN_KEY: it signs saved plans and must never be shown or saved itself."""


# -- with a client id and secret, in process ---------------------------------------------


def test_no_client_secret_token_or_leaked_secret_is_ever_shown_or_saved(
    jhe: Callable[..., Run],
    local: str,
    local_db: Path,
    spoiling: Spoiling,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link_marys_client(local_db)
    from jhe_sync.local import LOCAL_BASE_URL, LocalTransport

    with (
        create_app(db=str(local_db)) as app,
        httpx.Client(base_url=LOCAL_BASE_URL, transport=LocalTransport(app)) as raw,
    ):
        raw.headers["Authorization"] = f"Bearer {token_for(raw)}"
        leaked = leaked_secrets(raw)
    monkeypatch.setenv("JHE_CLIENT_ID", "manager_mary")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    monkeypatch.setenv("JHE_PLAN_KEY", PLAN_KEY)
    work = tmp_path / "work"
    work.mkdir()
    outputs = run_every_command(jhe, work, ["--url", local])
    assert ("GET", "/api/v1/studies/30001/clients") in spoiling.seen
    tokens = spoiling.credentials - {SEED_PASSWORD}
    assert tokens and SEED_PASSWORD in spoiling.credentials
    assert '"signature": "hmac-sha256:' in outputs.texts["saved-plan.json"]
    for secret in [*leaked, *tokens, PLAN_KEY]:
        assert outputs.holding(secret) == [], f"{secret[:12]}... was shown or saved"
    for detail in PERSONAL_DATA:
        assert outputs.holding(detail) == [], f"{detail!r} was shown or saved"


# -- with a bearer token, over real HTTP ------------------------------------------------


@pytest.fixture
def served(local_db: Path) -> Iterator[Served]:
    link_marys_client(local_db)
    server = Served(local_db)
    yield server
    server.close()


def test_no_bearer_token_or_leaked_secret_is_ever_shown_or_saved_over_http(
    jhe: Callable[..., Run], served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=served.url) as raw:
        token = token_for(raw)
        raw.headers["Authorization"] = f"Bearer {token}"
        leaked = leaked_secrets(raw)
    monkeypatch.setenv("JHE_URL", served.url)
    monkeypatch.setenv("JHE_TOKEN", token)
    monkeypatch.setenv("JHE_PLAN_KEY", PLAN_KEY)
    work = tmp_path / "work"
    work.mkdir()
    outputs = run_every_command(jhe, work, [])
    for secret in [token, *leaked, PLAN_KEY]:
        assert outputs.holding(secret) == [], f"{secret[:12]}... was shown or saved"
    for detail in PERSONAL_DATA:
        assert outputs.holding(detail) == [], f"{detail!r} was shown or saved"


def test_commands_store_nothing_but_what_they_are_asked_to(
    jhe: Callable[..., Run], served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cache, no state file: against an exchange, only ``--out`` and ``--journal``
    write, and only where they are told."""
    home, cwd, specs = tmp_path / "home", tmp_path / "cwd", tmp_path / "specs"
    for folder in (home, cwd, specs, tmp_path / "asked"):
        folder.mkdir()
    spec = specs / "studies.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("JHE_URL", served.url)
    monkeypatch.setenv("JHE_CLIENT_ID", "manager_mary")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    for args in (
        ["validate", spec],
        ["plan", spec, "-vv"],
        ["status", spec],
        ["invite", spec, "--study", "bp-hr", "--client", "CareX", "--send-email", "--yes"],
        ["apply", spec, "--auto-approve", "--allow-destroy", "--ignore-destroy-threshold"],
        ["plan", spec, "--out", tmp_path / "asked" / "plan.json"],
    ):
        run = jhe(*args)
        assert run.code == 0, run.output
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    assert [p.name for p in specs.iterdir()] == ["studies.yaml"]
    assert [p.name for p in (tmp_path / "asked").iterdir()] == ["plan.json"]


# -- a server that echoes credentials ---------------------------------------------------


def _echoing(spoiling: Spoiling, status: int) -> Callable[[Answer, int], Answer]:
    """An error answer whose text repeats every credential the request carried, as a
    careless proxy or a debug page might."""

    def spoil(answer: Answer, page: int) -> Answer:
        said = " and ".join(sorted(spoiling.credentials))
        return Answer(
            status,
            [("Content-Type", "application/json")],
            json.dumps({"detail": f"credentials {said} are not valid here"}).encode(),
        )

    return spoil


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/o/token/", 401),
        ("GET", "/api/v1/organizations", 403),
        ("POST", "/api/v1/studies", 400),
        ("DELETE", "/api/v1/studies/30001/scope_requests", 500),
    ],
    ids=["login", "read", "refused-write", "failed-write"],
)
def test_a_credential_the_server_echoes_in_an_error_is_never_shown_or_saved(
    method: str,
    path: str,
    status: int,
    jhe: Callable[..., Run],
    local: str,
    spoiling: Spoiling,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = tmp_path / "studies.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    journal = tmp_path / "journal.jsonl"
    monkeypatch.setenv("JHE_CLIENT_ID", "manager_mary")
    monkeypatch.setenv("JHE_CLIENT_SECRET", SEED_PASSWORD)
    spoiling.spoil(method, path, _echoing(spoiling, status))
    run = jhe(
        *("apply", spec, "--url", local, "-vv", "--auto-approve", "--allow-destroy"),
        *("--ignore-destroy-threshold", "--journal", journal),
    )
    assert spoiling.spoiled, run.output
    shown = run.output + (journal.read_text(encoding="utf-8") if journal.exists() else "")
    assert spoiling.credentials
    for secret in spoiling.credentials:
        assert secret not in shown, f"{secret[:12]}... was shown or saved"
    assert "are not valid here" in shown


def test_a_credential_cut_by_the_length_limit_of_a_reason_is_still_redacted() -> None:
    secret = "s3cr3t-" + "x" * 40
    for padding in range(150, 210, 7):
        body = {"detail": "a" * padding + f" {secret} and more"}
        response = httpx.Response(500, json=body)
        reason = one_line_reason(response, [secret])
        assert secret[:7] not in reason and len(reason) <= 200


@pytest.mark.parametrize("command", ["plan", "apply", "status", "export", "invite"])
def test_a_client_secret_is_never_accepted_as_a_flag(command: str, jhe: Callable[..., Run]) -> None:
    run = jhe(command, "--client-secret", "s3cr3t-flag-value", "--help")
    assert run.code == 1
    assert re.search(r"No such option:? '?--client-secret", run.err), run.err


# -- personal data ------------------------------------------------------------------------

CALLERS: dict[str, str] = {
    # caller: a spec that unenrolls every patient of the caller's organizations (so the
    # plan reads their consents, whose answers hold the patient's details) and enrolls
    # them in a new study
    "manager_mary": """\
version: 1
studies:
  - {key: bp-hr, name: Lifespan Study on BP & HR, description: d, organization: Lifespan Lab,
     patients: []}
  - {key: bp, name: Lifespan Study on BP, description: d, organization: Lifespan Lab,
     patients: [ll_patient_peter@example.com]}
  - {key: new, name: New, description: d, organization: Lifespan Lab,
     patients: [ll_patient_peter@example.com, 40002]}
""",
    "manager_mark": """\
version: 1
studies:
  - {key: bt, name: Nep Pulse Lab Study on BT, description: d, organization: Neptunian Pulse Lab,
     patients: []}
  - {key: bgl, name: Cardiology Div Study on BGL, description: d, organization: Cardiology Division,
     patients: []}
  - {key: new, name: New, description: d, organization: Neptunian Pulse Lab,
     patients: [npl_patient_percy@example.com]}
""",
    "three_org_tom": """\
version: 1
studies:
  - {key: o2, name: Cosmic Cardio Lab Study on O2, description: d, organization: Cosmic Cardio Lab,
     patients: []}
  - {key: new, name: New, description: d, organization: Cosmic Cardio Lab,
     patients: [ccl_patient_paul@example.com, ccl_cardio_patient_pat@example.com]}
""",
}

OUTSIDERS = """\
version: 1
studies:
  - key: bp-hr
    name: Lifespan Study on BP & HR
    description: d
    organization: Lifespan Lab
    patients:
      - npl_patient_percy@example.com
      - 40004
      - ccl_cardio_patient_pat@example.com
"""
"""Patients of other organizations: looked up one by one, then refused by name of key."""


def test_the_personal_data_values_are_the_seeded_patients() -> None:
    assert len([u for u in USERS if u.patient is not None]) == 5
    assert {"Taylor", "LlPatientPeter", "1992-12-22", "+1-581-073-5472"} <= set(PERSONAL_DATA)


@pytest.mark.parametrize("caller", CALLERS)
def test_plans_and_status_never_show_a_patients_name_birth_date_or_phone(
    caller: str,
    jhe: Callable[..., Run],
    local: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JHE_CLIENT_ID", caller)
    spec = tmp_path / "studies.yaml"
    spec.write_text(CALLERS[caller], encoding="utf-8")
    saved = tmp_path / "saved-plan.json"
    outputs = Outputs()
    for form in ("text", "json", "markdown"):
        plan = outputs.add_run(
            f"plan {form}", jhe("plan", spec, "--url", local, "-vv", "--format", form)
        )
        assert plan.code == 0 and "unenroll" in plan.out, plan.output
        status = outputs.add_run(
            f"status {form}", jhe("status", spec, "--url", local, "-vv", "--format", form)
        )
        assert status.code == 0, status.output
    outputs.add_run("plan --out", jhe("plan", spec, "--url", local, "--out", saved))
    outputs.add_files(tmp_path)
    for detail in PERSONAL_DATA:
        assert outputs.holding(detail) == [], f"{detail!r} was shown or saved"


def test_a_plan_refusing_patients_of_other_organizations_never_shows_their_details(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = tmp_path / "studies.yaml"
    spec.write_text(OUTSIDERS, encoding="utf-8")
    run = jhe("plan", spec, "--url", local, "-vv")
    assert run.code == 1 and "40004" in run.err, run.output
    for detail in PERSONAL_DATA:
        assert detail not in run.output, f"{detail!r} was shown"


def test_an_export_lists_patients_by_email_only_and_without_patients_not_at_all(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    assert jhe("export", "--url", local, "--out", tmp_path / "with").code == 0
    assert jhe("export", "--url", local, "--no-patients", "--out", tmp_path / "without").code == 0
    exported = Outputs()
    exported.add_files(tmp_path)
    assert exported.holding("ll_patient_peter@example.com") == ["with/lifespan-lab.yaml"]
    for detail in PERSONAL_DATA:
        assert exported.holding(detail) == [], f"{detail!r} was exported"
    without = "".join(t for n, t in exported.texts.items() if n.startswith("without/"))
    assert "@example.com" not in without.replace("manager_mary@example.com", "")
