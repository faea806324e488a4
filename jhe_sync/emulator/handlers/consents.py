"""``/patients/{id}/consents``: a patient's consents per study (GET) and recording them (POST).

As recorded: a practitioner reads the consents of a patient they share an organization
with (151, 152); recording takes manager or member in the study's organization, or
being the patient (183). Studies are listed once pending (scopes not yet answered) and
once with their answers (151).
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx, now_iso
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import ServerError, does_not_exist, permission_denied, to_pk
from jhe_sync.emulator.handlers.patients import patient_row
from jhe_sync.emulator.http import Response, json_response, require
from jhe_sync.emulator.permissions import role_in


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
    return patient_row(ctx, patient_id)


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
