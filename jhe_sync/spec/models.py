"""The desired state: what the spec files say, validated, names not yet resolved to ids.

These models are the published spec format (``specs/jhe-sync.schema.json`` is
generated from them). Keys are snake_case, unknown keys are errors. Where a study came
from is kept out of the schema, in private attributes, so that later stages (resolve,
plan) can point a user at the file and line of a mistake.

A patient given by a bare email, nearly every patient of a large spec, is an
``EmailPatient``: the email text itself, checked by one pattern, with the attributes
of a ``PatientRef`` (``email``, ``identifier``, ``id``, ``key``, ``label``). Only the
other forms become models: 250,000 references cost what 250,000 strings do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
    model_validator,
)

from jhe_sync.errors import SourceLocation
from jhe_sync.spec.locator import Places, parse_path
from jhe_sync.spec.values import slugify

SCOPE_CODE_PATTERN = (
    r"^(?:[a-z][a-z0-9]*:[a-z0-9]+(?:-[a-z0-9]+)*:[0-9]+(?:\.[0-9]+)*|[A-Z][A-Za-z]+)$"
)
"""Scope codes as the exchange writes them: ``namespace:name:version`` such as
``omh:blood-glucose:4.0`` or ``ieee:sleep-stage-summary:1.0``, or a FHIR resource type
such as ``QuestionnaireResponse``."""

SCOPE_PATTERN = r"^(?:[a-z][a-z0-9]*:[a-z0-9]+(?:-[a-z0-9]+)*:[0-9]+(?:\.[0-9]+)*|[^:]+)$"
"""A scope request as a spec may write it: a code of the exchange's form, or its display
text (``Blood pressure``), which has no colon. Anything with a colon must be a code."""

EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
URL_PATTERN = (
    r"^https?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?(?:[/?#][^\s]*)?$"
)
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""Study keys are typed on command lines (``--target``, ``--allow-destroy``): no spaces."""

_DIGITS = re.compile(r"[0-9]+")


def _digits_are_an_id(value: object) -> object:
    # A variable always substitutes text, so "20003" must mean the same as 20003.
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return value


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=EMAIL_PATTERN)]
ScopeRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=SCOPE_PATTERN)
]
OrganizationRef = Annotated[
    int | NonEmpty,
    BeforeValidator(_digits_are_an_id),
    Field(
        description="An organization: its id, its name, or a path of names from the top "
        'level down separated by "/" (e.g. "Planetary Research Institute/Lifespan Lab").'
    ),
]
NamedRef = Annotated[
    int | NonEmpty, BeforeValidator(_digits_are_an_id), Field(description="A name, or an id.")
]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class Identifier(_Strict):
    """A patient identifier, matched by system and value."""

    system: NonEmpty = Field(description='The identifier system, e.g. "urn:oid:1.2.3.4".')
    value: NonEmpty = Field(description='The identifier value in that system, e.g. "E1234".')


class PatientRef(_Strict):
    """One patient to enroll: by email, by identifier, or by id (exactly one).

    In YAML a bare string is an email. ``key`` is how plans name the patient; it
    defaults to what the author wrote (the email, ``system|value`` or ``#id``), so no
    name, birth date or phone from the server is ever needed to show a plan.
    """

    email: Email | None = Field(default=None, description="The patient's email address.")
    identifier: Identifier | None = Field(
        default=None, description="A patient identifier: {system, value}."
    )
    id: int | None = Field(default=None, description="The patient's id on the exchange.")
    key: NonEmpty | None = Field(
        default=None,
        description="How plans and reports name this patient (defaults to the reference).",
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_string_is_email(cls, value: object) -> object:
        if isinstance(value, str):
            return {"email": value}
        if isinstance(value, int) and not isinstance(value, bool):
            return {"id": value}
        return value

    @model_validator(mode="after")
    def _exactly_one_reference(self) -> PatientRef:
        given = [name for name in ("email", "identifier", "id") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "a patient is given by exactly one of email, identifier or id"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self

    @property
    def label(self) -> str:
        """The spec author's own name for this patient; safe to print in shared places."""
        if self.key:
            return self.key
        if self.email is not None:
            return self.email.lower()
        if self.identifier is not None:
            return f"{self.identifier.system}|{self.identifier.value}"
        return f"#{self.id}"


class EmailPatient(str):
    """A patient given by a bare email: the email itself, read like a ``PatientRef``."""

    __slots__ = ()

    @property
    def email(self) -> str:
        return str.__str__(self)

    @property
    def identifier(self) -> Identifier | None:
        return None

    @property
    def id(self) -> int | None:
        return None

    @property
    def key(self) -> str | None:
        return None

    @property
    def label(self) -> str:
        """The email in lower case, as plans name the patient."""
        return self.lower()


PatientReference = EmailPatient | PatientRef
"""One patient of a study: a bare email, or a ``PatientRef`` (identifier, id, key)."""


def _bare_emails_as_patients(items: list[str | PatientRef]) -> list[PatientReference]:
    return [EmailPatient(item) if type(item) is str else item for item in items]  # type: ignore[misc]


BareEmail = Annotated[
    str, Strict(), StringConstraints(strip_whitespace=True, pattern=EMAIL_PATTERN)
]
"""A patient written as text is an email; a number is an id (``PatientRef``), never text."""

if TYPE_CHECKING:
    PatientList = list[PatientReference]
else:  # validated as text or a PatientRef (the pattern checked in Rust), then wrapped
    PatientList = Annotated[
        list[Annotated[BareEmail | PatientRef, Field(union_mode="left_to_right")]],
        AfterValidator(_bare_emails_as_patients),
    ]


StudyState = Literal["present", "absent"]


class _Placed(_Strict):
    """An entry that knows where it and each of its values were written."""

    _places: Places | None = PrivateAttr(default=None)

    def with_places(self, places: Places) -> Self:
        """Attach where this entry and each of its values were written."""
        self._places = places
        return self

    def with_locations(self, origin: SourceLocation, locations: dict[str, SourceLocation]) -> Self:
        """Attach places given in code (``field`` or ``field[1]`` -> location): for an
        entry a program builds rather than reads."""
        self._places = Places.given(origin, locations, type(self).model_fields)
        return self

    def with_origin(self, origin: SourceLocation) -> Self:
        """Attach a place given in code: for an entry a program builds rather than reads."""
        return self.with_locations(origin, {})

    @property
    def origin(self) -> SourceLocation | None:
        """Where this entry starts in the spec files."""
        return self._places.locate() if self._places is not None else None

    def locate(self, field: str, index: int | str | None = None) -> SourceLocation | None:
        """The location of a field (``data_sources``), of a list item (``data_sources``,
        1) or of a mapping's value (``practitioners``, ``mary@example.com``).

        Nested paths work too (``patients[0].identifier``). Falls back to the field,
        then to the entry, so a caller always has somewhere to point. Worked out from
        the files when asked (a problem to show), not kept for every value.
        """
        if self._places is None:
            return None
        path = parse_path(field) if index is None else (*parse_path(field), index)
        return self._places.locate(path)

    def locate_key(self, field: str, key: str) -> SourceLocation | None:
        """Where a key of a mapping field is written (``practitioners``, an email)."""
        if self._places is None:
            return None
        return self._places.locator.locate(self._places.key_where((*parse_path(field), key)))


class StudySpec(_Placed):
    """One study as the spec wants it. An omitted link list is not managed; [] means none."""

    key: Annotated[str, StringConstraints(strip_whitespace=True, pattern=KEY_PATTERN)] = Field(
        description="Unique key of the study in the spec (letters, digits, '.', '_', '-'); "
        "defaults to a slug of the name. Used by --target and --allow-destroy."
    )
    name: NonEmpty = Field(
        description="The study's name on the exchange; unique in its organization."
    )
    description: NonEmpty | None = Field(
        default=None,
        description="The study's description on the exchange. Required, except with state: absent.",
    )
    organization: OrganizationRef
    icon_url: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=URL_PATTERN)] | None
    ) = Field(default=None, description="An http(s) URL of the study's icon. Omitted: no icon.")
    scope_requests: list[ScopeRef] | None = Field(
        default=None,
        description="Scope codes (e.g. omh:blood-glucose:4.0) or their display text. "
        "Omitted: not managed. Empty: none.",
    )
    data_sources: list[NamedRef] | None = Field(
        default=None, description="Data source names or ids. Omitted: not managed. Empty: none."
    )
    clients: list[NamedRef] | None = Field(
        default=None, description="Client names or ids. Omitted: not managed. Empty: none."
    )
    patients: PatientList | None = Field(
        default=None,
        description="Patients to enroll: an email, {email}, {identifier: {system, value}} or {id}. "
        "Omitted: not managed. Empty: none.",
    )
    protect: bool = Field(default=False, description="Never delete this study or remove its links.")
    state: StudyState = Field(default="present", description="absent: delete this study (guarded).")
    id: int | None = Field(default=None, description="Pin to a live study id.")
    previous_names: list[NonEmpty] = Field(
        default_factory=list,
        description="Earlier names: a rename becomes an update, not delete and create.",
    )


Role = Literal["manager", "member", "viewer"]
"""A practitioner's role in an organization, as the exchange's console grants them."""
ROLES: tuple[Role, ...] = ("manager", "member", "viewer")

ORGANIZATION_TYPE_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
"""An organization type as the exchange keys it (``laboratory``, ``dept``,
``health-information-network``): which keys exist, ``/organizations/types`` says."""

PractitionerEmail = Annotated[str, StringConstraints(strip_whitespace=True, pattern=EMAIL_PATTERN)]


class OrganizationSettings(_Placed):
    """One organization of the spec: its settings (prune), and when listed, its
    practitioners' roles, its patient members, its place and type.

    An omitted ``practitioners`` or ``patients`` is not managed; an empty one means
    none. ``key`` names the entry on the command line (``--target``,
    ``--allow-destroy``), in the same namespace as study keys.
    """

    organization: OrganizationRef
    key: Annotated[str, StringConstraints(strip_whitespace=True, pattern=KEY_PATTERN)] = Field(
        default_factory=lambda fields: organization_key(fields.get("organization")),
        description="Unique key of the entry in the spec, shared with study keys (letters, "
        "digits, '.', '_', '-'); defaults to a slug of the organization's name (the last "
        "part of a path), or organization-ID for an id. Used by --target and --allow-destroy.",
    )
    prune: bool = Field(
        default=False,
        description="Delete live studies of this organization that no spec lists (guarded).",
    )
    practitioners: dict[PractitionerEmail, Role] | None = Field(
        default=None,
        description="Practitioners by email, each with a role: manager, member or viewer. "
        "The exact set when listed. Omitted: not managed. Empty: none.",
    )
    patients: PatientList | None = Field(
        default=None,
        description="Patient members, as a study's patients are given (an email, {email}, "
        "{identifier: {system, value}} or {id}). The exact set when listed. "
        "Omitted: not managed. Empty: none.",
    )
    part_of: OrganizationRef | None = Field(
        default=None,
        description="The parent organization (a name, an id or a path): where it is created, "
        "or moved to (guarded).",
    )
    type: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=ORGANIZATION_TYPE_PATTERN)]
        | None
    ) = Field(
        default=None,
        description="The organization's type: a key of the exchange's /organizations/types "
        "(e.g. laboratory, dept, team).",
    )
    previous_names: list[NonEmpty] = Field(
        default_factory=list,
        description="Earlier names: a rename becomes an update, not delete and create.",
    )
    protect: bool = Field(
        default=False, description="Never delete this organization, whatever the flags."
    )
    state: StudyState = Field(
        default="present", description="absent: delete this organization (guarded)."
    )


class Desired(_Strict):
    """Everything the spec files say, merged and expanded."""

    studies: list[StudySpec] = Field(default_factory=list)
    organizations: list[OrganizationSettings] = Field(default_factory=list)
    digest: str = Field(default="", description="sha256 of the spec files and variables, as read.")

    def study(self, key: str) -> StudySpec:
        for study in self.studies:
            if study.key == key:
                return study
        raise KeyError(key)


def slug(name: str) -> str:
    """The default study key: lower case, runs of other characters become one dash."""
    return slugify(name) or "study"


def organization_key(organization: object) -> str:
    """The default key of an organization entry: a slug of its name (the last part of
    a path), or ``organization-ID`` for an organization given by id."""
    reference = _digits_are_an_id(organization)
    if isinstance(reference, int) and not isinstance(reference, bool):
        return f"organization-{reference}"
    if isinstance(reference, str):
        return slugify(reference.rsplit("/", 1)[-1]) or "organization"
    return "organization"
