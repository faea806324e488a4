"""What jhe-sync knows of the live exchange, as plain values: the records (studies,
organizations, practitioners' roles and accounts, the catalogue, patients, consents) and
``Live``, one snapshot of them.

A ground floor: ``exchange.parse`` turns answers into these records, ``snapshot``
reads them into a ``Live``, and the identity rules, the plan and the lifecycle
commands read that ``Live`` without reading anything themselves.

Patients are kept without name, birth date or phone: the snapshot holds only what
matching and impact need (ids, email, identifiers, organizations), so no later stage
can leak those details by accident. Client secrets are never kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who the credentials act as."""

    id: int
    email: str
    is_superuser: bool = False
    practitioner_of: frozenset[int] | None = None
    """For a superuser, the organizations it is a practitioner of (``/users/organizations``),
    when read: the exchange shows a superuser every organization with the role
    ``super_user``, yet shows it the patients and enrollments of these only."""


NO_CALLER = Caller(id=0, email="")
"""The caller of a ``Live`` built without asking who the caller is (a request saved):
the lifecycle commands' snapshots, and the objects a freshness check re-reads. Nothing
that reads those snapshots looks at the caller."""


WRITE_ROLES = frozenset({"manager", "member", "super_user"})
"""Roles that may write studies in an organization (``super_user``: a superuser)."""


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    type: str
    part_of: int | None
    role: str | None = None
    """The caller's role here: ``manager``, ``member``, ``viewer``, ``super_user`` or None."""


@dataclass(frozen=True)
class PractitionerRole:
    """A practitioner's role in one organization, as ``/organizations/{id}/users`` lists it
    (the server stores any string as a role)."""

    user_id: int
    email: str
    role: str


@dataclass(frozen=True)
class User:
    """An account found by its e-mail (``GET /users?email=``).

    ``listed`` is False for an account the API created (``userType`` null): the
    organizations' user lists never show it, so its roles cannot be read (FINDINGS).
    """

    id: int
    email: str
    listed: bool = True
    patient: bool = False
    """A patient's account, not a practitioner's: it cannot hold a role."""


@dataclass(frozen=True)
class ScopeCode:
    id: int
    system: str
    code: str
    text: str


@dataclass(frozen=True)
class DataSource:
    id: int
    name: str
    type: str
    supported_scope_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Client:
    """A patient-facing app. ``id`` is the Application pk that study links use."""

    id: int
    name: str
    client_id: str = ""


@dataclass(frozen=True)
class PatientIdentifier:
    system: str
    value: str


@dataclass(frozen=True)
class Patient:
    id: int
    email: str | None
    identifiers: tuple[PatientIdentifier, ...] = ()
    organization_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Study:
    id: int
    name: str
    description: str
    organization_id: int
    icon_url: str | None = None


@dataclass(frozen=True)
class StudyLinks:
    """A study's link sets; None where that set was not read (the spec does not manage it)."""

    scope_ids: frozenset[int] | None = None
    data_source_ids: frozenset[int] | None = None
    client_ids: frozenset[int] | None = None
    patient_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class ScopeConsent:
    """One patient's answer for one scope of one study: True, False, or None (pending)."""

    study_id: int
    scope_id: int
    consented: bool | None


@dataclass(frozen=True)
class Live:
    """One snapshot of the exchange, as far as the spec needs it: immutable, like its
    records. A read that adds to a snapshot returns a new one (``dataclasses.replace``);
    each mapping is read-only (a ``MappingProxyType`` over the dict it was given, which
    the code that built it does not keep)."""

    caller: Caller
    organizations: Mapping[int, Organization] = field(default_factory=dict)
    scopes: Mapping[int, ScopeCode] = field(default_factory=dict)
    data_sources: Mapping[int, DataSource] = field(default_factory=dict)
    clients: Mapping[int, Client] = field(default_factory=dict)
    studies: Mapping[int, Study] = field(default_factory=dict)
    """Studies of the organizations the spec touches, by id."""
    links: Mapping[int, StudyLinks] = field(default_factory=dict)
    """Links of the studies that a spec entry may match, by study id."""
    patients: Mapping[int, Patient] = field(default_factory=dict)
    """Patients needed to resolve the spec's references and to show impact."""
    organization_patient_ids: Mapping[int, frozenset[int]] = field(default_factory=dict)
    """The ids each organization's patient list answered, for the organizations whose
    list was read: apply checks enrollments against them instead of reading them again."""
    consents: Mapping[int, tuple[ScopeConsent, ...]] = field(default_factory=dict)
    """Consents by patient id, for the patients destructive changes touch."""
    organization_types: Mapping[str, str] = field(default_factory=dict)
    """The organization types, key -> label (read when a spec entry gives a type)."""
    roles: Mapping[int, tuple[PractitionerRole, ...]] = field(default_factory=dict)
    """Practitioner roles by organization id, for the organizations whose user lists were
    read (those whose practitioners the spec manages, and those a deletion reaches)."""
    users: Mapping[str, User | None] = field(default_factory=dict)
    """Accounts looked up by e-mail (casefolded); None: no account has it."""
    read_organization_ids: frozenset[int] = frozenset()
    """The organizations whose studies were listed (others are simply not known)."""
    exchange: str = ""
    """The exchange it was read from (``Exchange.name``: its normalised URL)."""

    def __post_init__(self) -> None:
        for name in _MAPPINGS:
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(value))

    def study_record(self, study_id: int) -> dict[str, Any]:
        """What was read of one study, as JSON: its fields, and its link sets as sorted
        ids (None where a set was not read). Patients appear as ids only. A saved plan
        keeps it, so that a stale plan can say what changed; its digest is the study's
        fingerprint."""
        study = self.studies.get(study_id)
        return {
            "study": _fields_dict(study) if study else None,
            "links": _links_dict(self.links.get(study_id)),
        }

    def organization_record(self, organization_id: int) -> list[list[Any]]:
        """The studies listed in one organization, as ``[id, name]`` pairs by id."""
        return [
            [s.id, s.name]
            for s in sorted(self.studies.values(), key=lambda s: (s.id, s.name))
            if s.organization_id == organization_id
        ]

    def can_write(self, organization_id: int) -> bool:
        """Whether the caller may create, change and delete studies in an organization."""
        if self.caller.is_superuser:
            return True
        organization = self.organizations.get(organization_id)
        return organization is not None and organization.role in WRITE_ROLES

    def members(self, organization_id: int) -> frozenset[int]:
        """The patient ids of an organization, as its patient list answered (empty when
        it was not read: see ``organization_patient_ids``)."""
        return self.organization_patient_ids.get(organization_id, frozenset())

    def children(self, organization_id: int) -> list[Organization]:
        """The organizations directly under one, by id."""
        return sorted(
            (o for o in self.organizations.values() if o.part_of == organization_id),
            key=lambda o: o.id,
        )

    def organization_part_record(self, family: str, organization_id: int) -> Any:
        """One part of what was read of an organization, as JSON, as a saved plan keeps
        it under ``<family>:<id>`` (its digest is the fingerprint): ``organization-fields``
        ``[name, type, parent]`` (None: gone), ``organization-children`` ``[id, name]``
        pairs, ``organization-roles`` ``[user id, role]`` pairs, ``organization-patients``
        the member ids."""
        if family == "organization-fields":
            org = self.organizations.get(organization_id)
            return None if org is None else [org.name, org.type, org.part_of]
        if family == "organization-children":
            return [[o.id, o.name] for o in self.children(organization_id)]
        if family == "organization-roles":
            roles = self.roles.get(organization_id)
            return None if roles is None else [[r.user_id, r.role] for r in roles]
        if family == "organization-patients":
            return sorted(self.members(organization_id))
        raise KeyError(family)

    def sees_patients_of(self, organization_id: int) -> bool:
        """Whether the exchange shows the caller an organization's patients and its studies'
        enrollments: only to its practitioners (any role), a superuser too. A superuser
        whose organizations were not read is taken to see them (nothing tells otherwise)."""
        if self.caller.is_superuser:
            member_of = self.caller.practitioner_of
            return member_of is None or organization_id in member_of
        organization = self.organizations.get(organization_id)
        return organization is not None and organization.role is not None

    def study_fingerprint(self, study_id: int) -> str:
        """A digest of everything read about one study (``study_record``)."""
        return record_digest(self.study_record(study_id))

    def organization_fingerprint(self, organization_id: int) -> str:
        """A digest of the set of studies (ids and names) listed in one organization."""
        return record_digest(self.organization_record(organization_id))


ORGANIZATION_PARTS = (
    "organization-fields",
    "organization-children",
    "organization-roles",
    "organization-patients",
)
"""The families of ``Live.organization_part_record``."""


def record_digest(record: object) -> str:
    """The fingerprint of a record (``Live.study_record`` and the like): a short sha256
    of its canonical JSON. A saved plan holds both; they must agree."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=sorted)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_MAPPINGS = tuple(
    f.name for f in fields(Live) if f.name not in ("caller", "read_organization_ids", "exchange")
)


# Field by field rather than asdict(), which deep-copies every value (every id set):
# these run once per study on every plan, thousands of times; the digest is the same.
_STUDY_FIELDS = tuple(f.name for f in fields(Study))
_LINK_FIELDS = tuple(f.name for f in fields(StudyLinks))


def _fields_dict(study: Study) -> dict[str, object]:
    return {name: getattr(study, name) for name in _STUDY_FIELDS}


def _links_dict(links: StudyLinks | None) -> dict[str, list[int] | None] | None:
    if links is None:
        return None
    values = ((name, getattr(links, name)) for name in _LINK_FIELDS)
    return {name: (sorted(value) if value is not None else None) for name, value in values}
