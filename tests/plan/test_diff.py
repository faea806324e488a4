"""The diff: which changes a spec and a snapshot make, and nothing more."""

from __future__ import annotations

import pytest

from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import Call, ChangeKind, FieldChange, PatientTarget, UnmanagedStudy
from jhe_sync.plan.diff import unlisted_study_key
from jhe_sync.spec.models import PatientRef

from .conftest import (
    HYPERTENSION_DESCRIPTION,
    LIFESPAN,
    desired,
    hypertension_spec,
    kinds,
    live_study,
    make_live,
    prune,
    spec,
)

BP = 50002
HR = 50004
QUESTIONNAIRE = 50011
CAREX = 70001
IHEALTH = 70003

# -- the guide's "Complete Study Setup Example" --------------------------------------


def test_the_hypertension_study_is_planned_as_the_guide_sets_it_up():
    plan = build_plan(desired(hypertension_spec()), make_live())

    assert kinds(plan.changes) == [
        ChangeKind.CREATE_STUDY,
        ChangeKind.ADD_DATA_SOURCE,
        ChangeKind.ADD_DATA_SOURCE,
        ChangeKind.ADD_SCOPE,
        ChangeKind.ADD_SCOPE,
        ChangeKind.ENROLL,
    ]
    assert [change.call() for change in plan.changes] == [
        Call(
            "POST",
            "/api/v1/studies",
            {
                "name": "Hypertension Management Study",
                "description": HYPERTENSION_DESCRIPTION,
                "organization": LIFESPAN,
            },
        ),
        Call("POST", "/api/v1/studies/{study_id}/data_sources", {"data_source_id": CAREX}),
        Call("POST", "/api/v1/studies/{study_id}/data_sources", {"data_source_id": IHEALTH}),
        Call("POST", "/api/v1/studies/{study_id}/scope_requests", {"scope_code_id": BP}),
        Call("POST", "/api/v1/studies/{study_id}/scope_requests", {"scope_code_id": HR}),
        Call("POST", "/api/v1/studies/{study_id}/patients", {"patient_ids": [40001, 40002]}),
    ]


def test_the_hypertension_study_once_applied_plans_nothing():
    applied = live_study(
        30012,
        "Hypertension Management Study",
        description=HYPERTENSION_DESCRIPTION,
        scopes=[BP, HR],
        data_sources=[CAREX, IHEALTH],
        patients=[40001, 40002],
    )

    plan = build_plan(desired(hypertension_spec()), make_live(applied))

    assert plan.empty
    assert plan.counts.total == 0


# -- study changes ----------------------------------------------------------------------


def test_a_study_not_on_the_exchange_is_created_with_its_fields():
    plan = build_plan(desired(spec(icon_url="https://example.org/icon.png")), make_live())

    (create,) = plan.changes
    assert create.kind is ChangeKind.CREATE_STUDY
    assert create.study_id is None
    assert create.organization_id == LIFESPAN
    assert create.fields == (
        FieldChange("name", None, "Hypertension Management Study"),
        FieldChange("description", None, HYPERTENSION_DESCRIPTION),
        FieldChange("icon_url", None, "https://example.org/icon.png"),
    )


def test_a_created_study_gets_every_listed_link_as_an_add():
    plan = build_plan(desired(hypertension_spec(clients=["CommonHealth"])), make_live())

    assert all(not change.destructive for change in plan.changes)
    assert {change.kind for change in plan.changes} == {
        ChangeKind.CREATE_STUDY,
        ChangeKind.ADD_SCOPE,
        ChangeKind.ADD_DATA_SOURCE,
        ChangeKind.ADD_CLIENT,
        ChangeKind.ENROLL,
    }


@pytest.mark.parametrize(
    ("live_fields", "spec_fields", "expected"),
    [
        (
            {"description": "Old text."},
            {},
            [FieldChange("description", "Old text.", HYPERTENSION_DESCRIPTION)],
        ),
        (
            {"icon_url": "https://a.example/1.png"},
            {"icon_url": "https://a.example/2.png"},
            [FieldChange("icon_url", "https://a.example/1.png", "https://a.example/2.png")],
        ),
        (
            {},
            {"icon_url": "https://a.example/1.png"},
            [FieldChange("icon_url", None, "https://a.example/1.png")],
        ),
    ],
    ids=["description", "icon changed", "icon added"],
)
def test_an_update_lists_only_the_fields_that_differ(live_fields, spec_fields, expected):
    current = {"description": HYPERTENSION_DESCRIPTION} | live_fields
    live = make_live(live_study(30012, "Hypertension Management Study", **current))

    (update,) = build_plan(desired(spec(**spec_fields)), live).changes

    assert update.kind is ChangeKind.UPDATE_STUDY
    assert list(update.fields) == expected
    assert update.call() == Call(
        "PATCH",
        "/api/v1/studies/30012",
        {
            {"name": "name", "description": "description", "icon_url": "iconUrl"}[f.name]: f.after
            for f in expected
        },
    )


@pytest.mark.parametrize("spec_icon", [{}, {"icon_url": None}], ids=["omitted", "null"])
@pytest.mark.parametrize("live_icon", [None, ""], ids=["null", "empty string"])
def test_no_icon_is_the_same_however_the_spec_and_the_exchange_say_it(spec_icon, live_icon):
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            icon_url=live_icon,
        )
    )

    assert build_plan(desired(spec(**spec_icon)), live).empty


def test_an_icon_the_spec_omits_is_cleared_as_the_spec_format_says():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            icon_url="https://a.example/1.png",
        )
    )

    (update,) = build_plan(desired(spec()), live).changes

    assert update.fields == (FieldChange("icon_url", "https://a.example/1.png", None),)
    assert update.call() == Call("PATCH", "/api/v1/studies/30012", {"iconUrl": None})


def test_state_absent_deletes_the_matched_study_and_nothing_else():
    live = make_live(
        live_study(30012, "Hypertension Management Study", scopes=[BP], patients=[40001])
    )

    (delete,) = build_plan(desired(spec(state="absent", scope_requests=[])), live).changes

    assert delete.kind is ChangeKind.DELETE_STUDY
    assert delete.study_id == 30012
    assert delete.call() == Call("DELETE", "/api/v1/studies/30012")


def test_state_absent_for_a_study_already_gone_plans_nothing():
    assert build_plan(desired(spec(state="absent")), make_live()).empty


def test_protect_is_copied_to_every_change_of_the_study():
    plan = build_plan(desired(hypertension_spec(protect=True)), make_live())

    assert all(change.protected for change in plan.changes)


# -- links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "wanted", "live_links", "kind", "call"),
    [
        (
            "scope_requests",
            ["omh:blood-pressure:4.0"],
            {"scopes": []},
            ChangeKind.ADD_SCOPE,
            Call("POST", "/api/v1/studies/30012/scope_requests", {"scope_code_id": BP}),
        ),
        (
            "scope_requests",
            [],
            {"scopes": [BP]},
            ChangeKind.REMOVE_SCOPE,
            Call("DELETE", "/api/v1/studies/30012/scope_requests", {"scope_code_id": BP}),
        ),
        (
            "data_sources",
            ["CareX"],
            {"data_sources": []},
            ChangeKind.ADD_DATA_SOURCE,
            Call("POST", "/api/v1/studies/30012/data_sources", {"data_source_id": CAREX}),
        ),
        (
            "data_sources",
            [],
            {"data_sources": [CAREX]},
            ChangeKind.REMOVE_DATA_SOURCE,
            Call("DELETE", "/api/v1/studies/30012/data_sources", {"data_source_id": CAREX}),
        ),
        (
            "clients",
            ["CommonHealth"],
            {"clients": []},
            ChangeKind.ADD_CLIENT,
            Call("POST", "/api/v1/studies/30012/clients", {"client_id": 2}),
        ),
        (
            "clients",
            [],
            {"clients": [2]},
            ChangeKind.REMOVE_CLIENT,
            Call("DELETE", "/api/v1/studies/30012/clients", {"client_id": 2}),
        ),
        (
            "patients",
            ["ll_patient_peter@example.com"],
            {"patients": []},
            ChangeKind.ENROLL,
            Call("POST", "/api/v1/studies/30012/patients", {"patient_ids": [40001]}),
        ),
        (
            "patients",
            [],
            {"patients": [40001]},
            ChangeKind.UNENROLL,
            Call("DELETE", "/api/v1/studies/30012/patients", {"patient_ids": [40001]}),
        ),
    ],
    ids=lambda v: v.value if isinstance(v, ChangeKind) else None,
)
def test_each_link_difference_is_one_change_with_its_call(field, wanted, live_links, kind, call):
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            **live_links,
        )
    )

    (change,) = build_plan(desired(spec(**{field: wanted})), live).changes

    assert change.kind is kind
    assert change.call() == call


@pytest.mark.parametrize(
    "kind",
    [
        ChangeKind.REMOVE_SCOPE,
        ChangeKind.REMOVE_DATA_SOURCE,
        ChangeKind.REMOVE_CLIENT,
        ChangeKind.UNENROLL,
        ChangeKind.DELETE_STUDY,
    ],
)
def test_removals_and_deletes_are_destructive(kind):
    assert kind.destructive


@pytest.mark.parametrize(
    "kind",
    [
        ChangeKind.CREATE_STUDY,
        ChangeKind.UPDATE_STUDY,
        ChangeKind.ADD_SCOPE,
        ChangeKind.ADD_DATA_SOURCE,
        ChangeKind.ADD_CLIENT,
        ChangeKind.ENROLL,
    ],
)
def test_creates_updates_and_adds_are_not_destructive(kind):
    assert not kind.destructive


def test_an_omitted_link_list_is_not_managed():
    live = make_live(
        live_study(30012, "Hypertension Management Study", description=HYPERTENSION_DESCRIPTION)
    )

    assert build_plan(desired(spec()), live).empty


def test_an_empty_link_list_removes_every_live_link():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            scopes=[BP, HR],
        )
    )

    plan = build_plan(desired(spec(scope_requests=[])), live)

    assert [(c.kind, c.link_id) for c in plan.changes] == [
        (ChangeKind.REMOVE_SCOPE, BP),
        (ChangeKind.REMOVE_SCOPE, HR),
    ]


def test_enrollments_are_one_change_per_direction_listing_the_patients():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            patients=[40001, 40099],
        )
    )
    wanted = spec(
        patients=[
            "ll_patient_pamela@example.com",
            "LL_Patient_Peter@example.com",
        ]
    )

    enroll, unenroll = build_plan(desired(wanted), live).changes

    assert enroll.kind is ChangeKind.ENROLL
    assert enroll.patients == (PatientTarget(40002, "ll_patient_pamela@example.com"),)
    assert unenroll.kind is ChangeKind.UNENROLL
    assert unenroll.patients == (PatientTarget(40099, "#40099"),)


def test_a_link_listed_twice_is_added_once():
    plan = build_plan(
        desired(spec(scope_requests=["omh:heart-rate:2.0", "Heart rate"])), make_live()
    )

    assert kinds(plan.changes).count(ChangeKind.ADD_SCOPE) == 1


def test_a_removed_link_missing_from_the_catalogue_is_labelled_by_id():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            data_sources=[79999],
        )
    )

    (remove,) = build_plan(desired(spec(data_sources=[])), live).changes

    assert remove.link_label == "#79999"


# -- unmanaged and prune ---------------------------------------------------------------------


def test_a_live_study_no_entry_lists_is_unmanaged_and_left_alone():
    live = make_live(live_study(30002, "Lifespan Study on BP"))

    plan = build_plan(desired(spec()), live)

    assert plan.unmanaged == (UnmanagedStudy(30002, "Lifespan Study on BP", LIFESPAN),)
    assert kinds(plan.changes) == [ChangeKind.CREATE_STUDY]


def test_studies_of_organizations_the_spec_does_not_mention_are_listed_apart_when_read():
    # The read stage lists the studies of every organization where the caller may write.
    live = make_live(live_study(30005, "Pulse", organization=20007), read=[LIFESPAN, 20007])

    assert build_plan(desired(spec()), live).unmanaged == (
        UnmanagedStudy(30005, "Pulse", 20007, organization_in_spec=False),
    )


def test_studies_of_organizations_that_were_not_read_are_not_listed():
    live = make_live(live_study(30005, "Pulse", organization=20007), read=[LIFESPAN])

    assert build_plan(desired(spec()), live).unmanaged == ()


def test_prune_deletes_the_live_studies_no_entry_lists():
    live = make_live(live_study(30002, "Lifespan Study on BP"))

    plan = build_plan(desired(organizations=[prune("Lifespan Lab")]), live)

    (delete,) = plan.changes
    assert delete.kind is ChangeKind.DELETE_STUDY
    assert delete.study_id == 30002
    assert delete.key == unlisted_study_key(30002) == "id:30002"
    assert plan.unmanaged == ()


def test_prune_keeps_the_studies_the_spec_lists():
    live = make_live(
        live_study(30012, "Hypertension Management Study", description=HYPERTENSION_DESCRIPTION)
    )

    assert build_plan(desired(spec(), organizations=[prune(LIFESPAN)]), live).empty


# -- order, counts and what a saved plan needs ------------------------------------------------


def test_changes_are_ordered_by_study_key_then_execution_order():
    live = make_live(live_study(30001, "Zeta", scopes=[BP], patients=[40001]))
    plan = build_plan(
        desired(
            spec(
                "zeta",
                "Zeta",
                description="A study.",
                scope_requests=["omh:heart-rate:2.0"],
                patients=[],
            ),
            spec("alpha", "Alpha", description="A study.", scope_requests=["omh:heart-rate:2.0"]),
        ),
        live,
    )

    assert [(c.key, c.kind) for c in plan.changes] == [
        ("alpha", ChangeKind.CREATE_STUDY),
        ("alpha", ChangeKind.ADD_SCOPE),
        ("zeta", ChangeKind.ADD_SCOPE),
        ("zeta", ChangeKind.UNENROLL),
        ("zeta", ChangeKind.REMOVE_SCOPE),
    ]


def test_the_plan_is_the_same_whatever_the_order_of_the_spec_lists():
    first = hypertension_spec()
    second = hypertension_spec(
        scope_requests=list(reversed(first.scope_requests or [])),
        data_sources=list(reversed(first.data_sources or [])),
        patients=list(reversed(first.patients or [])),
    )

    assert build_plan(desired(first), make_live()) == build_plan(desired(second), make_live())


def test_counts_add_up_links_with_each_patient_counting_one():
    counts = build_plan(desired(hypertension_spec()), make_live()).counts

    assert (
        counts.summary()
        == "Plan: 1 to create, 0 to update, 0 to delete; 6 links to add, 0 to remove"
    )


def test_managed_objects_are_the_matched_studies_and_their_managed_links():
    live = make_live(
        live_study(
            30012,
            "Hypertension Management Study",
            description=HYPERTENSION_DESCRIPTION,
            scopes=[BP, HR],
            data_sources=[CAREX],
            patients=[40001, 40002],
        ),
        live_study(30002, "Lifespan Study on BP"),
    )
    wanted = spec(
        scope_requests=["omh:blood-pressure:4.0", "omh:heart-rate:2.0"],
        patients=[PatientRef(id=40001), PatientRef(id=40002)],
    )

    plan = build_plan(desired(wanted, organizations=[prune(LIFESPAN)]), live)

    # the study, its 2 scopes and 2 enrollments (data sources are not managed), the pruned study
    assert plan.managed_objects == 1 + 2 + 2 + 1


def test_the_plan_records_fingerprints_of_what_it_read_and_the_spec_digest():
    live = make_live(
        live_study(30012, "Hypertension Management Study"),
        live_study(30002, "Lifespan Study on BP"),
    )

    plan = build_plan(desired(spec(), organizations=[prune(LIFESPAN)], digest="abc"), live)

    assert plan.spec_digest == "abc"
    assert plan.fingerprints == {
        "study:30002": live.study_fingerprint(30002),
        "study:30012": live.study_fingerprint(30012),
        f"organization:{LIFESPAN}": live.organization_fingerprint(LIFESPAN),
    }


def test_filtering_by_target_keeps_only_those_studies():
    plan = build_plan(
        desired(hypertension_spec(), spec("other", "Other", description="x")), make_live()
    )

    assert {c.key for c in plan.filtered(["other"]).changes} == {"other"}
