"""Resolution: every name in the spec becomes a live id, or an error that says what to write."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jhe_sync.errors import ResolveError
from jhe_sync.live import Organization
from jhe_sync.plan.resolve import resolve
from jhe_sync.spec.models import Identifier, PatientRef

from .conftest import LIFESPAN, desired, make_live, prune, spec


def resolved_study(**fields):
    (study,) = resolve(desired(spec(**fields)), make_live()).studies
    return study


def problems_of(*studies, organizations=(), live=None):
    with pytest.raises(ResolveError) as raised:
        resolve(desired(*studies, organizations=organizations), live or make_live())
    return raised.value.problems


# -- organizations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        20003,
        "Lifespan Lab",
        "lifespan lab",
        "Planetary Research Institute/Saturn School of Data Science/Lifespan Lab",
        "Saturn School of Data Science/Lifespan Lab",
        "Planetary Research Institute/Lifespan Lab",
    ],
    ids=[
        "id",
        "name",
        "name in other case",
        "full path",
        "path from a parent",
        "path skipping a level",
    ],
)
def test_an_organization_is_found_by_id_name_or_path(reference):
    assert resolved_study(organization=reference).organization_id == LIFESPAN


def test_an_ambiguous_organization_name_lists_the_candidates_with_their_paths():
    live = make_live()
    twin = Organization(20009, "Lifespan Lab", "laboratory", 20006)
    live = replace(live, organizations={**live.organizations, twin.id: twin})

    (problem,) = problems_of(spec(organization="Lifespan Lab"), live=live)

    assert problem.message == (
        'organization "Lifespan Lab" is ambiguous: 2 organizations match: '
        '"Planetary Research Institute/Saturn School of Data Science/Lifespan Lab" (id 20003), '
        '"Neptune Health System/Department of Medicine/Cardiology Division/Lifespan Lab" (id 20009); '
        "write the path or the id instead"
    )
    assert problem.path == "studies[hypertension].organization"
    assert str(problem.location) == "studies/hypertension.yaml:5:1"


def test_an_unknown_organization_suggests_the_closest_names():
    (problem,) = problems_of(spec(organization="Lifespan Labs"))

    assert problem.message == 'unknown organization "Lifespan Labs"; closest: "Lifespan Lab"'


def test_an_unknown_organization_path_lists_the_paths_of_organizations_of_that_name():
    (problem,) = problems_of(spec(organization="Saturn School/Lifespan Lab"))

    assert problem.message == (
        'unknown organization path "Saturn School/Lifespan Lab": the organizations named '
        '"Lifespan Lab" are "Planetary Research Institute/Saturn School of Data Science/'
        'Lifespan Lab" (id 20003); write one of these paths or the id'
    )


def test_an_unknown_prune_organization_is_located_at_its_entry():
    (problem,) = problems_of(spec(), organizations=[prune("Nowhere Lab")])

    assert problem.path == "organizations[nowhere-lab].organization"
    assert str(problem.location) == "organizations.yaml:2:1"


# -- catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("references", "ids"),
    [
        (["omh:blood-pressure:4.0"], [50002]),
        (["Blood pressure", "heart rate"], [50002, 50004]),
        (["QuestionnaireResponse", "fhir questionnaireresponse"], [50011]),
    ],
    ids=["code", "display text in any case", "FHIR code, and its text"],
)
def test_scopes_are_found_by_code_or_display_text(references, ids):
    assert [ref.id for ref in resolved_study(scope_requests=references).scopes] == ids


def test_scopes_are_labelled_by_their_code():
    assert [ref.label for ref in resolved_study(scope_requests=["Blood pressure"]).scopes] == [
        "omh:blood-pressure:4.0"
    ]


@pytest.mark.parametrize(
    ("references", "ids"),
    [(["CareX", 70003], [70001, 70003]), (["carex"], [70001])],
    ids=["name and id", "name in other case"],
)
def test_data_sources_are_found_by_name_or_id(references, ids):
    assert [ref.id for ref in resolved_study(data_sources=references).data_sources] == ids


@pytest.mark.parametrize(
    ("reference", "client_id"),
    [("CommonHealth", 2), (3, 3), ("LamKIXB4kFPgr1Uaa19jck5nHMOX7gr5Bmt0r01S", 1)],
    ids=["name", "id", "OAuth client id string"],
)
def test_clients_are_found_by_name_id_or_oauth_client_id(reference, client_id):
    assert [ref.id for ref in resolved_study(clients=[reference]).clients] == [client_id]


@pytest.mark.parametrize(
    ("field", "reference", "message"),
    [
        (
            "scope_requests",
            "Blood presure",
            'unknown scope "Blood presure"; closest: "Blood pressure"',
        ),
        ("data_sources", "iHealt", 'unknown data source "iHealt"; closest: "iHealth"'),
        ("data_sources", 70099, "no data source has id 70099"),
        ("clients", "Common Health", 'unknown client "Common Health"; closest: "CommonHealth"'),
    ],
)
def test_an_unknown_catalogue_name_suggests_the_closest(field, reference, message):
    (problem,) = problems_of(spec(**{field: [reference]}))

    assert problem.message.startswith(message)
    assert problem.path == f"studies[hypertension].{field}[0]"


# -- patients ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        PatientRef(email="ll_patient_peter@example.com"),
        PatientRef(email="LL_Patient_Peter@Example.com"),
        PatientRef(identifier=Identifier(system="urn:oid:1.2.3.4", value="E1234")),
        PatientRef(id=40001),
    ],
    ids=["email", "email in other case", "identifier", "id"],
)
def test_a_patient_is_found_by_email_identifier_or_id(reference):
    (patient,) = resolved_study(patients=[reference]).patients

    assert patient.id == 40001
    assert patient.label == reference.label


def test_an_unknown_patient_names_no_other_patient():
    (problem,) = problems_of(spec(patients=["ll_patient_petr@example.com"]))

    assert "no patient with e-mail ll_patient_petr@example.com" in problem.message
    assert "peter" not in problem.message
    assert problem.path == "studies[hypertension].patients[0]"


# -- all at once -----------------------------------------------------------------------------


def test_every_unknown_name_is_reported_at_once_with_its_location():
    problems = problems_of(
        spec(data_sources=["CareX", "Fitbit"], scope_requests=["omh:steps:1.0"]),
        spec("other", "Other", description="x", organization="Mars Lab"),
    )

    assert [(str(p.location), p.path) for p in problems] == [
        ("studies/hypertension.yaml:11:1", "studies[hypertension].scope_requests[0]"),
        ("studies/hypertension.yaml:22:1", "studies[hypertension].data_sources[1]"),
        ("studies/other.yaml:5:1", "studies[other].organization"),
    ]


def test_a_study_in_an_organization_whose_studies_were_not_read_is_refused():
    (problem,) = problems_of(spec(organization=20007))

    assert "were not read" in problem.message


def test_the_lists_of_a_study_to_delete_are_not_resolved():
    entry = spec(state="absent", data_sources=["A device long gone"])

    assert resolve(desired(entry), make_live()).studies[0].data_sources is None


def test_an_ambiguous_patient_identifier_asks_for_the_id():
    live = make_live()
    live = replace(live, patients={**live.patients, 40009: replace(live.patients[40001], id=40009)})
    reference = PatientRef(identifier=Identifier(system="urn:oid:1.2.3.4", value="E1234"))

    (problem,) = problems_of(spec(patients=[reference]), live=live)

    assert problem.message == (
        "2 patients have identifier urn:oid:1.2.3.4|E1234 (#40001, #40009); "
        "refer to the patient by id instead"
    )
