"""How a change is put into words: shared by the renderers and the safety messages.

Only formatting: every function reads what a Change holds and computes nothing else.
Patients are shown as their label (what the spec author wrote, or ``#id``) and id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from jhe_sync.plan.change import Change, Impact, PatientTarget
from jhe_sync.resources import ChangeKind, link_of_change


def symbol(change: Change) -> str:
    """``+`` adds, ``~`` updates, ``-`` destroys (as Terraform writes them)."""
    if change.destructive:
        return "-"
    return "~" if change.kind is ChangeKind.UPDATE_STUDY else "+"


def plural(count: int, noun: str) -> str:
    """``1 change``, ``2 changes``, ``3 live studies``."""
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"


def study_ref(change: Change) -> str:
    """``study "hypertension" (id 30012)``, or ``new study "hypertension"``."""
    if change.study_id is None:
        return f'new study "{change.study_key}"'
    return f'study "{change.study_key}" (id {change.study_id})'


def patient_text(patient: PatientTarget, show_consent: bool = False) -> str:
    """``peter@example.com (#40001)``; a patient known only by id is just ``#40003``."""
    text = (
        patient.label if patient.label == f"#{patient.id}" else f"{patient.label} (#{patient.id})"
    )
    return f"{text} (consented)" if show_consent and patient.consented else text


def patients_text(patients: Sequence[PatientTarget], show_consent: bool = False) -> str:
    return ", ".join(patient_text(p, show_consent) for p in patients)


def describe(change: Change) -> str:
    """What the change does, in a few words: ``add scope request "omh:heart-rate:2.0" (id 50004)``."""
    kind = change.kind
    if kind is ChangeKind.CREATE_STUDY:
        return f'create study "{change.study_name}"'
    if kind is ChangeKind.UPDATE_STUDY:
        return f'update study "{change.study_name}"'
    if kind is ChangeKind.DELETE_STUDY:
        return f'delete study "{change.study_name}" (id {change.study_id})'
    if kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
        verb = "enroll" if kind is ChangeKind.ENROLL else "unenroll"
        patients = patients_text(change.patients, show_consent=kind is ChangeKind.UNENROLL)
        return f"{verb} {plural(len(change.patients), 'patient')}: {patients}"
    verb = "remove" if change.destructive else "add"
    return f'{verb} {link_of_change(kind).noun} "{change.link_label}" (id {change.link_id})'


Detail = Literal["reason", "set", "update", "impact", "protected"]
"""What a detail line of a change says: why, a field a create sets, a field an update
changes, what a destructive change touches, that apply refuses it."""


def change_details(change: Change) -> list[tuple[Detail, str]]:
    """The detail lines shown under a change, in order, each with what it says.

    The reason is shown for study changes and destructive ones (an added link explains
    itself); the fields for a create (values set) or an update (before -> after).
    """
    details: list[tuple[Detail, str]] = []
    if not change.kind.is_link or change.destructive:
        details.append(("reason", change.reason))
    for field in change.fields:
        if change.kind is ChangeKind.CREATE_STUDY:
            details.append(("set", f"{field.name}: {value_text(field.after)}"))
        else:
            before, after = value_text(field.before), value_text(field.after)
            details.append(("update", f"{field.name}: {before} -> {after}"))
    if change.impact is not None:
        details.append(("impact", f"impact: {impact_text(change.impact)}"))
    if change.protected and change.destructive:
        details.append(("protected", "protected: apply refuses this change (protect: true)"))
    return details


def impact_text(impact: Impact) -> str:
    """``12 enrolled patients, 8 consented, 9 consent records``; partial counts say so."""
    if not impact.complete and impact.enrolled == 0:
        return "not known: the study's enrollments could not be read"
    text = (
        f"{plural(impact.enrolled, 'enrolled patient')}, {impact.consented} consented, "
        f"{plural(impact.consents, 'consent record')}"
    )
    if not impact.complete:
        text = f"at least {text} (not every patient's consents could be read)"
    return text


def value_text(value: object) -> str:
    """A study field value as the text renderers show it: quoted, or ``(none)``."""
    if value is None:
        return "(none)"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
