"""Naming patients in reports and picking them on the command line, without their details.

A report names an enrolled patient by the label the spec author gave them
(``PatientRef.label``: the key, the email as written, ``system|value`` or ``#id``) when
the spec lists them, else by ``#id``: never by a name, birth date or phone from the
server, which jhe-sync does not even keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from jhe_sync.errors import Unresolved
from jhe_sync.identity import PatientFinder
from jhe_sync.live import NO_CALLER, Live, Patient
from jhe_sync.spec.models import PatientRef, PatientReference, StudySpec

_ID = re.compile(r"#?\s*([0-9]+)")


def finder_for(patients: Iterable[Patient]) -> PatientFinder:
    """The plan's patient finder over these patients only."""
    return PatientFinder(Live(caller=NO_CALLER, patients={p.id: p for p in patients}))


def spec_labels(spec: StudySpec, patients: Iterable[Patient]) -> dict[int, str]:
    """Patient id -> the spec's label, for the spec's patients found among ``patients``."""
    finder = finder_for(patients)
    labels: dict[int, str] = {}
    for ref in spec.patients or ():
        try:
            labels.setdefault(finder.find(ref), ref.label)
        except Unresolved:
            continue
    return labels


def label(patient_id: int, labels: dict[int, str]) -> str:
    """How a report names a patient: the spec's label, else ``#id``."""
    return labels.get(patient_id, f"#{patient_id}")


def parse_choice(text: str, spec: StudySpec) -> PatientReference | None:
    """A patient named on the command line (``--patient``): a label of the study's spec
    (its key, email, ``system|value`` or ``#id``), an email, ``system|value``, or an id
    (``#40001`` or ``40001``). None when it is none of these."""
    wanted = text.strip()
    for ref in spec.patients or ():
        if wanted in (ref.label, ref.key) or wanted.casefold() == ref.label.casefold():
            return ref
    matched = _ID.fullmatch(wanted)
    if matched:
        return PatientRef(id=int(matched.group(1)))
    if "@" in wanted:
        try:
            return PatientRef(email=wanted)
        except ValueError:
            return None
    system, bar, value = wanted.rpartition("|")
    if bar and system.strip() and value.strip():
        return PatientRef.model_validate({"identifier": {"system": system, "value": value}})
    return None
