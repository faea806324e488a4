"""``/observations``: the list a monitor counts (301, 302), newest first.

Observations of patients who share an organization with the caller; with ``study_id``,
only those of patients enrolled in the study whose code the study requests.
"""

from __future__ import annotations

from typing import Any

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.errors import to_pk
from jhe_sync.emulator.http import Response, json_response
from jhe_sync.emulator.pagination import paginate
from jhe_sync.emulator.permissions import require_practitioner


def list_observations(ctx: Ctx) -> Response:
    practitioner_id = require_practitioner(ctx.principal)
    query = ctx.request.query
    visible = (
        "SELECT pa.patient_id FROM core_patientorganization pa JOIN core_practitionerorganization po "
        "ON po.organization_id = pa.organization_id WHERE po.practitioner_id = ?"
    )
    params: list[Any] = [practitioner_id]
    if query.get("organization_id"):
        visible += " AND pa.organization_id = ?"
        params.append(to_pk(query["organization_id"]))
    sql = (
        "SELECT o.*, p.name_family, p.name_given, p.jhe_user_id, c.coding_system, c.coding_code, c.text "
        "FROM core_observation o JOIN core_patient p ON p.id = o.subject_patient_id "
        f"JOIN core_codeableconcept c ON c.id = o.codeable_concept_id WHERE o.subject_patient_id IN ({visible})"
    )
    if query.get("study_id"):
        study_id = to_pk(query["study_id"])
        sql += (
            " AND o.subject_patient_id IN (SELECT patient_id FROM core_studypatient WHERE study_id = ?)"
            " AND o.codeable_concept_id IN (SELECT scope_code_id FROM core_studyscoperequest WHERE study_id = ?)"
        )
        params += [study_id, study_id]
    if query.get("patient_id"):
        sql += " AND o.subject_patient_id = ?"
        params.append(to_pk(query["patient_id"]))
    rows = ctx.store.all(sql + " ORDER BY o.last_updated DESC, o.id DESC", params)
    return json_response(200, paginate(ctx.request, rows, shapes.observation))
