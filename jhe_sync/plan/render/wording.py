"""How a change is put into words: shared by the renderers and the safety messages.

Only formatting: every function reads what a Change holds and computes nothing else.
Patients are shown as their label (what the spec author wrote, or ``#id``) and id.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Literal, TypeVar

from jhe_sync.plan.change import Change, Impact, PatientTarget, Refusal, Warning_
from jhe_sync.resources import ChangeKind, link_of_change

KEYS_SHOWN = 10
"""Keys named in a line that several entries share; the rest are counted (the plan's
json form lists them all)."""

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)

_IN_PLACE = frozenset(
    {
        ChangeKind.UPDATE_STUDY,
        ChangeKind.UPDATE_ORGANIZATION,
        ChangeKind.MOVE_ORGANIZATION,
        ChangeKind.RAISE_ROLE,
        ChangeKind.LOWER_ROLE,
    }
)


def symbol(change: Change) -> str:
    """``+`` adds, ``~`` changes in place, ``-`` deletes or removes (as Terraform writes
    them). A guarded change in place (a move, a lowered role) is still ``~``: what it
    does shows in the symbol, that it is guarded in the refusals."""
    if change.kind in _IN_PLACE:
        return "~"
    return "-" if change.destructive else "+"


def plural(count: int, noun: str) -> str:
    """``1 change``, ``2 changes``, ``3 live studies``."""
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"


def entry_ref(change: Change) -> str:
    """``study "hypertension" (id 30012)``, ``new organization "sleep-lab"``."""
    known = change.study_id if change.subject == "study" else change.organization_id
    if known is None:
        return f'new {change.subject} "{change.key}"'
    return f'{change.subject} "{change.key}" (id {known})'


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
    if change.subject == "organization":
        return _describe_organization(change)
    if kind is ChangeKind.CREATE_STUDY:
        return f'create study "{change.name}"'
    if kind is ChangeKind.UPDATE_STUDY:
        return f'update study "{change.name}"'
    if kind is ChangeKind.DELETE_STUDY:
        return f'delete study "{change.name}" (id {change.study_id})'
    if kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
        verb = "enroll" if kind is ChangeKind.ENROLL else "unenroll"
        patients = patients_text(change.patients, show_consent=kind is ChangeKind.UNENROLL)
        return f"{verb} {plural(len(change.patients), 'patient')}: {patients}"
    verb = "remove" if change.destructive else "add"
    return f'{verb} {link_of_change(kind).noun} "{change.link_label}" (id {change.link_id})'


BRIEF_PATIENTS = 5
"""Patients listed by ``brief``; beyond, an enrollment change is counted."""


def brief(change: Change) -> str:
    """``describe`` without the patient list of a large enrollment (it can be thousands):
    for a line per change (apply's progress, a drift report's table)."""
    if (
        change.kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL)
        and len(change.patients) > BRIEF_PATIENTS
    ):
        verb = "enroll" if change.kind is ChangeKind.ENROLL else "unenroll"
        return f"{verb} {plural(len(change.patients), 'patient')}"
    return describe(change)


def _describe_organization(change: Change) -> str:
    kind = change.kind
    before, after = change.role
    practitioner = f"{change.link_label} (user {change.link_id})"
    patient = patient_text(PatientTarget(change.link_id or 0, change.link_label))
    texts = {
        ChangeKind.CREATE_ORGANIZATION: f'create organization "{change.name}"',
        ChangeKind.UPDATE_ORGANIZATION: f'update organization "{change.name}"',
        ChangeKind.MOVE_ORGANIZATION: f'move organization "{change.name}"',
        ChangeKind.DELETE_ORGANIZATION: (
            f'delete organization "{change.name}" (id {change.organization_id})'
        ),
        ChangeKind.GRANT_ROLE: f"grant the {after} role to {practitioner}",
        ChangeKind.RAISE_ROLE: f"raise {practitioner} from {before} to {after}",
        ChangeKind.LOWER_ROLE: f"lower {practitioner} from {before} to {after}",
        ChangeKind.REMOVE_ROLE: f"remove the {before} role of {practitioner}",
        ChangeKind.ADD_MEMBERSHIP: f"add patient {patient}",
        ChangeKind.REMOVE_MEMBERSHIP: f"remove patient {patient}",
    }
    return texts[kind]


Detail = Literal["reason", "set", "update", "impact", "protected"]
"""What a detail line of a change says: why, a field a create sets, a field an update
changes, what a destructive change touches, that apply refuses it."""


def change_details(change: Change) -> list[tuple[Detail, str]]:
    """The detail lines shown under a change, in order, each with what it says.

    The reason is shown for changes to a study or organization itself and destructive
    ones (an added link explains itself); the fields for a create (values set) or an
    update (before -> after); a role change says it all in its own line.
    """
    details: list[tuple[Detail, str]] = []
    if not change.kind.is_link or change.destructive:
        details.append(("reason", change.reason))
    for field in change.fields:
        if field.name == "role":
            continue
        if change.kind in (ChangeKind.CREATE_STUDY, ChangeKind.CREATE_ORGANIZATION):
            details.append(("set", f"{field.name}: {value_text(field.after)}"))
        else:
            before, after = value_text(field.before), value_text(field.after)
            details.append(("update", f"{field.name}: {before} -> {after}"))
    if change.impact is not None:
        details.append(("impact", f"impact: {impact_text(change.impact, change.kind)}"))
    if change.cascade is not None:
        details += [("impact", line) for line in cascade_lines(change)]
    if change.lockouts:
        why = " and ".join(LOCKOUT_TEXT[lockout] for lockout in change.lockouts)
        details.append(("protected", f"refused whatever the flags: {why}"))
    elif change.protected and change.destructive:
        details.append(("protected", "protected: apply refuses this change (protect: true)"))
    return details


LOCKOUT_TEXT = {
    "caller": "it takes the manager role from the identity applying this plan",
    "last_manager": "it leaves the organization without a manager",
}


def cascade_lines(change: Change) -> list[str]:
    """What goes with an organization deleted or a patient removed from one, line by line."""
    cascade = change.cascade
    if cascade is None:
        return []
    lines = []
    if change.kind is ChangeKind.DELETE_ORGANIZATION:
        if cascade.organizations:
            names = ", ".join(f'"{o.name}" ({o.id})' for o in cascade.organizations)
            count = plural(len(cascade.organizations), "child organization")
            lines.append(f"deletes {count} with it: {names}")
        lines += [
            f'deletes study "{s.name}" (id {s.id}): {plural(s.enrolled, "enrolled patient")}, '
            f"{s.consented} consented, {plural(s.consents, 'consent record')}"
            for s in cascade.studies
        ]
        lines.append(
            f"removes {plural(cascade.memberships, 'patient membership')} and "
            f"{plural(cascade.roles, 'practitioner role')}"
        )
        if cascade.patients:
            lines.append(
                f"leaves {plural(len(cascade.patients), 'patient')} in no organization (kept on "
                f"the exchange, in no organization's list): {patients_text(cascade.patients)}"
            )
    else:
        lines += [
            f'unenrolls them from study "{s.name}" (id {s.id}), erasing '
            f"{plural(s.consents, 'consent record')}"
            for s in cascade.studies
        ]
        if cascade.patients:
            lines.append("deletes the patient record: this is their last organization")
    if not cascade.complete:
        lines.append("(at least: not everything it reaches could be read)")
    return lines


def impact_text(impact: Impact, kind: ChangeKind | None = None) -> str:
    """``12 enrolled patients, 8 consented, 9 consent records``; partial counts say so.

    A data source removal says which consented scopes lose their last data source (their
    collection stops), a client removal how many patients may connect through it and
    whether the study keeps another client."""
    if not impact.complete and impact.enrolled == 0:
        return "not known: the study's enrollments could not be read"
    enrolled = plural(impact.enrolled, "enrolled patient")
    if kind is ChangeKind.REMOVE_DATA_SOURCE:
        if impact.scopes_without_source:
            scopes = ", ".join(f'"{code}"' for code in impact.scopes_without_source)
            text = (
                f"{enrolled}; consented scopes left without any data source, whose "
                f"collection stops: {scopes} ({impact.consented} consented, "
                f"{plural(impact.consents, 'consent record')})"
            )
        else:
            left = (
                ""
                if impact.links_left is None
                else f"; {plural(impact.links_left, 'data source')} left"
            )
            text = f"{enrolled}; every consented scope keeps a data source{left}"
    elif kind is ChangeKind.REMOVE_CLIENT:
        text = f"{enrolled} ({impact.consented} consented) may connect through it"
        if impact.links_left == 0:
            text += "; it is the study's last client: no patient can connect to the study"
        elif impact.links_left is not None:
            text += f"; the study keeps {plural(impact.links_left, 'other client')}"
    else:
        text = (
            f"{enrolled}, {impact.consented} consented, {plural(impact.consents, 'consent record')}"
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


# -- the same thing said of many entries, said once ------------------------------------


def grouped(items: Iterable[tuple[K, T]]) -> list[tuple[tuple[K, ...], T]]:
    """``(key, thing)`` pairs with the keys that share a thing gathered: ``(keys,
    thing)``, in the order each thing first appears, keys in their order.

    One template stamped over 300 studies gives 300 identical warnings; a reviewer
    should read one line that says "300 studies", not 300 lines."""
    keys: dict[T, list[K]] = {}
    for key, thing in items:
        keys.setdefault(thing, []).append(key)
    return [(tuple(dict.fromkeys(found)), thing) for thing, found in keys.items()]


def keys_text(keys: Sequence[str], limit: int | None = None, noun: str = "study") -> str:
    """``bp-0``, or ``3 studies (bp-0, bp-1, bp-2)``; past ``limit`` keys, the first
    ``limit`` and ``and 297 more``."""
    if len(keys) == 1:
        return keys[0]
    shown = list(keys) if limit is None or len(keys) <= limit else list(keys[:limit])
    listed = ", ".join(shown)
    if len(shown) < len(keys):
        listed += f" and {len(keys) - len(shown)} more"
    return f"{plural(len(keys), noun)} ({listed})"


def warning_groups(
    warnings: Iterable[Warning_], subjects: Mapping[str, str]
) -> list[tuple[tuple[str, ...], str, str]]:
    """The plan's warnings, identical ones said once: ``(keys, noun, message)``, the noun
    saying what the keys name (``study``, ``organization``, or ``entry`` for both);
    ``subjects`` says which keys are organizations' (a key it does not hold is a study's)."""
    found = []
    for keys, message in grouped((w.key, w.message) for w in warnings):
        kinds = {subjects.get(key, "study") for key in keys}
        found.append((keys, kinds.pop() if len(kinds) == 1 else "entry", message))
    return found


def refusal_lines(refusals: Iterable[Refusal], limit: int | None = None) -> list[str]:
    """Each refusal in words, the same refusal of several entries said once:
    ``300 studies (bp-0, ...): remove scope request "x" (id 5): destructive; allow ...``."""
    lines = []
    for keys, (reason, what, subject, detail) in grouped(
        (r.key, (r.reason, r.what, r.subject, r.detail)) for r in refusals
    ):
        refusal = Refusal(reason, what, keys[0], subject, detail)
        if len(keys) == 1:
            lines.append(str(refusal))
        else:
            lines.append(f"{keys_text(keys, limit, subject)}: {what}{refusal.advice(None)}")
    return lines


UNLISTED_HOW_TO = (
    "An entry dropped from the spec (a site removed from a for_each, say) leaves its study "
    "here. To keep one managed, add its entry again (jhe-sync export --study ID writes "
    "it); to delete it, add that entry with state: absent."
)
"""What to do about a live study in an organization the spec no longer mentions."""
