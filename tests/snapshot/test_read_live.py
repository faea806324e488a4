"""The live snapshot reads what the spec needs, and only that."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.read import read_study_fields
from jhe_sync.live import StudyLinks
from jhe_sync.resources import CLIENTS, DATA_SOURCES, PATIENTS, SCOPES
from jhe_sync.snapshot import read_consents, read_link_sets, read_live
from jhe_sync.spec.models import Desired, OrganizationSettings, PatientRef, StudySpec

Connect = Callable[..., Exchange]
PETER, PAMELA, PERCY = (
    "ll_patient_peter@example.com",
    "ll_patient_pamela@example.com",
    "npl_patient_percy@example.com",
)


def study(
    key: str, name: str, organization: int | str = "Lifespan Lab", **fields: Any
) -> StudySpec:
    return StudySpec(
        key=key, name=name, description=f"{name}.", organization=organization, **fields
    )


def desired(*studies: StudySpec, organizations: tuple[OrganizationSettings, ...] = ()) -> Desired:
    return Desired(studies=list(studies), organizations=list(organizations))


def reads(app: Any) -> Counter[str]:
    return Counter(f"{s.method} {s.path}" for s in app.seen)


SMALL_ESTATE = desired(
    study(
        "bp-hr",
        "Lifespan Study on BP & HR",
        scope_requests=["omh:blood-pressure:4.0"],
        data_sources=["CareX"],
        patients=[PatientRef(email=PETER), PatientRef(email=PAMELA)],
    ),
    study("new", "A New Study", scope_requests=["omh:heart-rate:2.0"]),
    study("bp", "Lifespan Study on BP", organization=20003),
)


OTHER_WRITABLE = 2
"""The studies of 20001 and 20002: manager_mary may write there and the specs below name
neither; every writable organization is read, so that a study whose entry went with its
organization shows up in the plan."""


def studies_of(*organizations: int) -> Counter[str]:
    """The study list reads of organizations read only because the caller may write there."""
    return Counter({f"GET /api/v1/organizations/{o}/studies": 1 for o in organizations})


def test_a_snapshot_of_a_small_estate_makes_exactly_these_eleven_requests(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    read_live(connect(app), SMALL_ESTATE)
    # bp-hr's enrollments are the patient ids its scope request answer nests (086)
    assert reads(app) == Counter(
        {
            "POST /o/token/": 1,
            "GET /api/v1/users/profile": 1,
            "GET /api/v1/organizations": 1,
            "GET /api/v1/data_sources/all_scopes": 1,
            "GET /api/v1/data_sources": 1,
            "GET /api/v1/organizations/20001/studies": 1,
            "GET /api/v1/organizations/20002/studies": 1,
            "GET /api/v1/organizations/20003/studies": 1,
            "GET /api/v1/patients": 1,
            "GET /api/v1/studies/30001/scope_requests": 1,
            "GET /api/v1/studies/30001/data_sources": 1,
        }
    )
    assert len(app.seen) == 11


def create_studies(exchange: Exchange, count: int, *, linked: bool) -> list[str]:
    """``count`` new studies in Lifespan Lab, each with a scope request, a data source and
    a client (``linked``) or with no link at all; their names."""
    names = [f"Study {n}" for n in range(count)]
    for name in names:
        study_id = exchange.write(
            "POST", "/api/v1/studies", {"name": name, "description": "d", "organization": 20003}
        ).data["id"]
        if linked:
            for resource, body in (
                ("scope_requests", {"scope_code_id": 50002}),
                ("data_sources", {"data_source_id": 70001}),
                ("clients", {"client_id": 1}),
            ):
                exchange.write("POST", f"/api/v1/studies/{study_id}/{resource}", body)
    return names


def fully_managed(names: list[str]) -> Desired:
    return desired(
        *(
            study(f"s{n}", name, scope_requests=[], data_sources=[], clients=[], patients=[])
            for n, name in enumerate(names)
        )
    )


FIXED_READS = 8 + OTHER_WRITABLE
"""token, profile, organizations, 3 catalogues, the studies and patients of 20003, and
the studies of the other organizations where the caller may write."""


@pytest.mark.parametrize("studies", [1, 3, 6])
def test_each_fully_managed_study_costs_three_reads_its_enrollments_nested_in_them(
    emulator: Any, scripted: Any, connect: Connect, studies: int
) -> None:
    names = create_studies(connect(emulator), studies, linked=True)
    app = scripted(emulator)
    read_live(connect(app), fully_managed(names))
    assert len(app.seen) == FIXED_READS + 3 * studies
    assert not app.requests("GET", "/api/v1/studies/30006/patients")


@pytest.mark.parametrize("studies", [1, 3])
def test_a_study_whose_link_answers_are_all_empty_costs_one_more_read_its_enrollments(
    emulator: Any, scripted: Any, connect: Connect, studies: int
) -> None:
    names = create_studies(connect(emulator), studies, linked=False)
    app = scripted(emulator)
    read_live(connect(app), fully_managed(names))
    assert len(app.seen) == FIXED_READS + 4 * studies
    assert len(app.requests("GET", "/api/v1/studies/30006/patients")) == 1


@pytest.mark.parametrize(
    ("managed", "reads_per_study"),
    [
        pytest.param({"scope_requests": [], "data_sources": [], "patients": []}, 2, id="scopes"),
        pytest.param({"clients": [], "patients": []}, 1, id="clients"),
        pytest.param({"patients": []}, 1, id="patients-alone"),
        pytest.param({"scope_requests": [], "data_sources": []}, 2, id="no-patients"),
    ],
)
def test_a_study_costs_one_read_per_managed_set_besides_enrollments_or_one_for_them_alone(
    emulator: Any,
    scripted: Any,
    connect: Connect,
    managed: dict[str, list[Any]],
    reads_per_study: int,
) -> None:
    names = create_studies(connect(emulator), 4, linked=True)
    app = scripted(emulator)
    read_live(
        connect(app), desired(*(study(f"s{n}", name, **managed) for n, name in enumerate(names)))
    )
    catalogues = sum(field in managed for field in ("scope_requests", "data_sources", "clients"))
    organization_lists = 2 if "patients" in managed else 1
    fixed = 3 + catalogues + organization_lists + OTHER_WRITABLE  # token, profile, organizations
    assert len(app.seen) == fixed + reads_per_study * len(names)


def test_nested_enrollments_are_the_enrollments_the_study_lists(exchange: Exchange) -> None:
    spec = desired(
        study("bp-hr", "Lifespan Study on BP & HR", scope_requests=[], patients=[]),
        study("bp", "Lifespan Study on BP", data_sources=[], patients=[]),
    )
    nested = read_live(exchange, spec).links
    listed = read_link_sets(exchange, {30001: (SCOPES, PATIENTS), 30002: (DATA_SOURCES, PATIENTS)})
    assert nested == listed.links
    assert nested[30001].patient_ids == frozenset({40001, 40002})


def test_a_study_outside_the_organizations_whose_patients_are_read_reads_its_enrolled_patients(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    # The spec puts the pinned study 30001 (Lifespan Lab) in another organization: its
    # enrolled patients are in no patient list read, so they are read whole, as the
    # plan needs them to resolve the spec's references (and then refuse the move).
    app = scripted(emulator)
    spec = desired(
        study(
            "bp-hr",
            "Lifespan Study on BP & HR",
            id=30001,
            organization="Planetary Research Institute",
            scope_requests=[],
            patients=[PatientRef(email=PETER)],
        )
    )
    live = read_live(connect(app), spec)
    assert app.requests("GET", "/api/v1/studies/30001/patients")
    assert {40001, 40002} <= set(live.patients)
    assert not app.requests("GET", "/api/v1/patients/global_lookup")


def test_the_snapshot_holds_the_studies_links_and_patients_the_spec_needs(
    exchange: Exchange,
) -> None:
    live = read_live(exchange, SMALL_ESTATE)
    assert live.caller.email == "manager_mary@example.com"
    assert live.organizations[20003].role == "manager"
    assert {30001, 30002} <= set(live.studies)
    assert live.links[30001] == StudyLinks(
        scope_ids=frozenset({50002, 50004, 50011}),
        data_source_ids=frozenset({70001, 70005}),
        patient_ids=frozenset({40001, 40002}),
    )
    assert live.links[30002] == StudyLinks()
    assert live.data_sources[70001].supported_scope_ids == frozenset({50002, 50004})
    assert {40001, 40002} <= set(live.patients)
    assert live.read_organization_ids == frozenset({20001, 20002, 20003})  # every writable one


def test_a_study_whose_spec_omits_patients_gets_no_enrollment_read(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    read_live(connect(app), desired(study("bp-hr", "Lifespan Study on BP & HR", scope_requests=[])))
    assert not app.requests("GET", "/api/v1/studies/30001/patients")
    assert not app.requests("GET", "/api/v1/patients")


def test_no_clients_in_the_spec_means_no_client_catalogue_read(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    read_live(connect(app), SMALL_ESTATE)
    assert not app.requests("GET", "/api/v1/clients")


def test_an_unknown_organization_is_left_to_the_resolver(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    live = read_live(
        connect(app), desired(study("x", "X", organization="No Such Lab", scope_requests=[]))
    )
    assert not app.requests("GET", "/api/v1/studies")
    # (only the organizations where the caller may write, which the spec does not name)
    assert live.read_organization_ids == frozenset({20001, 20002, 20003})


def test_an_organization_path_names_the_organization_to_read(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    spec = desired(study("x", "X", organization="Planetary Research Institute/Lifespan Lab"))
    live = read_live(connect(app, client_id="member_megan"), spec)
    assert live.read_organization_ids == frozenset({20003})


def test_a_pinned_study_outside_the_listed_organizations_is_read_by_id(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    # three_org_tom may write in 20007 and 20008, and only view 20003: the studies of
    # 20003 are not listed for him, so the pinned one is read by its id.
    exchange = connect(emulator)
    created = exchange.write(
        "POST",
        "/api/v1/studies",
        {"name": "Parent study", "description": "d", "organization": 20003},
    ).data["id"]
    app = scripted(emulator)
    entry = study(
        "p", "Parent study", id=created, organization="Neptunian Pulse Lab", scope_requests=[]
    )
    live = read_live(connect(app, client_id="three_org_tom"), desired(entry))
    assert 20003 not in live.read_organization_ids
    assert live.studies[created].organization_id == 20003
    assert app.requests("GET", f"/api/v1/studies/{created}")
    assert live.links[created].scope_ids == frozenset()


def test_a_pinned_study_the_server_answers_403_for_is_missing(exchange: Exchange) -> None:
    live = read_live(exchange, desired(study("gone", "Gone", id=999999, scope_requests=[])))
    assert 999999 not in live.studies
    assert 999999 not in live.links


def test_a_previous_name_finds_the_study_to_rename(exchange: Exchange) -> None:
    spec = desired(
        study("bp", "Renamed BP", previous_names=["Lifespan Study on BP"], scope_requests=[])
    )
    live = read_live(exchange, spec)
    assert live.links[30002].scope_ids == frozenset({50002, 50011})


def test_a_patient_of_another_organization_is_found_by_a_global_lookup(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    spec = desired(study("bp-hr", "Lifespan Study on BP & HR", patients=[PatientRef(email=PERCY)]))
    live = read_live(connect(app), spec)
    assert live.patients[40003].organization_ids == frozenset({20007})
    [lookup] = app.requests("GET", "/api/v1/patients/global_lookup")
    assert "email=" in lookup.query


def test_a_known_patient_needs_no_lookup(emulator: Any, scripted: Any, connect: Connect) -> None:
    app = scripted(emulator)
    read_live(connect(app), SMALL_ESTATE)
    assert not app.requests("GET", "/api/v1/patients/global_lookup")


def test_unlisted_studies_of_a_pruned_organization_have_their_enrollments_read(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    spec = desired(
        study("bp-hr", "Lifespan Study on BP & HR"),
        organizations=(OrganizationSettings(organization="Lifespan Lab", prune=True),),
    )
    live = read_live(connect(app), spec)
    assert live.links[30002] == StudyLinks(patient_ids=frozenset({40001, 40002}))
    assert live.links[30001] == StudyLinks()


def test_a_study_to_delete_has_its_enrollments_read_for_the_impact(exchange: Exchange) -> None:
    live = read_live(exchange, desired(study("bp", "Lifespan Study on BP", state="absent")))
    assert live.links[30002] == StudyLinks(patient_ids=frozenset({40001, 40002}))


def test_reading_one_at_a_time_gives_the_same_snapshot(emulator: Any, connect: Connect) -> None:
    one = read_live(connect(emulator), SMALL_ESTATE, parallelism=1)
    many = read_live(connect(emulator), SMALL_ESTATE, parallelism=8)
    assert one == many


def test_read_link_sets_reads_the_link_sets_asked_for(exchange: Exchange) -> None:
    found = read_link_sets(exchange, {30001: (SCOPES, CLIENTS)})
    assert found.links == {
        30001: StudyLinks(scope_ids=frozenset({50002, 50004, 50011}), client_ids=frozenset({1, 3}))
    }
    assert found.enrolled == {}


def test_read_study_fields_reads_one_study(exchange: Exchange) -> None:
    found = read_study_fields(exchange, 30001)
    assert found is not None and found.name == "Lifespan Study on BP & HR"


def test_read_study_fields_of_an_inaccessible_study_is_none(exchange: Exchange) -> None:
    assert read_study_fields(exchange, 30003) is None


def test_read_consents_fills_each_patients_answers(exchange: Exchange) -> None:
    live = read_live(exchange, SMALL_ESTATE)
    live = read_consents(exchange, live, [40001, 40002])
    assert any(c.study_id == 30001 and c.consented for c in live.consents[40001])


def test_consents_the_caller_may_not_read_are_left_out_not_shown_as_none(
    exchange: Exchange,
) -> None:
    live = read_live(exchange, SMALL_ESTATE)
    live = read_consents(exchange, live, [40003])
    assert 40003 not in live.consents


def test_a_superuser_sees_the_studies_of_the_organizations_the_spec_touches(
    emulator: Any, connect: Connect
) -> None:
    # /studies lists no studies for a superuser; a snapshot built on it would make the
    # plan create a duplicate of every existing study.
    live = read_live(
        connect(emulator, client_id="admin"), desired(study("bp", "Lifespan Study on BP"))
    )
    assert {s.id for s in live.studies.values() if s.organization_id == 20003} == {30001, 30002}


# -- organization entries ----------------------------------------------------------------


def org_entry(organization: int | str = "Lifespan Lab", **fields: Any) -> OrganizationSettings:
    return OrganizationSettings(organization=organization, **fields)


def test_an_organization_listing_practitioners_and_patients_costs_one_read_for_each(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    entry = org_entry(
        practitioners={"manager_mary@example.com": "manager", "manager_mark@example.com": "member"},
        patients=[PETER],
    )
    live = read_live(connect(app), desired(organizations=(entry,)))
    # mark is in no list read: one lookup by e-mail; mary is the caller, known already
    assert reads(app) == Counter(
        {
            "POST /o/token/": 1,
            "GET /api/v1/users/profile": 1,
            "GET /api/v1/organizations": 1,
            "GET /api/v1/organizations/20003/studies": 1,
            "GET /api/v1/organizations/20003/users": 1,
            "GET /api/v1/patients": 1,
            "GET /api/v1/users": 1,
        }
    ) + studies_of(20001, 20002)
    assert live.organization_patient_ids[20003] == {40001, 40002}
    assert {u.email for u in live.users.values() if u} >= {"manager_mark@example.com"}


def test_a_study_and_its_organization_listing_patients_share_one_patient_list_read(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    spec = desired(
        study("bp-hr", "Lifespan Study on BP & HR", patients=[PatientRef(email=PETER)]),
        organizations=(org_entry(patients=[PETER]),),
    )
    read_live(connect(app), spec)
    assert len(app.requests("GET", "/api/v1/patients")) == 1


def test_a_new_organization_reads_the_types_and_its_practitioners_accounts_only(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    entry = org_entry(
        "Sleep Lab",
        part_of="Lifespan Lab",
        type="laboratory",
        practitioners={"manager_mary@example.com": "manager", "member_megan@example.com": "member"},
    )
    read_live(connect(app), desired(organizations=(entry,)))
    assert reads(app) == Counter(
        {
            "POST /o/token/": 1,
            "GET /api/v1/users/profile": 1,
            "GET /api/v1/organizations": 1,
            "GET /api/v1/organizations/types": 1,
            "GET /api/v1/users": 1,
        }
    ) + studies_of(20001, 20002, 20003)


def test_deleting_an_organization_reads_what_goes_with_it(
    emulator: Any, scripted: Any, connect: Connect
) -> None:
    app = scripted(emulator)
    live = read_live(connect(app), desired(organizations=(org_entry(state="absent"),)))
    # Lifespan Lab has no organization under it: its studies (each with its enrollments),
    # its patients and its practitioners
    assert reads(app) - Counter({"POST /o/token/": 1}) == Counter(
        {
            "GET /api/v1/users/profile": 1,
            "GET /api/v1/organizations": 1,
            "GET /api/v1/organizations/20003/studies": 1,
            "GET /api/v1/patients": 1,
            "GET /api/v1/organizations/20003/users": 1,
            "GET /api/v1/studies/30001/patients": 1,
            "GET /api/v1/studies/30002/patients": 1,
        }
    ) + studies_of(20001, 20002)
    assert {r.email for r in live.roles[20003]} >= {"member_megan@example.com"}
