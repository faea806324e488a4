"""Rows to the JSON shapes the real server answers with, camelCase, key order as recorded.

One function per serializer. Where the server shapes the same object differently in
different places, so do these: a study is nested ``{id, name, type}`` organization on
GET, a plain organization id on writes (052 vs 056), and a model dump with
``lastUpdated`` and ``patients`` inside the study sub-resources (086).
"""

from __future__ import annotations

import json
from typing import Any

from jhe_sync.emulator.auth import Principal
from jhe_sync.emulator.db import Row, Store
from jhe_sync.emulator.permissions import displayed_role


def organization(row: Row, role: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "partOf": row["part_of_id"],
        "currentUserRole": role,
        "children": [],
    }


def organization_for(store: Store, principal: Principal, row: Row) -> dict[str, Any]:
    return organization(row, displayed_role(store, principal, row["id"]))


def organization_brief(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "type": row["type"]}


def organization_model(row: Row) -> dict[str, Any]:
    """An organization nested (depth 1) in a practitioner link: every column (461)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "lastUpdated": row["last_updated"],
        "partOf": row["part_of_id"],
    }


def organizations_of(store: Store, link_table: str, column: str, owner_id: int) -> list[Row]:
    """A patient's or practitioner's organizations, as the server's unordered join lists
    them: in the order PostgreSQL keeps the organization rows (483)."""
    return store.all(
        f"SELECT o.* FROM {link_table} l JOIN core_organization o ON o.id = l.organization_id "
        f"WHERE l.{column} = ? ORDER BY o.heap_position",
        (owner_id,),
    )


def _organization_row(store: Store, organization_id: int) -> Row:
    row = store.one("SELECT * FROM core_organization WHERE id = ?", (organization_id,))
    assert row is not None
    return row


def study_read(store: Store, row: Row) -> dict[str, Any]:
    """A study as GET /studies answers it: the organization nested."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "organization": organization_brief(_organization_row(store, row["organization_id"])),
        "iconUrl": row["icon_url"],
    }


def study_write(row: Row) -> dict[str, Any]:
    """A study as POST/PATCH/PUT (and /organizations/{id}/studies) answer it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "organization": row["organization_id"],
        "iconUrl": row["icon_url"],
    }


def study_model(store: Store, row: Row) -> dict[str, Any]:
    """A study nested (depth 1) in its sub-resources: every column plus enrolled patient ids."""
    patients = store.all(
        "SELECT patient_id FROM core_studypatient WHERE study_id = ? ORDER BY patient_id",
        (row["id"],),
    )
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "iconUrl": row["icon_url"],
        "lastUpdated": row["last_updated"],
        "organization": row["organization_id"],
        "patients": [p[0] for p in patients],
    }


def scope_code(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "codingSystem": row["coding_system"],
        "codingCode": row["coding_code"],
        "text": row["text"],
    }


def supported_scopes(store: Store, data_source_id: int) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT c.* FROM core_datasourcesupportedscope s JOIN core_codeableconcept c ON c.id = s.scope_code_id "
        "WHERE s.data_source_id = ? ORDER BY s.id",
        (data_source_id,),
    )
    return [scope_code(r) for r in rows]


def data_source(row: Row, scopes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "type": row["type"], "supportedScopes": scopes}


def data_source_model(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "lastUpdated": row["last_updated"],
    }


def application(row: Row) -> dict[str, Any]:
    """The full oauth2 Application row, secret included, as /studies/{id}/clients nests it (125).

    ``client_id`` stays snake_case: the server's camelizer ignores that key.
    """
    return {
        "id": row["id"],
        "client_id": row["client_id"],
        "redirectUris": row["redirect_uris"],
        "postLogoutRedirectUris": row["post_logout_redirect_uris"],
        "clientType": row["client_type"],
        "authorizationGrantType": row["authorization_grant_type"],
        "clientSecret": row["client_secret"],
        "hashClientSecret": bool(row["hash_client_secret"]),
        "name": row["name"],
        "skipAuthorization": bool(row["skip_authorization"]),
        "created": row["created"],
        "updated": row["updated"],
        "algorithm": row["algorithm"],
        "allowedOrigins": row["allowed_origins"],
        "registrationSource": row["registration_source"],
        "cimdExpiresAt": row["cimd_expires_at"],
        "user": row["user_id"],
    }


def client(row: Row) -> dict[str, Any]:
    """A patient-app client as /clients lists it; ``id`` is the Application pk (037)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "clientId": row["client_id"],
        "invitationUrl": row["invitation_url"],
    }


def patient(store: Store, row: Row) -> dict[str, Any]:
    """The PatientSerializer shape (142): identifiers and organizations nested."""
    identifiers = store.all(
        "SELECT id, system, value FROM core_patientidentifier WHERE patient_id = ? ORDER BY id",
        (row["id"],),
    )
    organizations = organizations_of(store, "core_patientorganization", "patient_id", row["id"])
    email = store.scalar("SELECT email FROM core_jheuser WHERE id = ?", (row["jhe_user_id"],))
    return {
        "id": row["id"],
        "jheUserId": row["jhe_user_id"],
        "identifiers": [
            {"id": i["id"], "system": i["system"], "value": i["value"]} for i in identifiers
        ],
        "nameFamily": row["name_family"],
        "nameGiven": row["name_given"],
        "birthDate": row["birth_date"],
        "telecomPhone": row["telecom_phone"],
        "telecomEmail": email,
        "organizations": [organization(o, None) for o in organizations],
    }


def patient_model(store: Store, row: Row) -> dict[str, Any]:
    """A patient nested (depth 1) in an enrollment: model fields, no email (162)."""
    organizations = organizations_of(store, "core_patientorganization", "patient_id", row["id"])
    return {
        "id": row["id"],
        "nameFamily": row["name_family"],
        "nameGiven": row["name_given"],
        "birthDate": row["birth_date"],
        "telecomPhone": row["telecom_phone"],
        "lastUpdated": row["last_updated"],
        "jheUser": row["jhe_user_id"],
        "organizations": [o["id"] for o in organizations],
    }


def practitioner(store: Store, row: Row) -> dict[str, Any]:
    """The PractitionerSerializer shape (450): email and organizations, no roles."""
    email = store.scalar("SELECT email FROM core_jheuser WHERE id = ?", (row["jhe_user_id"],))
    organizations = organizations_of(
        store, "core_practitionerorganization", "practitioner_id", row["id"]
    )
    return {
        "id": row["id"],
        "jheUserId": row["jhe_user_id"],
        "nameFamily": row["name_family"],
        "nameGiven": row["name_given"],
        "telecomEmail": email,
        "organizations": [organization(o, None) for o in organizations],
    }


def practitioner_model(store: Store, row: Row) -> dict[str, Any]:
    """A practitioner nested (depth 1) in a link: columns, settings, organization ids (461)."""
    organizations = organizations_of(
        store, "core_practitionerorganization", "practitioner_id", row["id"]
    )
    return {
        "id": row["id"],
        "identifier": row["identifier"],
        "nameFamily": row["name_family"],
        "nameGiven": row["name_given"],
        "lastUpdated": row["last_updated"],
        "settings": settings(store, row["jhe_user_id"]),
        "jheUser": row["jhe_user_id"],
        "organizations": [o["id"] for o in organizations],
    }


def practitioner_link(store: Store, row: Row) -> dict[str, Any]:
    """A PractitionerOrganization at depth 1, as ``POST /organizations/{id}/user`` answers (461)."""
    organization_row = _organization_row(store, row["organization_id"])
    practitioner_row = store.one(
        "SELECT * FROM core_practitioner WHERE id = ?", (row["practitioner_id"],)
    )
    assert practitioner_row is not None
    return {
        "id": row["id"],
        "organization": organization_model(organization_row),
        "practitioner": practitioner_model(store, practitioner_row),
        "role": row["role"],
    }


# JheUserSerializer without a user: the initial value of each writable field (448)
BLANK_USER: dict[str, Any] = {
    "email": "",
    "firstName": "",
    "lastName": "",
    "userType": None,
    "isSuperuser": False,
}


def user(store: Store, row: Row) -> dict[str, Any]:
    """A user as /users lists it (014)."""
    patient_row = store.one("SELECT * FROM core_patient WHERE jhe_user_id = ?", (row["id"],))
    return {
        "id": row["id"],
        "email": row["email"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "patient": patient(store, patient_row) if patient_row is not None else None,
        "userType": row["user_type"],
        "isSuperuser": bool(row["is_superuser"]),
    }


# settings keys as they appear in the profile, in the recorded order (012)
_SETTING_KEYS = (
    ("current_study_id", "currentStudyId"),
    ("current_organization_id", "currentOrganizationId"),
)


def settings(store: Store, user_id: int) -> dict[str, Any]:
    """A practitioner's settings, that some GETs quietly change (012, 140)."""
    stored = {
        s["key"]: s["value"]
        for s in store.all(
            "SELECT key, value FROM core_jhesetting_user WHERE user_id = ?", (user_id,)
        )
    }
    return {camel: stored[key] for key, camel in _SETTING_KEYS if key in stored}


def profile(store: Store, row: Row) -> dict[str, Any]:
    """``/users/profile``: the user plus its settings."""
    shaped = user(store, row)
    shaped["settings"] = settings(store, row["id"])
    return shaped


def observation(row: Row) -> dict[str, Any]:
    """An observation as /observations lists it (301); ``omhData`` is the stored OMH JSON."""
    return {
        "id": row["id"],
        "subjectPatientId": row["subject_patient_id"],
        "patientNameFamily": row["name_family"],
        "patientNameGiven": row["name_given"],
        "jheUserId": row["jhe_user_id"],
        "codeableConceptId": row["codeable_concept_id"],
        "codingSystem": row["coding_system"],
        "codingCode": row["coding_code"],
        "codingText": row["text"],
        "lastUpdated": row["last_updated"],
        "omhData": json.loads(row["omh_data"]),
    }
