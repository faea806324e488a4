"""Changes: small typed values, one per call (or per enrollment direction) to the exchange.

A Change belongs to one spec entry, a study or an organization (``key``: one namespace
for both, as ``--target`` and ``--allow-destroy`` take them). It knows the HTTP call it
stands for (``call``), whether it destroys something on the server, and what it
touches. It holds no live objects and no patient details: patients appear as the spec
author's label and their id, practitioners as their e-mail and user id.

An object the same plan creates has no id yet: a study's own changes say ``{study_id}``
in their path, and every change that needs the id of an organization the plan creates
says ``{organization:KEY}`` (its entry's key), in the path or as a body value; apply
fills both in once the create has answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from jhe_sync.resources import API, ChangeKind, link_of_change


@dataclass(frozen=True)
class FieldChange:
    """One field of a study or organization (or a practitioner's ``role``): its live value
    and the value the spec wants."""

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
    """What a destructive change to a study touches on the server, from the snapshot."""

    enrolled: int = 0
    consented: int = 0
    """Patients with at least one consent answer (yes) that this change affects."""
    consents: int = 0
    """Consent records (patient x scope) this change erases or orphans."""
    complete: bool = True
    """False when the snapshot lacked the study's enrollments or some patients' consents:
    the counts are then only what was known (lower bounds)."""
    scopes_without_source: tuple[str, ...] = ()
    """A data source removal: the consented scopes (codes) that the plan leaves without
    any data source of the study, with this one among those removed: their data is no
    longer collected."""
    links_left: int | None = None
    """A data source or client removal: how many of that kind the study keeps after the
    plan (0: a client removal leaves patients no app to connect through)."""


@dataclass(frozen=True)
class CascadedStudy:
    """A study that an organization change reaches: deleted with its organization, or one
    that a patient removed from the organization is unenrolled from."""

    id: int
    name: str
    organization_id: int
    enrolled: int = 0
    """Patients of the change enrolled in it (all of them, for a study deleted)."""
    consented: int = 0
    consents: int = 0


@dataclass(frozen=True)
class OrganizationLabel:
    """An organization as a cascade names it."""

    id: int
    name: str


@dataclass(frozen=True)
class Cascade:
    """What goes with an organization deleted, or with a patient removed from one.

    The server deletes an organization with its child organizations (recursively), their
    studies (with the enrollments and consents), its patient memberships and practitioner
    roles; patients are kept, and one whose only organizations these were is left in
    none. A patient removed from an organization loses their enrollments and consents in
    its studies, and their record when it was their last organization.
    """

    organizations: tuple[OrganizationLabel, ...] = ()
    """Child organizations deleted with it."""
    studies: tuple[CascadedStudy, ...] = ()
    memberships: int = 0
    """Patient memberships removed (of the organization and its children)."""
    roles: int = 0
    """Practitioner roles removed (as far as the organizations' user lists show them)."""
    patients: tuple[PatientTarget, ...] = ()
    """Patients left in no organization: for a deletion they stay on the exchange in no
    organization's list; for a membership removal the patient record is deleted."""
    complete: bool = True
    """False when something could not be read: the counts are then lower bounds."""


Lockout = Literal["caller", "last_manager"]
"""Why a role change can never be applied, whatever the flags: it takes the manager role
from the identity applying the plan (``caller``), or it leaves the organization with no
manager (``last_manager``); one change may do both."""


@dataclass(frozen=True)
class Destroyed:
    """One thing a destructive change destroys, by identity: the kind of change, its entry,
    the objects it acts on (study, organization, parent, link) and what it sets them to,
    and for an unenrollment one patient. ``apply --reviewed`` lets a change through only
    when everything it destroys is among what the reviewed plan destroyed."""

    kind: ChangeKind
    key: str
    study_id: int | None
    organization_id: int | None
    organization_key: str
    parent_id: int | None
    parent_key: str
    link_id: int | None
    fields: tuple[tuple[str, str], ...]
    """Each field's name and its new value as JSON (a role lowered to member, not viewer)."""
    patient_id: int | None = None


@dataclass(frozen=True)
class Call:
    """An HTTP call. ``path`` (and body values) may hold ``{study_id}`` or
    ``{organization:KEY}`` until that object exists; a query is part of ``path``."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


def organization_placeholder(key: str) -> str:
    """What a call says for the id of an organization the plan creates: ``{organization:KEY}``."""
    return f"{{organization:{key}}}"


STUDY_PLACEHOLDER = "{study_id}"


@dataclass(frozen=True)
class Change:
    """One planned change to one study or organization."""

    kind: ChangeKind
    key: str
    """The key of the spec entry (study or organization) the change belongs to."""
    organization_id: int | None
    """The organization a study change is in, or the one an organization change is
    about; None when this plan creates it (see ``organization_key``)."""
    organization_key: str = ""
    """The entry key of that organization when this plan creates it; empty otherwise."""
    study_id: int | None = None
    """The live study's id; None for a study that the plan creates, or no study at all."""
    name: str = ""
    """The study's or the organization's name."""
    parent_id: int | None = None
    """The parent of an organization created or moved (its new parent for a move)."""
    parent_key: str = ""
    """The entry key of that parent when this plan creates it."""
    fields: tuple[FieldChange, ...] = ()
    """For create: every field set; for update: each field that differs; for a role:
    ``role`` before and after."""
    link_id: int | None = None
    """The linked object: a scope, data source or client; a practitioner's user id (roles);
    a patient's id (memberships)."""
    link_label: str = ""
    """How the plan names it: a code or name; a practitioner's e-mail; a patient's label."""
    patients: tuple[PatientTarget, ...] = ()
    reason: str = ""
    impact: Impact | None = None
    cascade: Cascade | None = None
    protected: bool = False
    """The entry says ``protect: true``."""
    lockouts: tuple[Lockout, ...] = ()

    @property
    def destructive(self) -> bool:
        return self.kind.destructive

    @property
    def subject(self) -> str:
        return self.kind.subject

    @property
    def sort_key(self) -> tuple[int, str, int, str, tuple[int, ...]]:
        """Organizations first, then studies; within an entry, in the order apply runs them."""
        subject = 0 if self.subject == "organization" else 1
        patients = tuple(p.id for p in self.patients)
        return (subject, self.key, self.kind.rank, self.link_label, patients)

    @property
    def object_count(self) -> int:
        """How many objects this change acts on: each patient of an enrollment change,
        else the one study or link (what the destroy threshold and the summary count)."""
        return len(self.patients) or 1

    @property
    def link_count(self) -> int:
        """How many links this change adds or removes (patients count one each)."""
        if self.kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
            return len(self.patients)
        return 1 if self.kind.is_link else 0

    @property
    def role(self) -> tuple[str | None, str | None]:
        """A role change's role before and after (None: no role)."""
        for field in self.fields:
            if field.name == "role":
                return field.before, field.after
        return None, None

    def destroyed(self) -> tuple[Destroyed, ...]:
        """What this change destroys, each thing named so that the same thing in another
        plan compares equal (empty for a change that destroys nothing). Each patient an
        unenrollment (or a cascade of patients) touches is one thing of its own."""
        if not self.destructive:
            return ()
        common = Destroyed(
            kind=self.kind,
            key=self.key,
            study_id=self.study_id,
            organization_id=self.organization_id,
            organization_key=self.organization_key,
            parent_id=self.parent_id,
            parent_key=self.parent_key,
            link_id=self.link_id,
            fields=tuple((f.name, json.dumps(f.after, sort_keys=True)) for f in self.fields),
        )
        if not self.patients:
            return (common,)
        return tuple(replace(common, patient_id=p.id) for p in self.patients)

    def fingerprint_keys(self) -> frozenset[str]:
        """The live objects this change depends on, as a saved plan fingerprints them: a
        study it changes, the studies listed in the organization it creates a study in,
        an organization it changes (its fields), the children of the parent it creates
        an organization under, the roles or patient members it changes. An object the
        same plan creates has none (the create it depends on is covered)."""
        kind = self.kind
        if self.subject == "study":
            if self.study_id is not None:
                return frozenset({f"study:{self.study_id}"})
            known = self.organization_id
            return frozenset() if known is None else frozenset({f"organization:{known}"})
        if kind is ChangeKind.CREATE_ORGANIZATION:
            parent = self.parent_id
            return frozenset() if parent is None else frozenset({f"organization-children:{parent}"})
        if self.organization_id is None:
            return frozenset()
        family = {
            ChangeKind.GRANT_ROLE: "organization-roles",
            ChangeKind.RAISE_ROLE: "organization-roles",
            ChangeKind.LOWER_ROLE: "organization-roles",
            ChangeKind.REMOVE_ROLE: "organization-roles",
            ChangeKind.ADD_MEMBERSHIP: "organization-patients",
            ChangeKind.REMOVE_MEMBERSHIP: "organization-patients",
        }.get(kind, "organization-fields")
        return frozenset({f"{family}:{self.organization_id}"})

    def to_dict(self) -> dict[str, Any]:
        """The change in a plan's json form, with the call it makes."""
        impact, cascade = self.impact, self.cascade
        return {
            "kind": self.kind.value,
            "key": self.key,
            "study_id": self.study_id,
            "name": self.name,
            "organization_id": self.organization_id,
            "organization_key": self.organization_key,
            "parent_id": self.parent_id,
            "parent_key": self.parent_key,
            "destructive": self.destructive,
            "protected": self.protected,
            "lockouts": list(self.lockouts),
            "fields": [{"name": f.name, "before": f.before, "after": f.after} for f in self.fields],
            "link_id": self.link_id,
            "link_label": self.link_label,
            "patients": [_patient_dict(p) for p in self.patients],
            "impact": None
            if impact is None
            else {
                "enrolled": impact.enrolled,
                "consented": impact.consented,
                "consents": impact.consents,
                "complete": impact.complete,
                "scopes_without_source": list(impact.scopes_without_source),
                "links_left": impact.links_left,
            },
            "cascade": None if cascade is None else _cascade_dict(cascade),
            "reason": self.reason,
            "call": self.call().to_dict(),
        }

    def call(self) -> Call:
        """The request this change makes (enrollments: the whole, unchunked list)."""
        if self.subject == "organization":
            return self._organization_call()
        study = str(self.study_id) if self.study_id is not None else STUDY_PLACEHOLDER
        base = f"{API}/studies/{study}"
        kind = self.kind
        if kind is ChangeKind.CREATE_STUDY:
            return Call("POST", f"{API}/studies", study_body(self.fields, self.organization))
        if kind is ChangeKind.UPDATE_STUDY:
            return Call("PATCH", base, study_body(self.fields))
        if kind is ChangeKind.DELETE_STUDY:
            return Call("DELETE", base)
        link = link_of_change(kind)
        method = "DELETE" if kind.destructive else "POST"
        ids = [p.id for p in self.patients] if link.enrollment else self.link_id
        return Call(method, f"{API}/studies/{study}/{link.resource}", {link.body_key: ids})

    @property
    def organization(self) -> int | str:
        """The organization's id, or its placeholder when this plan creates it."""
        if self.organization_id is not None:
            return self.organization_id
        return organization_placeholder(self.organization_key)

    @property
    def parent(self) -> int | str | None:
        """The parent's id, or its placeholder when this plan creates it (None: no parent)."""
        if self.parent_id is not None:
            return self.parent_id
        return organization_placeholder(self.parent_key) if self.parent_key else None

    def _organization_call(self) -> Call:
        kind = self.kind
        organization = self.organization
        base = f"{API}/organizations/{organization}"
        if kind is ChangeKind.CREATE_ORGANIZATION:
            body = {f.name: f.after for f in self.fields if f.name in ("name", "type")}
            return Call("POST", f"{API}/organizations", {**body, "part_of": self.parent})
        if kind is ChangeKind.UPDATE_ORGANIZATION:
            return Call("PATCH", base, {f.name: f.after for f in self.fields})
        if kind is ChangeKind.MOVE_ORGANIZATION:
            return Call("PATCH", base, {"partOf": self.parent})
        if kind is ChangeKind.DELETE_ORGANIZATION:
            return Call("DELETE", base)
        if kind in (ChangeKind.GRANT_ROLE, ChangeKind.RAISE_ROLE, ChangeKind.LOWER_ROLE):
            # The server's key, misspelt as it is upstream; the POST is an upsert.
            body = {"jhe_user_id": self.link_id, "organization_partitioner_role": self.role[1]}
            return Call("POST", f"{base}/user", body)
        if kind is ChangeKind.REMOVE_ROLE:
            return Call("DELETE", f"{base}/remove_user", {"jhe_user_id": self.link_id})
        patient = f"{API}/patients/{self.link_id}"
        if kind is ChangeKind.ADD_MEMBERSHIP:
            return Call(
                "PATCH", f"{patient}/global_add_organization?organization_id={organization}"
            )
        if kind is ChangeKind.REMOVE_MEMBERSHIP:
            return Call("DELETE", f"{patient}?organization_id={organization}")
        raise AssertionError(f"no call for {kind}")  # pragma: no cover


def _patient_dict(patient: PatientTarget) -> dict[str, Any]:
    return {"id": patient.id, "label": patient.label, "consented": patient.consented}


def _cascade_dict(cascade: Cascade) -> dict[str, Any]:
    return {
        "organizations": [{"id": o.id, "name": o.name} for o in cascade.organizations],
        "studies": [
            {
                "id": s.id,
                "name": s.name,
                "organization_id": s.organization_id,
                "enrolled": s.enrolled,
                "consented": s.consented,
                "consents": s.consents,
            }
            for s in cascade.studies
        ],
        "memberships": cascade.memberships,
        "roles": cascade.roles,
        "patients": [_patient_dict(p) for p in cascade.patients],
        "complete": cascade.complete,
    }


_WIRE_NAMES = {"name": "name", "description": "description", "icon_url": "iconUrl"}


def study_body(
    fields: tuple[FieldChange, ...], organization: int | str | None = None
) -> dict[str, Any]:
    """The JSON body of a study create or update (``organization`` is an int on writes,
    or the placeholder of an organization the plan creates)."""
    body: dict[str, Any] = {_WIRE_NAMES[f.name]: f.after for f in fields if f.name in _WIRE_NAMES}
    if organization is not None:
        body["organization"] = organization
    return body


@dataclass(frozen=True)
class UnmanagedStudy:
    """A live study that no spec entry lists: in an organization the spec manages, or in
    one it does not mention where the caller may write (``organization_in_spec`` False:
    an entry dropped with its organization, say from a ``for_each``, shows up there)."""

    id: int
    name: str
    organization_id: int
    organization_in_spec: bool = True


@dataclass(frozen=True)
class Warning_:
    """A plan warning: not an error, but a reviewer should know."""

    key: str
    message: str


RefusalReason = Literal["destructive", "protected", "lockout", "threshold", "unreviewed", "role"]
"""Why apply would refuse: a destructive change no flag allows, one ``protect: true``
forbids, one that would lock managers out, a plan destroying too much, a destructive
change the reviewed plan did not show (``apply --reviewed``), or the caller's role
(the credentials may read, not write: the plan is whole, applying needs the role).
Only ``role`` is about the credentials rather than the plan."""


@dataclass(frozen=True)
class Refusal:
    """One reason the safeguards refuse a plan: one entry's change that no flag allows,
    that ``protect: true`` forbids or that would lock managers out (``lockout``), or the
    plan as a whole (a ``threshold``).

    ``what`` names the change without its entry (for a threshold it says everything), so
    that the same refusal of many studies reads as one line with their keys; ``str()``
    is the refusal of one entry, as apply's error lists it."""

    reason: RefusalReason
    what: str
    key: str = ""
    subject: str = "study"
    """``study`` or ``organization``: what ``key`` names."""
    detail: str = ""
    """For a lockout: why it can never be applied, and what to do instead."""

    def __str__(self) -> str:
        entry = f'{self.subject} "{self.key}": ' if self.key else ""
        return entry + self.what + self.advice(self.key)

    def to_dict(self) -> dict[str, str]:
        """The refusal in a plan's json form: why (``reason``), the entry (``key``, empty
        for the plan as a whole or the credentials) and the sentence a user reads."""
        return {
            "reason": self.reason,
            "key": self.key,
            "subject": self.subject,
            "message": str(self),
        }

    def advice(self, key: str | None) -> str:
        """What lifts it, for one entry (``key``) or for several (None)."""
        subject = self.subject
        if self.reason == "threshold":
            return ""
        if self.reason == "role" and self.detail:
            return f": {self.detail}"
        if self.reason == "role":
            return (
                ": applying needs the member or manager role there (the server answers 403). "
                "This plan is complete and may be reviewed; apply it with credentials that have "
                "the role, or ask a manager of the organization for it"
            )
        if self.reason == "unreviewed":
            return (
                ": destructive, and not among the changes of the reviewed plan (it appeared "
                "after the review, e.g. someone enrolled a patient from the console); nothing "
                "was applied. Plan again in a pull request, so that a reviewer sees it"
            )
        if self.reason == "lockout":
            return f": {self.detail}"
        if self.reason == "protected":
            losing = "loses no links" if subject == "study" else "is never moved"
            return (
                f": the {subject} is protected (protect: true), so it is never deleted and "
                f"{losing}, whatever the flags; remove protect: true from its spec first"
            )
        if key:
            return (
                f": destructive; allow it with --allow-destroy {key} (this {subject}) "
                "or --allow-destroy (all)"
            )
        return (
            f": destructive; allow it with --allow-destroy KEY for each {subject}, "
            "or --allow-destroy (all)"
        )
