"""Removing a data source or a client says what it stops (issue 18): the consented scopes
that lose their last data source, and how many enrolled patients may connect through a
removed client, in text, markdown and json.

Seeded study 30001 requests blood pressure, heart rate and questionnaires; CareX
supports the first two, Questionnaire the third; its clients are CareX and Patient
Access; Peter and Pamela are enrolled and consented to all three scopes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import Run, write


def _spec(tmp_path: Path, data_sources: list[str], clients: list[str]) -> Path:
    return write(
        tmp_path,
        "spec.yaml",
        "version: 1\nstudies:\n  - key: bp-hr\n    id: 30001\n"
        "    name: Lifespan Study on BP & HR\n    description: Blood Pressure & Heart Rate\n"
        "    organization: Lifespan Lab\n"
        "    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0, QuestionnaireResponse]\n"
        f"    data_sources: {json.dumps(data_sources)}\n    clients: {json.dumps(clients)}\n",
    )


QUESTIONNAIRE_STOPS = (
    "impact: 2 enrolled patients; consented scopes left without any data source, whose "
    'collection stops: "QuestionnaireResponse" (2 consented, 2 consent records)'
)
ONE_CLIENT_LEFT = (
    "impact: 2 enrolled patients (2 consented) may connect through it; the study keeps "
    "1 other client"
)


def test_removing_the_only_data_source_of_a_consented_scope_says_its_collection_stops(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, ["CareX"], ["CareX"])

    text = jhe("plan", spec, "--url", local).out
    markdown = jhe("plan", spec, "--url", local, "--format", "markdown").out

    assert '- remove data source "Questionnaire" (id 70005)' in text
    assert f"      ! {QUESTIONNAIRE_STOPS}" in text
    assert (f'remove data source "Questionnaire" (id 70005) — {QUESTIONNAIRE_STOPS}') in markdown


def test_removing_a_client_says_how_many_patients_may_connect_through_it(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, ["CareX", "Questionnaire"], ["CareX"])

    text = jhe("plan", spec, "--url", local).out
    markdown = jhe("plan", spec, "--url", local, "--format", "markdown").out

    assert f"      ! {ONE_CLIENT_LEFT}" in text
    assert f'remove client "Patient Access" (id 3) — {ONE_CLIENT_LEFT}' in markdown


def test_removing_every_data_source_and_client_names_each_scope_and_the_last_client(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, [], [])

    changes = json.loads(jhe("plan", spec, "--url", local, "--format", "json").out)["changes"]

    impacts = {(c["kind"], c["link_label"]): c["impact"] for c in changes}
    carex = impacts[("remove_data_source", "CareX")]
    assert carex["scopes_without_source"] == ["omh:blood-pressure:4.0", "omh:heart-rate:2.0"]
    assert (carex["enrolled"], carex["consented"], carex["consents"]) == (2, 2, 4)
    assert carex["links_left"] == 0
    questionnaire = impacts[("remove_data_source", "Questionnaire")]
    assert questionnaire["scopes_without_source"] == ["QuestionnaireResponse"]
    for client in ("CareX", "Patient Access"):
        assert impacts[("remove_client", client)]["links_left"] == 0
        assert impacts[("remove_client", client)]["enrolled"] == 2
    text = jhe("plan", spec, "--url", local).out
    assert text.count("it is the study's last client: no patient can connect to the study") == 2


def test_a_data_source_whose_scopes_another_one_supports_stops_nothing(
    jhe: Callable[..., Run], local: str, tmp_path: Path
) -> None:
    # iHealth supports heart rate too: removing CareX then leaves only blood pressure
    # without a source.
    spec = _spec(tmp_path, ["iHealth", "Questionnaire"], ["CareX", "Patient Access"])

    changes = json.loads(jhe("plan", spec, "--url", local, "--format", "json").out)["changes"]

    (carex,) = [c for c in changes if c["kind"] == "remove_data_source"]
    assert carex["impact"]["scopes_without_source"] == ["omh:blood-pressure:4.0"]
    assert carex["impact"]["links_left"] == 2
