"""Changes: small typed values, one per call (or per enrollment direction) to the exchange.

A Change knows the HTTP call it stands for (``call``), whether it destroys something
on the server, and what it touches. It holds no live objects and no patient details:
patients appear as the spec author's label and their id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jhe_sync.resources import API, ChangeKind, link_of_change


@dataclass(frozen=True)
class FieldChange:
    """One study field: its live value and the value the spec wants."""

    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PatientTarget:
    """A patient a change enrolls or unenrolls: the spec's label (or ``#id``) and the id."""

    id: int
    label: str
    consented: bool = False
    """For unenrollment: this patient has consented to at least one scope of the study."""


@dataclass(frozen=True)
class Impact:
    """What a destructive change touches on the server, from the snapshot."""

    enrolled: int = 0
    consented: int = 0
    """Patients with at least one consent answer (yes) that this change affects."""
    consents: int = 0
    """Consent records (patient x scope) this change erases or orphans."""
    complete: bool = True
    """False when the snapshot lacked the study's enrollments or some patients' consents:
    the counts are then only what was known (lower bounds)."""


@dataclass(frozen=True)
class Call:
    """An HTTP call. ``path`` may hold ``{study_id}`` until the study exists."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


@dataclass(frozen=True)
class Change:
    """One planned change to one study."""

    kind: ChangeKind
    study_key: str
    organization_id: int
    study_id: int | None = None
    """The live study's id; None for a study that the plan creates."""
    study_name: str = ""
    fields: tuple[FieldChange, ...] = ()
    """For create: every field set; for update: each field that differs."""
    link_id: int | None = None
    link_label: str = ""
    patients: tuple[PatientTarget, ...] = ()
    reason: str = ""
    impact: Impact | None = None
    protected: bool = False
    """The study says ``protect: true``."""

    @property
    def destructive(self) -> bool:
        return self.kind.destructive

    @property
    def sort_key(self) -> tuple[str, int, str, tuple[int, ...]]:
        return (self.study_key, self.kind.rank, self.link_label, tuple(p.id for p in self.patients))

    @property
    def link_count(self) -> int:
        """How many links this change adds or removes (patients count one each)."""
        if self.kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
            return len(self.patients)
        return 1 if self.kind.is_link else 0

    def to_dict(self) -> dict[str, Any]:
        """The change in a plan's json form, with the call it makes."""
        impact = self.impact
        return {
            "kind": self.kind.value,
            "study_key": self.study_key,
            "study_id": self.study_id,
            "study_name": self.study_name,
            "organization_id": self.organization_id,
            "destructive": self.destructive,
            "protected": self.protected,
            "fields": [{"name": f.name, "before": f.before, "after": f.after} for f in self.fields],
            "link_id": self.link_id,
            "link_label": self.link_label,
            "patients": [
                {"id": p.id, "label": p.label, "consented": p.consented} for p in self.patients
            ],
            "impact": None
            if impact is None
            else {
                "enrolled": impact.enrolled,
                "consented": impact.consented,
                "consents": impact.consents,
                "complete": impact.complete,
            },
            "reason": self.reason,
            "call": self.call().to_dict(),
        }

    def call(self) -> Call:
        """The request this change makes (enrollments: the whole, unchunked list)."""
        study = str(self.study_id) if self.study_id is not None else "{study_id}"
        base = f"{API}/studies/{study}"
        kind = self.kind
        if kind is ChangeKind.CREATE_STUDY:
            return Call("POST", f"{API}/studies", study_body(self.fields, self.organization_id))
        if kind is ChangeKind.UPDATE_STUDY:
            return Call("PATCH", base, study_body(self.fields))
        if kind is ChangeKind.DELETE_STUDY:
            return Call("DELETE", base)
        link = link_of_change(kind)
        method = "DELETE" if kind.destructive else "POST"
        ids = [p.id for p in self.patients] if link.enrollment else self.link_id
        return Call(method, f"{base}/{link.resource}", {link.body_key: ids})


_WIRE_NAMES = {"name": "name", "description": "description", "icon_url": "iconUrl"}


def study_body(
    fields: tuple[FieldChange, ...], organization_id: int | None = None
) -> dict[str, Any]:
    """The JSON body of a study create or update (``organization`` is an int on writes)."""
    body: dict[str, Any] = {_WIRE_NAMES[f.name]: f.after for f in fields if f.name in _WIRE_NAMES}
    if organization_id is not None:
        body["organization"] = organization_id
    return body


@dataclass(frozen=True)
class UnmanagedStudy:
    """A live study in a managed organization that no spec entry lists."""

    id: int
    name: str
    organization_id: int


@dataclass(frozen=True)
class Warning_:
    """A plan warning: not an error, but a reviewer should know."""

    study_key: str
    message: str
