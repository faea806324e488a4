"""What jhe-sync changes on the exchange, each named once: the API prefix, the kinds of
change, the practitioner roles, and the table of a study's link kinds.

A study links to scope codes, data sources, clients and patients. All four are a set
of ids under ``/api/v1/studies/{id}/<resource>``, added with ``POST`` and removed with
``DELETE``, each with a JSON body; every stage (read, resolve, diff, apply, wording)
takes what it needs from this table instead of keeping a table of its own.

Enrollments differ in two ways, and ``enrollment`` says so: their body takes a list
of patient ids (one request per study and direction), and their ``GET`` is a paginated
list of patients rather than a bare list of link entries.

A ground floor: it imports nothing of jhe_sync, so the spec, the HTTP client, the
snapshot and the plan all read the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

API = "/api/v1"
"""The prefix of every path of the exchange's REST API (the token path aside)."""


class ChangeKind(Enum):
    """What a change does. The declaration order is the order apply runs an entry's changes:
    an organization's creation, update, move, raised roles and new members come before
    every study change (phase 0), the studies' own changes next (phase 1), and lowered or
    removed roles, removed members and organization deletions last (phase 2)."""

    CREATE_ORGANIZATION = "create_organization"
    UPDATE_ORGANIZATION = "update_organization"
    MOVE_ORGANIZATION = "move_organization"
    GRANT_ROLE = "grant_role"
    RAISE_ROLE = "raise_role"
    ADD_MEMBERSHIP = "add_patient_membership"
    CREATE_STUDY = "create_study"
    UPDATE_STUDY = "update_study"
    ADD_DATA_SOURCE = "add_data_source"
    ADD_SCOPE = "add_scope_request"
    ADD_CLIENT = "add_client"
    ENROLL = "enroll_patients"
    UNENROLL = "unenroll_patients"
    REMOVE_CLIENT = "remove_client"
    REMOVE_SCOPE = "remove_scope_request"
    REMOVE_DATA_SOURCE = "remove_data_source"
    DELETE_STUDY = "delete_study"
    LOWER_ROLE = "lower_role"
    REMOVE_ROLE = "remove_role"
    REMOVE_MEMBERSHIP = "remove_patient_membership"
    DELETE_ORGANIZATION = "delete_organization"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def destructive(self) -> bool:
        """Guarded: refused unless allowed (``--allow-destroy``), counted by the thresholds."""
        return self in DESTRUCTIVE_KINDS

    @property
    def subject(self) -> Subject:
        """What the change belongs to: a study entry or an organization entry."""
        return "study" if self in STUDY_KINDS else "organization"

    @property
    def phase(self) -> int:
        """When apply runs it: 0 before the studies' changes, 1 with them, 2 after them."""
        if self in STUDY_KINDS:
            return 1
        return 0 if self.rank < _RANK[ChangeKind.CREATE_STUDY] else 2

    @property
    def counted_as(self) -> Counted:
        """Which count of a plan's summary the change adds to."""
        return _COUNTED[self]

    @property
    def count_noun(self) -> str:
        """One object this kind of change destroys, as a plan's summary counts it:
        ``unenrollment`` (one per patient), ``scope request removal``."""
        return _COUNT_NOUNS.get(self, self.value.replace("_", " "))

    @property
    def is_link(self) -> bool:
        """A link added, changed or removed (of a study, or a role or membership of an
        organization), rather than a change to a study or organization itself."""
        return self.counted_as in ("link_add", "link_remove")


Subject = Literal["study", "organization"]
Counted = Literal["create", "update", "destroy", "link_add", "link_remove"]

_RANK = {kind: index for index, kind in enumerate(ChangeKind)}

STUDY_KINDS = frozenset(
    kind
    for kind in ChangeKind
    if _RANK[ChangeKind.CREATE_STUDY] <= _RANK[kind] <= _RANK[ChangeKind.DELETE_STUDY]
)

DESTRUCTIVE_KINDS = frozenset(
    {
        ChangeKind.MOVE_ORGANIZATION,
        ChangeKind.DELETE_STUDY,
        ChangeKind.UNENROLL,
        ChangeKind.REMOVE_SCOPE,
        ChangeKind.REMOVE_DATA_SOURCE,
        ChangeKind.REMOVE_CLIENT,
        ChangeKind.LOWER_ROLE,
        ChangeKind.REMOVE_ROLE,
        ChangeKind.REMOVE_MEMBERSHIP,
        ChangeKind.DELETE_ORGANIZATION,
    }
)
"""A move is guarded too: it hands the organization to the new parent's managers (who
then hold its update and delete rights) and takes it from the old parent's."""

_COUNT_NOUNS = {
    ChangeKind.MOVE_ORGANIZATION: "organization move",
    ChangeKind.UNENROLL: "unenrollment",
    ChangeKind.REMOVE_CLIENT: "client removal",
    ChangeKind.REMOVE_SCOPE: "scope request removal",
    ChangeKind.REMOVE_DATA_SOURCE: "data source removal",
    ChangeKind.DELETE_STUDY: "study deletion",
    ChangeKind.LOWER_ROLE: "lowered role",
    ChangeKind.REMOVE_ROLE: "role removal",
    ChangeKind.REMOVE_MEMBERSHIP: "patient membership removal",
    ChangeKind.DELETE_ORGANIZATION: "organization deletion",
}
"""The destructive kinds' nouns in a plan's summary line (``300 unenrollments``); a kind
without one is named by its value, so a new kind is counted before it is named."""

_COUNTED: dict[ChangeKind, Counted] = {
    ChangeKind.CREATE_ORGANIZATION: "create",
    ChangeKind.UPDATE_ORGANIZATION: "update",
    ChangeKind.MOVE_ORGANIZATION: "update",
    ChangeKind.GRANT_ROLE: "link_add",
    ChangeKind.RAISE_ROLE: "update",
    ChangeKind.ADD_MEMBERSHIP: "link_add",
    ChangeKind.CREATE_STUDY: "create",
    ChangeKind.UPDATE_STUDY: "update",
    ChangeKind.ADD_DATA_SOURCE: "link_add",
    ChangeKind.ADD_SCOPE: "link_add",
    ChangeKind.ADD_CLIENT: "link_add",
    ChangeKind.ENROLL: "link_add",
    ChangeKind.UNENROLL: "link_remove",
    ChangeKind.REMOVE_CLIENT: "link_remove",
    ChangeKind.REMOVE_SCOPE: "link_remove",
    ChangeKind.REMOVE_DATA_SOURCE: "link_remove",
    ChangeKind.DELETE_STUDY: "destroy",
    ChangeKind.LOWER_ROLE: "update",
    ChangeKind.REMOVE_ROLE: "link_remove",
    ChangeKind.REMOVE_MEMBERSHIP: "link_remove",
    ChangeKind.DELETE_ORGANIZATION: "destroy",
}


ROLES = ("manager", "member", "viewer")
"""The practitioner roles of an organization, from the most rights to the fewest (the
server stores any string; one it does not know grants nothing, like ``viewer``)."""

MANAGER = "manager"


def role_rank(role: str | None) -> int:
    """How much a role may do: ``manager`` 3, ``member`` 2, ``viewer`` 1; none or an
    unknown string 0 (the server's ROLE_PERMISSIONS give it no right)."""
    return len(ROLES) - ROLES.index(role) if role in ROLES else 0


LinkKind = Literal["scope", "data_source", "client", "patient"]


@dataclass(frozen=True)
class Link:
    """One kind of study link, as each part of jhe-sync names it."""

    kind: LinkKind
    spec_field: str
    """The study's list in the spec: ``scope_requests``."""
    resource: str
    """The sub-resource of ``/api/v1/studies/{id}``: ``scope_requests``."""
    body_key: str
    """The id key of the JSON body of an add or a remove: ``scope_code_id``."""
    live_field: str
    """The field of ``StudyLinks`` that holds the live ids: ``scope_ids``."""
    add: ChangeKind
    remove: ChangeKind
    noun: str
    """One link, as a plan names it: ``scope request``."""
    object_key: str = ""
    """The key of the linked object in each entry of the ``GET`` answer: ``scopeCode``
    (empty for enrollments, whose answer lists the patients themselves)."""
    enrollment: bool = False
    """A list body (``patient_ids``) and a paginated ``GET`` of patients."""


SCOPES = Link(
    kind="scope",
    spec_field="scope_requests",
    resource="scope_requests",
    body_key="scope_code_id",
    live_field="scope_ids",
    add=ChangeKind.ADD_SCOPE,
    remove=ChangeKind.REMOVE_SCOPE,
    noun="scope request",
    object_key="scopeCode",
)
DATA_SOURCES = Link(
    kind="data_source",
    spec_field="data_sources",
    resource="data_sources",
    body_key="data_source_id",
    live_field="data_source_ids",
    add=ChangeKind.ADD_DATA_SOURCE,
    remove=ChangeKind.REMOVE_DATA_SOURCE,
    noun="data source",
    object_key="dataSource",
)
CLIENTS = Link(
    kind="client",
    spec_field="clients",
    resource="clients",
    body_key="client_id",
    live_field="client_ids",
    add=ChangeKind.ADD_CLIENT,
    remove=ChangeKind.REMOVE_CLIENT,
    noun="client",
    object_key="client",
)
PATIENTS = Link(
    kind="patient",
    spec_field="patients",
    resource="patients",
    body_key="patient_ids",
    live_field="patient_ids",
    add=ChangeKind.ENROLL,
    remove=ChangeKind.UNENROLL,
    noun="patient",
    enrollment=True,
)

LINKS: tuple[Link, ...] = (SCOPES, DATA_SOURCES, CLIENTS, PATIENTS)
"""Every kind, in the order the spec lists them and plans report them."""

_BY_KIND = {link.kind: link for link in LINKS}
_BY_RESOURCE = {link.resource: link for link in LINKS}
_BY_CHANGE = {change: link for link in LINKS for change in (link.add, link.remove)}


def link(kind: LinkKind) -> Link:
    """The link of a kind name (``"scope"``)."""
    return _BY_KIND[kind]


def link_of_resource(resource: str) -> Link:
    """The link of a study sub-resource (``"scope_requests"``)."""
    return _BY_RESOURCE[resource]


def link_of_change(kind: ChangeKind) -> Link:
    """The link a change adds or removes; ``KeyError`` for a change to the study itself."""
    return _BY_CHANGE[kind]
