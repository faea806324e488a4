"""A fresh emulator holds exactly the reference data the recordings show.

Each case asks a fresh emulator what a recording asked the freshly seeded real server,
and compares the catalogue facts in the two answers: ids, names, codes and links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from contract.recordings import CONTRACT_DIR, load, require_recordings
from jhe_sync.emulator import EmulatorApp, create_app

require_recordings()

Facts = Callable[[Any], Any]


def _orgs(body: Any) -> Any:
    return [(o["id"], o["name"], o["type"], o["partOf"]) for o in body["results"]]


def _codes(items: list[dict[str, Any]]) -> Any:
    return [(c["id"], c["codingSystem"], c["codingCode"], c["text"]) for c in items]


def _data_sources(body: Any) -> Any:
    return [
        (d["id"], d["name"], d["type"], [s["id"] for s in d["supportedScopes"]])
        for d in body["results"]
    ]


def _clients(body: Any) -> Any:
    return [(c["id"], c["name"], c["clientId"], c["invitationUrl"]) for c in body["results"]]


def _studies(items: list[dict[str, Any]]) -> Any:
    return [(s["id"], s["name"], s["description"], s["organization"]) for s in items]


def _links(other: str) -> Facts:
    """(link id, study id, linked id, enrolled patient ids) of a study sub-resource."""
    return lambda body: [
        (x["id"], x["study"]["id"], x[other]["id"], x["study"]["patients"]) for x in body
    ]


def _roles(body: Any) -> Any:
    return [(u["id"], u["email"], u["role"]) for u in body]


def _patients(items: list[dict[str, Any]]) -> Any:
    return [
        (
            p["id"],
            p["jheUserId"],
            p["telecomEmail"],
            [(i["id"], i["system"], i["value"]) for i in p["identifiers"]],
            [o["id"] for o in p["organizations"]],
        )
        for p in items
    ]


def _consents(body: Any) -> Any:
    return {
        "consolidated": [c["id"] for c in body["consolidatedConsentedScopes"]],
        "pending": [
            (s["id"], [c["code"]["id"] for c in s["pendingScopeConsents"]])
            for s in body["studiesPendingConsent"]
        ],
        "consented": [
            (s["id"], [c["code"]["id"] for c in s["scopeConsents"]]) for s in body["studies"]
        ],
        "data sources": [(s["id"], [d["id"] for d in s["dataSources"]]) for s in body["studies"]],
    }


CATALOGUE: list[tuple[str, Facts]] = [
    ("016-orgs-list.json", _orgs),
    (
        "028-orgs-tree-20001.json",
        lambda b: (b["id"], b["children"][0]["id"], b["children"][0]["children"][0]["id"]),
    ),
    ("029-orgs-types.json", lambda b: b),
    ("036-data-sources-all-scopes.json", _codes),
    ("032-data-sources-list.json", _data_sources),
    (
        "035-data-sources-supported-scopes-70001.json",
        lambda b: [(x["id"], x["scopeCode"]["id"]) for x in b],
    ),
    ("037-clients-list.json", _clients),
    ("039-clients-data-sources-1.json", lambda b: [d["id"] for d in b]),
    (
        "040-studies-list-org-20003.json",
        lambda b: _studies([{**s, "organization": s["organization"]["id"]} for s in b["results"]]),
    ),
    ("027-orgs-studies-20006-not-member.json", _studies),
    ("086-scope-requests-get-seeded-30001.json", _links("scopeCode")),
    ("104-scope-requests-get-other-org-study.json", _links("scopeCode")),
    ("110-study-data-sources-get-seeded-30001.json", _links("dataSource")),
    ("122-study-data-sources-get-other-org.json", _links("dataSource")),
    ("125-study-clients-get-seeded-30001.json", _links("client")),
    ("024-orgs-users-20003.json", _roles),
    ("025-orgs-users-20007-not-member.json", _roles),
    (
        "014-users-list.json",
        lambda b: (b["count"], [(u["id"], u["email"], u["userType"]) for u in b["results"]]),
    ),
    ("142-patients-list-org-20003.json", lambda b: _patients(b["results"])),
    ("148-patients-get-other-org-40003.json", lambda b: _patients([b])),
    ("158-study-patients-get-30001.json", lambda b: _patients(b["results"])),
    ("151-patients-consents-40001.json", _consents),
    ("012-users-profile.json", lambda b: (b["id"], b["settings"])),
]

CLIENT_OF = {"mary(cc)": "manager_mary"}


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    app = create_app(db=":memory:")
    yield app
    app.close()


@pytest.mark.parametrize(("name", "facts"), CATALOGUE, ids=[name for name, _ in CATALOGUE])
def test_the_seeded_catalogue_matches_the_recording(
    app: EmulatorApp, name: str, facts: Facts
) -> None:
    recording = load(CONTRACT_DIR / name)
    request = recording["request"]
    token = app.issue_token(CLIENT_OF[request["as_user"]])
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as client:
        answer = client.get(
            request["path"], params=request["query"], headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200
    assert facts(answer.json()) == facts(recording["response"]["body"])
