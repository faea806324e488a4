"""``/studies/{id}/scope_requests``, ``/data_sources``, ``/clients``, ``/patients``.

The real server's quirks, reproduced on purpose:

- Only authentication is checked: viewers, other organizations' practitioners and
  patients can read and change any study's links (104-108, 123, 137, 175, 176).
- Bare lists, except ``/patients``, which is paginated and filtered by the caller's
  roles (158, 160).
- A duplicate or unknown id is a 500 from the database, spending a sequence value;
  a missing key is a 500 KeyError; ``client_id`` is the Application pk (131).
- DELETE reads the ids from a JSON body only and answers 204 even when nothing matched
  (097-101); a clients DELETE without body deletes nothing (136).
- Enrolling is not atomic: the ids before a failing one stay enrolled (167, 168).
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.db import Row
from jhe_sync.emulator.errors import ServerError, does_not_exist, to_pk
from jhe_sync.emulator.http import Response, empty_response, get, json_response, require
from jhe_sync.emulator.integrity import (
    STUDY_CLIENT,
    STUDY_DATA_SOURCE,
    STUDY_PATIENT,
    STUDY_SCOPE_REQUEST,
    insert_link,
)
from jhe_sync.emulator.pagination import paginate


def _study_id(ctx: Ctx) -> int | None:
    return to_pk(ctx.param("pk"))


def _study_models(ctx: Ctx, study_ids: set[int]) -> dict[int, dict[str, Any]]:
    models = {}
    for study_id in study_ids:
        row = ctx.store.one("SELECT * FROM core_study WHERE id = ?", (study_id,))
        assert row is not None
        models[study_id] = shapes.study_model(ctx.store, row)
    return models


# -- scope requests ---------------------------------------------------------------------


def _scope_request_shapes(ctx: Ctx, rows: list[Row]) -> list[dict[str, Any]]:
    studies = _study_models(ctx, {r["study_id"] for r in rows})
    shaped = []
    for r in rows:
        code = ctx.store.one(
            "SELECT * FROM core_codeableconcept WHERE id = ?", (r["scope_code_id"],)
        )
        assert code is not None
        shaped.append(
            {"id": r["id"], "study": studies[r["study_id"]], "scopeCode": shapes.scope_code(code)}
        )
    return shaped


def list_scope_requests(ctx: Ctx) -> Response:
    rows = ctx.store.all(
        "SELECT * FROM core_studyscoperequest WHERE study_id = ? ORDER BY id", (_study_id(ctx),)
    )
    return json_response(200, _scope_request_shapes(ctx, rows))


def add_scope_request(ctx: Ctx) -> Response:
    """201 with the new link, study and code nested (088)."""
    scope_code_id = to_pk(require(ctx.request.data, "scope_code_id"))
    row_id = insert_link(
        ctx.store, STUDY_SCOPE_REQUEST, {"study_id": _study_id(ctx), "scope_code_id": scope_code_id}
    )
    rows = ctx.store.all("SELECT * FROM core_studyscoperequest WHERE id = ?", (row_id,))
    return json_response(201, _scope_request_shapes(ctx, rows)[0])


def remove_scope_request(ctx: Ctx) -> Response:
    scope_code_id = to_pk(require(ctx.request.data, "scope_code_id"))
    ctx.store.run(
        "DELETE FROM core_studyscoperequest WHERE study_id = ? AND scope_code_id = ?",
        (_study_id(ctx), scope_code_id),
    )
    return empty_response(204)


# -- data sources -----------------------------------------------------------------------


def list_data_sources(ctx: Ctx) -> Response:
    """The links with the source nested as a model row, without supportedScopes (110)."""
    rows = ctx.store.all(
        "SELECT * FROM core_studydatasource WHERE study_id = ? ORDER BY id", (_study_id(ctx),)
    )
    studies = _study_models(ctx, {r["study_id"] for r in rows})
    shaped = []
    for r in rows:
        source = ctx.store.one("SELECT * FROM core_datasource WHERE id = ?", (r["data_source_id"],))
        assert source is not None
        shaped.append(
            {
                "id": r["id"],
                "study": studies[r["study_id"]],
                "dataSource": shapes.data_source_model(source),
            }
        )
    return json_response(200, shaped)


def add_data_source(ctx: Ctx) -> Response:
    """201 with an empty body (112)."""
    data_source_id = to_pk(require(ctx.request.data, "data_source_id"))
    insert_link(
        ctx.store, STUDY_DATA_SOURCE, {"study_id": _study_id(ctx), "data_source_id": data_source_id}
    )
    return empty_response(201)


def remove_data_source(ctx: Ctx) -> Response:
    data_source_id = to_pk(require(ctx.request.data, "data_source_id"))
    ctx.store.run(
        "DELETE FROM core_studydatasource WHERE study_id = ? AND data_source_id = ?",
        (_study_id(ctx), data_source_id),
    )
    return empty_response(204)


# -- clients ----------------------------------------------------------------------------


def list_clients(ctx: Ctx) -> Response:
    """The links with the whole Application row nested, its secret included (125, 138)."""
    rows = ctx.store.all(
        "SELECT * FROM core_studyclient WHERE study_id = ? ORDER BY id", (_study_id(ctx),)
    )
    studies = _study_models(ctx, {r["study_id"] for r in rows})
    shaped = []
    for r in rows:
        app = ctx.store.one(
            "SELECT * FROM oauth2_provider_application WHERE id = ?", (r["client_id"],)
        )
        assert app is not None
        shaped.append(
            {"id": r["id"], "study": studies[r["study_id"]], "client": shapes.application(app)}
        )
    return json_response(200, shaped)


def _client_id(ctx: Ctx) -> int | None:
    # ``request.data.get("client_id") or request.data.get("clientId")``: never a KeyError
    data = ctx.request.data
    return to_pk(get(data, "client_id") or get(data, "clientId"))


def add_client(ctx: Ctx) -> Response:
    """201 with an empty body (127); no client id is a NOT NULL violation (132)."""
    client_id = _client_id(ctx)
    insert_link(ctx.store, STUDY_CLIENT, {"client_id": client_id, "study_id": _study_id(ctx)})
    return empty_response(201)


def remove_client(ctx: Ctx) -> Response:
    ctx.store.run(
        "DELETE FROM core_studyclient WHERE study_id = ? AND client_id = ?",
        (_study_id(ctx), _client_id(ctx)),
    )
    return empty_response(204)


# -- patients (enrollments) -------------------------------------------------------------


def list_patients(ctx: Ctx) -> Response:
    """Enrolled patients, if the caller has a role in the study's organization; else an empty page."""
    rows = ctx.store.all(
        "SELECT DISTINCT p.* FROM core_patient p "
        "JOIN core_studypatient sp ON sp.patient_id = p.id "
        "JOIN core_study s ON s.id = sp.study_id "
        "JOIN core_patientorganization pa ON pa.patient_id = p.id AND pa.organization_id = s.organization_id "
        "JOIN core_practitionerorganization po ON po.organization_id = s.organization_id "
        "WHERE s.id = ? AND po.practitioner_id = ? ORDER BY p.id",
        (_study_id(ctx), ctx.principal.practitioner_id),
    )
    return json_response(
        200, paginate(ctx.request, rows, lambda row: shapes.patient(ctx.store, row))
    )


def _patient_ids(ctx: Ctx) -> list[Any]:
    ids = require(ctx.request.data, "patient_ids")
    try:
        return list(ids)
    except TypeError as error:
        raise ServerError("TypeError", str(error)) from None


_NOT_SAME_ORGANIZATION = (
    "ValidationError.__new__() missing 1 required positional argument: 'line_errors'"
)


def enroll(ctx: Ctx) -> Response:
    """Enroll each id in turn, each committed on its own (Django autocommit).

    A patient outside the study's organization is meant to be refused, but the check
    raises pydantic's ValidationError wrongly and the server answers a 500 TypeError (165).
    """
    created = []
    for raw_id in _patient_ids(ctx):
        study = ctx.store.one("SELECT * FROM core_study WHERE id = ?", (_study_id(ctx),))
        if study is None:
            raise does_not_exist("Study")
        patient = ctx.store.one("SELECT * FROM core_patient WHERE id = ?", (to_pk(raw_id),))
        if patient is None:
            raise does_not_exist("Patient")
        member = ctx.store.one(
            "SELECT 1 FROM core_patientorganization WHERE patient_id = ? AND organization_id = ?",
            (patient["id"], study["organization_id"]),
        )
        if member is None:
            raise ServerError("TypeError", _NOT_SAME_ORGANIZATION)
        created.append(
            insert_link(
                ctx.store, STUDY_PATIENT, {"study_id": study["id"], "patient_id": patient["id"]}
            )
        )
    shaped = []
    for link_id in created:
        link = ctx.store.one("SELECT * FROM core_studypatient WHERE id = ?", (link_id,))
        assert link is not None
        study = ctx.store.one("SELECT * FROM core_study WHERE id = ?", (link["study_id"],))
        patient = ctx.store.one("SELECT * FROM core_patient WHERE id = ?", (link["patient_id"],))
        assert study is not None and patient is not None
        shaped.append(
            {
                "id": link_id,
                "study": shapes.study_model(ctx.store, study),
                "patient": shapes.patient_model(ctx.store, patient),
            }
        )
    return json_response(201, {"studyPatients": shaped})


def unenroll(ctx: Ctx) -> Response:
    for raw_id in _patient_ids(ctx):
        ctx.store.run(
            "DELETE FROM core_studypatient WHERE study_id = ? AND patient_id = ?",
            (_study_id(ctx), to_pk(raw_id)),
        )
    return empty_response(204)
