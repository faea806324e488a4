"""Organization writes change the database as the real server's do (FINDINGS "Organizations")."""

from __future__ import annotations

import httpx

from emulator.helpers import client_for, create_organization, create_study
from jhe_sync.emulator import EmulatorApp

BLOOD_PRESSURE = {
    "coding_system": "https://w3id.org/openmhealth",
    "coding_code": "omh:blood-pressure:4.0",
    "consented": True,
}


def test_deleting_an_organization_takes_its_children_their_studies_and_consents(
    app: EmulatorApp, client: httpx.Client
) -> None:
    parent = create_organization(client, "Parent", part_of=20003)
    child = create_organization(client, "Child", part_of=parent)
    study = create_study(client, child)
    client.post(f"/api/v1/studies/{study}/scope_requests", json={"scope_code_id": 50002})
    client.patch(f"/api/v1/patients/40002/global_add_organization?organization_id={child}")
    client.post(f"/api/v1/studies/{study}/patients", json={"patient_ids": [40002]})
    consent = client.post(
        "/api/v1/patients/40002/consents",
        json={"study_scope_consents": [{"study_id": study, "scope_consents": [BLOOD_PRESSURE]}]},
    )
    assert consent.status_code == 201

    assert client.delete(f"/api/v1/organizations/{parent}").status_code == 204

    assert client.get(f"/api/v1/organizations/{child}").status_code == 404
    assert client.get(f"/api/v1/studies/{study}").status_code == 403
    assert client.get(f"/api/v1/studies/{study}/scope_requests").json() == []
    consents = client.get("/api/v1/patients/40002/consents").json()
    assert study not in [s["id"] for s in consents["studies"] + consents["studiesPendingConsent"]]
    patient = client.get("/api/v1/patients/40002").json()
    assert [o["id"] for o in patient["organizations"]] == [20003]
    assert child not in [o["id"] for o in client.get("/api/v1/users/organizations").json()]


def test_a_patient_whose_only_organization_is_deleted_is_kept_in_none(
    client: httpx.Client,
) -> None:
    lab = create_organization(client, "Lab", part_of=20003)
    created = client.post(
        "/api/v1/patients", json={"telecom_email": "only@example.com", "organization_id": lab}
    ).json()
    client.delete(f"/api/v1/organizations/{lab}")
    assert client.get(f"/api/v1/patients/{created['id']}").json()["organizations"] == []
    found = client.get("/api/v1/patients/global_lookup", params={"email": "only@example.com"})
    assert [p["id"] for p in found.json()] == [created["id"]]


def test_edit_rights_over_an_organization_come_from_its_parent(app: EmulatorApp) -> None:
    with client_for(app) as mary, client_for(app, "manager_mark") as mark:
        lab = create_organization(mary, "Lab", part_of=20003)
        assert mark.patch(f"/api/v1/organizations/{lab}", json={"name": "x"}).status_code == 403
        moved = mary.patch(f"/api/v1/organizations/{lab}", json={"partOf": 20007})
        assert moved.status_code == 200
        assert mark.patch(f"/api/v1/organizations/{lab}", json={"name": "x"}).status_code == 200
        assert mary.delete(f"/api/v1/organizations/{lab}").status_code == 403
        # the link made at creation is still hers: she manages its practitioners, not it
        assert mary.get(f"/api/v1/organizations/{lab}").json()["currentUserRole"] == "manager"


def test_a_top_level_organization_under_root_is_for_superusers_and_links_nobody(
    app: EmulatorApp,
) -> None:
    with client_for(app, "admin") as admin:
        top = admin.post(
            "/api/v1/organizations", json={"name": "Top", "type": "prov", "part_of": 0}
        )
        assert (top.status_code, top.json()["partOf"]) == (201, 0)
        assert admin.get(f"/api/v1/organizations/{top.json()['id']}/users").json() == []


def test_a_role_the_server_does_not_know_is_shown_and_grants_nothing(app: EmulatorApp) -> None:
    with client_for(app) as mary, client_for(app, "member_megan") as megan:
        lab = create_organization(mary, "Lab", part_of=20003)
        upsert = mary.post(
            f"/api/v1/organizations/{lab}/user",
            json={"jhe_user_id": 10003, "organization_partitioner_role": "superboss"},
        )
        assert (upsert.status_code, upsert.json()["role"]) == (201, "superboss")
        assert megan.get(f"/api/v1/organizations/{lab}").json()["currentUserRole"] == "superboss"
        study = megan.post(
            "/api/v1/studies", json={"name": "s", "description": "d", "organization": lab}
        )
        assert study.status_code == 403


def test_every_organization_write_moves_it_to_the_end_of_unordered_lists(
    app: EmulatorApp, client: httpx.Client
) -> None:
    # mary is in 20001-20003; PostgreSQL lists a practitioner's organizations in the
    # order their rows were last written (483)
    client.patch("/api/v1/organizations/20001", json={"type": "edu"})
    with client_for(app, "admin") as admin:
        mary = admin.get("/api/v1/practitioners/80002").json()
    assert [o["id"] for o in mary["organizations"]] == [20002, 20003, 20001]


# -- answers checked against the real server (no recording shows them) ------------------


def test_a_non_numeric_id_is_a_404_for_an_organization_but_a_500_for_a_patient(
    client: httpx.Client,
) -> None:
    organization = client.get("/api/v1/organizations/abc")
    patient = client.get("/api/v1/patients/abc")
    assert (organization.status_code, organization.json()) == (404, {"detail": "Not found."})
    assert patient.status_code == 500
    assert "ValueError at /api/v1/patients/abc" in patient.text


def test_a_callers_own_organizations_come_in_the_order_of_their_roles(
    app: EmulatorApp, client: httpx.Client
) -> None:
    with client_for(app, "admin") as admin:
        admin.request(
            "DELETE", "/api/v1/organizations/20001/remove_user", json={"jhe_user_id": 10002}
        )
        admin.post(
            "/api/v1/organizations/20001/user",
            json={"jhe_user_id": 10002, "organization_partitioner_role": "manager"},
        )
    listed = [o["id"] for o in client.get("/api/v1/users/organizations").json()]
    assert listed == [20002, 20003, 20001]


def test_a_role_sent_as_a_number_is_answered_as_sent_and_kept_as_text(
    app: EmulatorApp, client: httpx.Client
) -> None:
    upsert = client.post(
        "/api/v1/organizations/20003/user",
        json={"jhe_user_id": 10008, "organization_partitioner_role": 7},
    )
    assert (upsert.status_code, upsert.json()["role"]) == (201, 7)
    with client_for(app, "manager_mark") as mark:
        assert mark.get("/api/v1/organizations/20003").json()["currentUserRole"] == "7"
