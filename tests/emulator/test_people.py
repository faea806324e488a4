"""Practitioners, users and patients made and removed through the API, as the server does it."""

from __future__ import annotations

import httpx

from emulator.helpers import client_for, create_organization, create_study
from jhe_sync.emulator import EmulatorApp


def _users_with_email(client: httpx.Client, email: str) -> list[dict[str, object]]:
    results: list[dict[str, object]] = client.get("/api/v1/users", params={"email": email}).json()[
        "results"
    ]
    return results


def test_an_api_made_practitioner_has_no_user_type_and_no_place_in_org_user_lists(
    app: EmulatorApp,
) -> None:
    with client_for(app, "admin") as admin:
        made = admin.post(
            "/api/v1/practitioners",
            json={"telecom_email": "new@example.com", "organization_id": 20003},
        ).json()
        assert [o["id"] for o in made["organizations"]] == [20003]
        assert _users_with_email(admin, "new@example.com")[0]["userType"] is None
        listed = admin.get("/api/v1/organizations/20003/users").json()
        assert made["jheUserId"] not in [u["id"] for u in listed]


def test_deleting_a_practitioner_keeps_a_user_who_is_also_a_patient(app: EmulatorApp) -> None:
    with client_for(app, "admin") as admin:
        # an existing patient's email gives that user a practitioner profile too
        made = admin.post(
            "/api/v1/practitioners", json={"telecom_email": "ll_patient_pamela@example.com"}
        ).json()
        assert made["jheUserId"] == 10007
        assert admin.delete(f"/api/v1/practitioners/{made['id']}").status_code == 204
        assert admin.get(f"/api/v1/practitioners/{made['id']}").status_code == 404
        assert [u["id"] for u in _users_with_email(admin, "ll_patient_pamela@example.com")] == [
            10007
        ]
        assert admin.get("/api/v1/patients/40002").status_code == 200


def test_a_failed_patient_create_leaves_no_user_but_spends_the_ids(client: httpx.Client) -> None:
    failed = client.post(
        "/api/v1/patients",
        json={"telecom_email": "p@example.com", "organization_id": 20003, "gender": "f"},
    )
    assert failed.status_code == 500
    assert _users_with_email(client, "p@example.com") == []
    made = client.post(
        "/api/v1/patients", json={"telecom_email": "p@example.com", "organization_id": 20003}
    ).json()
    assert (made["id"], made["jheUserId"]) == (40006, 10013)  # user 10012 was spent


def test_leaving_one_organization_keeps_the_enrollments_in_the_others(
    app: EmulatorApp, client: httpx.Client
) -> None:
    lab = create_organization(client, "Lab", part_of=20003)
    study = create_study(client, lab)
    client.patch(f"/api/v1/patients/40001/global_add_organization?organization_id={lab}")
    client.post(f"/api/v1/studies/{study}/patients", json={"patient_ids": [40001]})

    assert (
        client.delete("/api/v1/patients/40001", params={"organization_id": lab}).status_code == 204
    )

    consents = client.get("/api/v1/patients/40001/consents").json()
    enrolled_in = {s["id"] for s in consents["studies"] + consents["studiesPendingConsent"]}
    assert enrolled_in == {30001, 30002}  # the seeded Lifespan studies
    assert client.get(f"/api/v1/studies/{study}/patients").json()["count"] == 0


def test_removing_the_last_membership_deletes_the_patient_and_frees_the_email(
    client: httpx.Client,
) -> None:
    assert (
        client.delete("/api/v1/patients/40002", params={"organization_id": 20003}).status_code
        == 204
    )
    assert client.get("/api/v1/patients/40002").status_code == 404
    assert _users_with_email(client, "ll_patient_pamela@example.com") == []
    again = client.post(
        "/api/v1/patients",
        json={"telecom_email": "ll_patient_pamela@example.com", "organization_id": 20003},
    )
    assert again.status_code == 201


def test_a_patient_user_may_add_only_themselves_to_an_organization(app: EmulatorApp) -> None:
    with client_for(app, "ll_patient_peter") as peter:
        other = peter.patch("/api/v1/patients/40002/global_add_organization?organization_id=20007")
        own = peter.patch("/api/v1/patients/40001/global_add_organization?organization_id=20007")
    assert (other.status_code, own.status_code) == (403, 200)
