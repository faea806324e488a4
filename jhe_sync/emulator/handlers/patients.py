"""``/patients``: list, create, detail, ``global_lookup``, and ``/patients/{id}/consents``.

As recorded: the list holds the patients who share an organization with the caller
(143); any practitioner reads any patient's details (148) and looks anyone up by email
(150); consents need a shared organization (152). Create errors are a bare JSON list
of strings (154, 155).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx, now_iso, save_setting
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import (
    ApiError,
    ServerError,
    does_not_exist,
    not_found,
    permission_denied,
    to_pk,
)
from jhe_sync.emulator.http import Response, get, json_response, require
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import can_manage_patients_in, require_practitioner, role_in

_NO_PATIENT = "No Patient matches the given query."
_EMAIL_REQUIRED = "Email is required to create a patient."
_CONFLICT = (
    "Could not save the patient because of a data conflict. Please check the values and try again."
)


def list_patients(ctx: Ctx) -> Response:
    """Filtered by ``organization_id``, ``study_id``, ``patient_identifier_value`` (value only, 304).

    Side effects as on the server: remembers the organization, and the study, or forgets
    the current study when none is given.
    """
    practitioner_id = require_practitioner(ctx.principal)
    query = ctx.request.query
    sql = (
        "SELECT DISTINCT p.* FROM core_patient p "
        "JOIN core_patientorganization pa ON pa.patient_id = p.id "
        "JOIN core_practitionerorganization po ON po.organization_id = pa.organization_id "
        "WHERE po.practitioner_id = ?"
    )
    params: list[Any] = [practitioner_id]
    organization_id = to_pk(query["organization_id"]) if query.get("organization_id") else None
    study_id = to_pk(query["study_id"]) if query.get("study_id") else None
    if organization_id is not None:
        sql += " AND pa.organization_id = ?"
        params.append(organization_id)
    if study_id is not None:
        sql += " AND p.id IN (SELECT patient_id FROM core_studypatient WHERE study_id = ?)"
        params.append(study_id)
    if query.get("patient_id"):
        sql += " AND p.id = ?"
        params.append(to_pk(query["patient_id"]))
    if query.get("patient_identifier_value"):
        sql += " AND p.id IN (SELECT patient_id FROM core_patientidentifier WHERE value = ?)"
        params.append(query["patient_identifier_value"])
    rows = ctx.store.all(sql + " ORDER BY p.id", params)
    page = paginate(ctx.request, rows, lambda row: shapes.patient(ctx.store, row))
    if organization_id is not None:
        save_setting(ctx, "current_organization_id", organization_id)
    save_setting(ctx, "current_study_id", study_id)
    return json_response(200, page)


def create_patient(ctx: Ctx) -> Response:
    """201 with the new patient; the user is found by email or created first."""
    data = ctx.request.data
    if not ctx.principal.is_superuser:
        organization_id = to_pk(get(data, "organization_id"))
        if not can_manage_patients_in(ctx.store, ctx.principal, organization_id):
            raise permission_denied()
    email = get(data, "telecom_email")
    if not email:
        raise ApiError(400, [_EMAIL_REQUIRED])
    user_id = ctx.store.scalar("SELECT id FROM core_jheuser WHERE email = ?", (email,))
    if user_id is None:
        position = ctx.store.scalar("SELECT COALESCE(MAX(list_position), 0) + 1 FROM core_jheuser")
        user_id = ctx.store.insert(
            "core_jheuser", {"email": email, "user_type": "patient", "list_position": position}
        )
    patient_id = ctx.store.nextval("core_patient")
    try:
        ctx.store.run(
            "INSERT INTO core_patient (id, jhe_user_id, name_family, name_given, birth_date, telecom_phone, "
            "last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                user_id,
                get(data, "name_family"),
                get(data, "name_given"),
                get(data, "birth_date"),
                get(data, "telecom_phone"),
                now_iso(),
            ),
        )
    except sqlite3.IntegrityError:
        raise ApiError(400, [_CONFLICT]) from None
    organization_id = to_pk(get(data, "organization_id"))
    if organization_id is not None:
        ctx.store.insert(
            "core_patientorganization",
            {"patient_id": patient_id, "organization_id": organization_id},
        )
    for item in get(data, "identifiers") or []:
        if (
            isinstance(item, dict)
            and item.get("system") is not None
            and item.get("value") is not None
        ):
            ctx.store.insert(
                "core_patientidentifier",
                {"patient_id": patient_id, "system": item["system"], "value": item["value"]},
            )
    return json_response(201, shapes.patient(ctx.store, _patient_row(ctx, patient_id)))


def _patient_row(ctx: Ctx, patient_id: int | None) -> Row:
    row = ctx.store.one("SELECT * FROM core_patient WHERE id = ?", (patient_id,))
    if row is None:
        raise not_found(_NO_PATIENT)
    return row


def get_patient(ctx: Ctx) -> Response:
    """Any practitioner may read any patient (148); a patient user only themselves."""
    patient_id = to_pk(ctx.param("pk"))
    if not ctx.principal.is_practitioner and ctx.principal.patient_id != patient_id:
        raise permission_denied("Current User does not have authorization to access this Patient.")
    return json_response(200, shapes.patient(ctx.store, _patient_row(ctx, patient_id)))


def global_lookup(ctx: Ctx) -> Response:
    """Patients by exact email across all organizations, no permission check (150), a bare list."""
    email = ctx.request.query.get("email")
    if not email:
        raise ApiError(400, ["email parameter required"])
    rows = ctx.store.all(
        "SELECT p.* FROM core_patient p JOIN core_jheuser u ON u.id = p.jhe_user_id WHERE u.email = ? ORDER BY p.id",
        (email,),
    )
    return json_response(200, [shapes.patient(ctx.store, r) for r in rows])


# -- consents ---------------------------------------------------------------------------


def _shares_organization(ctx: Ctx, patient_id: int, organization_id: int | None = None) -> bool:
    sql = (
        "SELECT 1 FROM core_patientorganization pa JOIN core_practitionerorganization po "
        "ON po.organization_id = pa.organization_id WHERE pa.patient_id = ? AND po.practitioner_id = ?"
    )
    params: list[Any] = [patient_id, ctx.principal.practitioner_id]
    if organization_id is not None:
        sql += " AND pa.organization_id = ?"
        params.append(organization_id)
    return ctx.store.one(sql, params) is not None


def _consents_patient(ctx: Ctx) -> Row:
    try:
        patient_id = int(ctx.param("pk"))
    except ValueError as error:
        raise ServerError("ValueError", str(error)) from None
    if not ctx.principal.is_practitioner and ctx.principal.patient_id != patient_id:
        raise permission_denied("The Patient does not match the current patient user.")
    return _patient_row(ctx, patient_id)


def get_consents(ctx: Ctx) -> Response:
    """The patient, their consented scopes, and their studies with and without consents (151)."""
    patient = _consents_patient(ctx)
    if ctx.principal.is_practitioner and not _shares_organization(ctx, patient["id"]):
        raise permission_denied("This Practitioner not authorized to access this Patient")
    store = ctx.store
    consolidated = store.all(
        "SELECT DISTINCT c.* FROM core_studypatientscopeconsent sc "
        "JOIN core_studypatient sp ON sp.id = sc.study_patient_id "
        "JOIN core_codeableconcept c ON c.id = sc.scope_code_id "
        "WHERE sp.patient_id = ? AND sc.consented = 1 ORDER BY c.id",
        (patient["id"],),
    )
    enrollments = store.all(
        "SELECT sp.id AS study_patient_id, s.* FROM core_studypatient sp JOIN core_study s ON s.id = sp.study_id "
        "WHERE sp.patient_id = ? ORDER BY s.id",
        (patient["id"],),
    )
    pending, consented = [], []
    for study in enrollments:
        unanswered = store.all(
            "SELECT c.* FROM core_studyscoperequest r JOIN core_codeableconcept c ON c.id = r.scope_code_id "
            "WHERE r.study_id = ? AND r.scope_code_id NOT IN (SELECT scope_code_id FROM "
            "core_studypatientscopeconsent WHERE study_patient_id = ?) ORDER BY r.id",
            (study["id"], study["study_patient_id"]),
        )
        answers = store.all(
            "SELECT c.*, sc.consented, sc.consented_time FROM core_studypatientscopeconsent sc "
            "JOIN core_codeableconcept c ON c.id = sc.scope_code_id WHERE sc.study_patient_id = ? ORDER BY sc.id",
            (study["study_patient_id"],),
        )
        if unanswered:
            shaped = _consent_study(ctx, study)
            shaped["pendingScopeConsents"] = [
                {"code": shapes.scope_code(c), "consented": None, "consentedTime": None}
                for c in unanswered
            ]
            pending.append(shaped)
        if answers:
            shaped = _consent_study(ctx, study)
            shaped["scopeConsents"] = [
                {
                    "code": shapes.scope_code(a),
                    "consented": None if a["consented"] is None else bool(a["consented"]),
                    "consentedTime": a["consented_time"],
                }
                for a in answers
            ]
            consented.append(shaped)
    return json_response(
        200,
        {
            "patient": shapes.patient(store, patient),
            "consolidatedConsentedScopes": [shapes.scope_code(c) for c in consolidated],
            "studiesPendingConsent": pending,
            "studies": consented,
        },
    )


def _consent_study(ctx: Ctx, study: Row) -> dict[str, Any]:
    organization = ctx.store.one(
        "SELECT * FROM core_organization WHERE id = ?", (study["organization_id"],)
    )
    assert organization is not None
    sources = ctx.store.all(
        "SELECT d.* FROM core_studydatasource l JOIN core_datasource d ON d.id = l.data_source_id "
        "WHERE l.study_id = ? ORDER BY l.id",
        (study["id"],),
    )
    return {
        "id": study["id"],
        "name": study["name"],
        "description": study["description"],
        "organization": shapes.organization_brief(organization),
        "dataSources": [
            shapes.data_source(d, shapes.supported_scopes(ctx.store, d["id"])) for d in sources
        ],
    }


def add_consents(ctx: Ctx) -> Response:
    """Record consents; a practitioner needs manager or member in the study's organization (183)."""
    patient = _consents_patient(ctx)
    principal = ctx.principal
    is_self = principal.patient_id == patient["id"]
    created = []
    consented_time = now_iso()
    for study_consent in require(ctx.request.data, "study_scope_consents"):
        study_patient = ctx.store.one(
            "SELECT sp.*, s.organization_id FROM core_studypatient sp JOIN core_study s ON s.id = sp.study_id "
            "WHERE sp.study_id = ? AND sp.patient_id = ? ORDER BY sp.id",
            (to_pk(require(study_consent, "study_id")), patient["id"]),
        )
        if not principal.is_superuser and not is_self:
            if not principal.is_practitioner:
                raise permission_denied("Only Patient users can update their own consents.")
            if study_patient is None:
                raise ServerError("AttributeError", "'NoneType' object has no attribute 'study'")
            if not _shares_organization(ctx, patient["id"], study_patient["organization_id"]):
                raise permission_denied("Practitioner doesn't have right now for patient.")
            if role_in(ctx.store, principal, study_patient["organization_id"]) not in (
                "manager",
                "member",
            ):
                raise permission_denied("Practitioner role is not valid.")
        for scope_consent in require(study_consent, "scope_consents"):
            code = ctx.store.one(
                "SELECT * FROM core_codeableconcept WHERE coding_system = ? AND coding_code = ?",
                (require(scope_consent, "coding_system"), require(scope_consent, "coding_code")),
            )
            if code is None:
                raise does_not_exist("CodeableConcept")
            if study_patient is None:
                raise ServerError("AttributeError", "'NoneType' object has no attribute 'id'")
            consented = require(scope_consent, "consented")
            consent_id = ctx.store.insert(
                "core_studypatientscopeconsent",
                {
                    "study_patient_id": study_patient["id"],
                    "scope_code_id": code["id"],
                    "consented": None if consented is None else int(bool(consented)),
                    "consented_time": consented_time,
                },
            )
            created.append(
                {
                    "id": consent_id,
                    "studyPatient": {
                        "id": study_patient["id"],
                        "study": study_patient["study_id"],
                        "patient": study_patient["patient_id"],
                    },
                    "scopeCode": shapes.scope_code(code),
                    "consented": None if consented is None else bool(consented),
                    "consentedTime": consented_time,
                }
            )
    return json_response(201, {"studyScopeConsents": created})
