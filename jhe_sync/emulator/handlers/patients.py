"""``/patients``: list, create, detail, ``global_lookup``, ``global_add_organization`` and
removal from an organization (``DELETE /patients/{id}?organization_id=``).

As recorded: the list holds the patients who share an organization with the caller
(143); any practitioner reads any patient's details (148) and looks anyone up by email
(150, 490). Create errors are a bare JSON list of strings (154, 155, 485, 486).
Membership:

- ``global_add_organization`` checks no permission at all: a viewer adds a patient to
  another manager's organization, a patient adds himself (500, 501);
- ``DELETE`` takes manager or member in ``organization_id`` (the permission reads the
  query parameter, so without it a 403 for everyone but a superuser, 505, 506), removes
  the patient from that organization with their enrollments and consents in its
  studies, and deletes the patient and its user only when no membership is left
  (508-521), which makes a patient in no organization deletable from any (518).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from jhe_sync.emulator import fields, shapes
from jhe_sync.emulator.accounts import delete_user_if_unused, find_or_create_user
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
from jhe_sync.emulator.http import Response, empty_response, get, json_response
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import can_manage_patients_in, require_practitioner

_NO_PATIENT = "No Patient matches the given query."
_NOT_AUTHORIZED = "Current User does not have authorization to access this Patient."
_CONFLICT = (
    "Could not save the patient because of a data conflict. Please check the values and try again."
)
# the keyword arguments ``Patient(**request.data)`` accepts (its fields, and the
# ``organization_id`` its constructor takes out)
_PATIENT_FIELDS = (
    "jhe_user_id",
    "name_family",
    "name_given",
    "birth_date",
    "telecom_phone",
    "organization_id",
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
    """201 with the new patient; the user is found by email or created first (in one
    transaction: a failure undoes both, the ids stay spent, 485-489)."""
    data = ctx.request.data
    if not ctx.principal.is_superuser and not can_manage_patients_in(
        ctx.store, ctx.principal, to_pk(get(data, "organization_id"))
    ):
        raise permission_denied()
    email = fields.stripped(get(data, "telecom_email"))
    if not email:
        raise ApiError(400, ["Email is required to create a patient."])
    if not fields.is_email(email):
        raise ApiError(400, ["Enter a valid email address."])
    birth_date = get(data, "birth_date")
    if birth_date and not _is_date(birth_date):
        raise ApiError(400, ["Enter a valid birth date (YYYY-MM-DD)."])
    values = {key: value for key, value in data.items() if key != "telecom_email"}
    identifiers = values.pop("identifiers", None)
    for item in identifiers or []:
        system, value = get(item, "system"), get(item, "value")
        if system and value and _identifier_taken(ctx, system, value):
            raise ApiError(
                400,
                [f"The external identifier {system}|{value} is already in use by another patient."],
            )
    try:
        with ctx.store.atomic():
            values["jhe_user_id"] = find_or_create_user(ctx.store, email)
            unexpected = [key for key in values if key not in _PATIENT_FIELDS]
            if unexpected:
                names = ", ".join(repr(key) for key in unexpected)
                raise ServerError(
                    "TypeError", f"Patient() got unexpected keyword arguments: {names}"
                )
            patient_id = _insert_patient(ctx, values)
            if identifiers is not None:
                _add_identifiers(ctx, patient_id, identifiers)
    except sqlite3.IntegrityError:
        raise ApiError(400, [_CONFLICT]) from None
    return json_response(201, shapes.patient(ctx.store, patient_row(ctx, patient_id)))


def _is_date(value: Any) -> bool:
    try:
        dt.datetime.strptime(value, "%Y-%m-%d")
    except (TypeError, ValueError):
        return False
    return True


def _identifier_taken(ctx: Ctx, system: Any, value: Any) -> bool:
    return (
        ctx.store.one(
            "SELECT 1 FROM core_patientidentifier WHERE system = ? AND value = ?", (system, value)
        )
        is not None
    )


def _insert_patient(ctx: Ctx, values: dict[str, Any]) -> int:
    """The patient row (an id spent even if it fails), then its membership if one is named."""
    patient_id = ctx.store.nextval("core_patient")
    ctx.store.conn.execute(
        "INSERT INTO core_patient (id, jhe_user_id, name_family, name_given, birth_date, "
        "telecom_phone, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            patient_id,
            values["jhe_user_id"],
            values.get("name_family"),
            values.get("name_given"),
            values.get("birth_date") or None,
            values.get("telecom_phone"),
            now_iso(),
        ),
    )
    organization_id = to_pk(values.get("organization_id"))
    if organization_id:
        ctx.store.insert(
            "core_patientorganization",
            {"patient_id": patient_id, "organization_id": organization_id},
        )
    return patient_id


def _add_identifiers(ctx: Ctx, patient_id: int, identifiers: Any) -> None:
    for item in identifiers:
        system, value = get(item, "system"), get(item, "value")
        if system is not None and value is not None:
            ctx.store.insert(
                "core_patientidentifier",
                {"patient_id": patient_id, "system": system, "value": value},
            )


def patient_row(ctx: Ctx, patient_id: int | None) -> Row:
    row = ctx.store.one("SELECT * FROM core_patient WHERE id = ?", (patient_id,))
    if row is None:
        raise not_found(_NO_PATIENT)
    return row


def _detail_patient(ctx: Ctx) -> Row:
    """The patient of the URL as the detail views get it: any practitioner may (148), a
    patient user only themselves. A non-numeric id fails in the view's own queryset, a
    500, not DRF's 404 (checked against the real server)."""
    if not ctx.principal.is_practitioner:
        try:
            patient_id = int(ctx.param("pk"))
        except ValueError as error:
            raise ServerError("ValueError", str(error)) from None
        if ctx.principal.patient_id != patient_id:
            raise permission_denied(_NOT_AUTHORIZED)
        return patient_row(ctx, patient_id)
    return patient_row(ctx, to_pk(ctx.param("pk")))


def get_patient(ctx: Ctx) -> Response:
    return json_response(200, shapes.patient(ctx.store, _detail_patient(ctx)))


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


def global_add_organization(ctx: Ctx) -> Response:
    """Add the patient to ``organization_id`` (a query parameter): 200 with the patient."""
    organization_id = ctx.request.query.get("organization_id")
    if not organization_id:
        raise ApiError(400, ["organizationId parameter required"])
    patient = _detail_patient(ctx)
    organization = ctx.store.one(
        "SELECT id FROM core_organization WHERE id = ?", (to_pk(organization_id),)
    )
    if organization is None:
        raise does_not_exist("Organization")
    member = ctx.store.one(
        "SELECT 1 FROM core_patientorganization WHERE patient_id = ? AND organization_id = ?",
        (patient["id"], organization["id"]),
    )
    if member is not None:
        raise ApiError(400, ["This patient is already a member of this organization."])
    ctx.store.insert(
        "core_patientorganization",
        {"patient_id": patient["id"], "organization_id": organization["id"]},
    )
    return json_response(200, shapes.patient(ctx.store, patient))


def delete_patient(ctx: Ctx) -> Response:
    """204: out of ``organization_id`` and its studies; gone if that was the last membership."""
    raw = ctx.request.query.get("organization_id")
    organization_id = to_pk(raw) if raw else None
    if not ctx.principal.is_superuser and not can_manage_patients_in(
        ctx.store, ctx.principal, organization_id
    ):
        raise permission_denied()
    if organization_id is None:
        raise ApiError(400, {"detail": "organizationId required"})
    patient = _detail_patient(ctx)
    store = ctx.store
    store.run(
        "DELETE FROM core_patientorganization WHERE patient_id = ? AND organization_id = ?",
        (patient["id"], organization_id),
    )
    in_organization = (
        "SELECT sp.id FROM core_studypatient sp JOIN core_study s ON s.id = sp.study_id "
        "WHERE sp.patient_id = ? AND s.organization_id = ?"
    )
    store.run(
        f"DELETE FROM core_studypatientscopeconsent WHERE study_patient_id IN ({in_organization})",
        (patient["id"], organization_id),
    )
    store.run(
        f"DELETE FROM core_studypatient WHERE id IN ({in_organization})",
        (patient["id"], organization_id),
    )
    left = store.one(
        "SELECT 1 FROM core_patientorganization WHERE patient_id = ?", (patient["id"],)
    )
    if left is None:
        with store.atomic():
            store.run("DELETE FROM core_patient WHERE id = ?", (patient["id"],))
            delete_user_if_unused(store, patient["jhe_user_id"])
    return empty_response(204)
