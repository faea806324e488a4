"""Impact: what a destructive change touches, from the snapshot (enrollments and consents)."""

from __future__ import annotations

from dataclasses import replace

from jhe_sync.live import StudyLinks
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import ChangeKind, Impact, PatientTarget
from jhe_sync.plan.impact import consent_reads_needed, enrollment_reads_needed, with_impact

from .conftest import HYPERTENSION_DESCRIPTION, consent, desired, live_study, make_live, spec

BP, HR = 50002, 50004


def enrolled_study(**links):
    return live_study(
        30012,
        "Hypertension Management Study",
        description=HYPERTENSION_DESCRIPTION,
        **links,
    )


CONSENTS = {
    40001: [consent(30012, BP, True), consent(30012, HR, True), consent(30001, BP, True)],
    40002: [consent(30012, BP, False), consent(30012, HR, None)],
}
"""Peter said yes to both scopes; Pamela said no to one and has not answered the other."""


def only_change(plan, kind):
    (change,) = [c for c in plan.changes if c.kind is kind]
    return change


def test_deleting_a_study_counts_its_enrolled_and_consented_patients_and_their_consents():
    live = make_live(enrolled_study(patients=[40001, 40002]), consents=CONSENTS)

    plan = build_plan(desired(spec(state="absent")), live)

    assert only_change(plan, ChangeKind.DELETE_STUDY).impact == Impact(
        enrolled=2, consented=1, consents=3
    )


def test_removing_a_scope_counts_only_the_consents_to_that_scope():
    live = make_live(enrolled_study(scopes=[BP, HR], patients=[40001, 40002]), consents=CONSENTS)

    plan = build_plan(desired(spec(scope_requests=["Heart rate"])), live)

    assert only_change(plan, ChangeKind.REMOVE_SCOPE).impact == Impact(
        enrolled=2, consented=1, consents=2
    )


def test_an_unenrolled_patient_who_consented_is_marked():
    live = make_live(enrolled_study(patients=[40001, 40002]), consents=CONSENTS)

    plan = build_plan(desired(spec(patients=[])), live)

    assert only_change(plan, ChangeKind.UNENROLL).patients == (
        PatientTarget(40001, "#40001", consented=True),
        PatientTarget(40002, "#40002", consented=False),
    )


def test_an_impact_without_the_enrollments_read_says_it_is_incomplete():
    live = make_live(enrolled_study())

    plan = build_plan(desired(spec(state="absent")), live)

    assert only_change(plan, ChangeKind.DELETE_STUDY).impact == Impact(complete=False)


def test_an_impact_without_every_consent_read_says_it_is_incomplete():
    live = make_live(enrolled_study(patients=[40001, 40002]), consents={40001: CONSENTS[40001]})

    impact = only_change(
        build_plan(desired(spec(state="absent")), live), ChangeKind.DELETE_STUDY
    ).impact

    assert impact == Impact(enrolled=2, consented=1, consents=2, complete=False)


def test_a_study_deleted_without_its_enrollments_read_needs_them_read():
    live = make_live(enrolled_study())

    plan = build_plan(desired(spec(state="absent")), live)

    assert enrollment_reads_needed(plan, live) == {30012}


def test_the_enrolled_patients_of_a_deleted_study_need_their_consents_read():
    live = make_live(enrolled_study(patients=[40001, 40002]), consents={40001: CONSENTS[40001]})

    plan = build_plan(desired(spec(state="absent")), live)

    assert enrollment_reads_needed(plan, live) == set()
    assert consent_reads_needed(plan, live) == {40002}


def test_the_impact_is_filled_again_from_what_was_read_since():
    live = make_live(enrolled_study())
    plan = build_plan(desired(spec(state="absent")), live)

    live = replace(
        live,
        links={**live.links, 30012: StudyLinks(patient_ids=frozenset({40001, 40002}))},
        consents={**live.consents, **{p: tuple(c) for p, c in CONSENTS.items()}},
    )

    (delete,) = with_impact(plan, live).changes
    assert delete.impact == Impact(enrolled=2, consented=1, consents=3)


def test_unenrolled_patients_need_their_consents_read():
    live = make_live(enrolled_study(patients=[40001, 40002]))

    plan = build_plan(desired(spec(patients=["ll_patient_peter@example.com"])), live)

    assert consent_reads_needed(plan, live) == {40002}


def test_filling_the_impact_again_takes_the_enrollments_into_the_fingerprints():
    live = make_live(enrolled_study())
    plan = build_plan(desired(spec(state="absent")), live)
    before = plan.fingerprints["study:30012"]

    live = replace(live, links={**live.links, 30012: StudyLinks(patient_ids=frozenset({40001}))})
    after = with_impact(plan, live).fingerprints["study:30012"]

    assert after == live.study_fingerprint(30012) != before
