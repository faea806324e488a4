"""The exchange's JSON, turned into the records of ``jhe_sync.live``, checked as it goes.

What jhe-sync must never keep is dropped here, at the border: the ``clientSecret``
that ``GET /studies/{id}/clients`` nests in every answer (only link ids are taken from
it), and patients' names, birth dates and phone numbers. An answer of the wrong shape
is a ``ProtocolError`` that names the endpoint, never a ``KeyError`` three stages later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jhe_sync.errors import ProtocolError
from jhe_sync.live import (
    Caller,
    Client,
    DataSource,
    Organization,
    Patient,
    PatientIdentifier,
    PractitionerRole,
    ScopeCode,
    ScopeConsent,
    Study,
    User,
)
from jhe_sync.resources import link_of_resource


def caller(data: Any, endpoint: str) -> Caller:
    item = _dict(data, endpoint)
    return Caller(
        id=_int(item, "id", endpoint),
        email=_str(item, "email", endpoint),
        is_superuser=bool(item.get("isSuperuser", False)),
    )


def organization(raw: Any, endpoint: str) -> Organization:
    """An organization from a list, detail or write answer (``partOf`` an id; null for a
    top-level one an admin created, 0 for the seeded ones)."""
    item = _dict(raw, endpoint)
    return Organization(
        id=_int(item, "id", endpoint),
        name=_str(item, "name", endpoint),
        type=_opt_str(item, "type", endpoint) or "",
        part_of=_opt_int(item, "partOf", endpoint),
        role=_opt_str(item, "currentUserRole", endpoint),
    )


def organizations(items: Any, endpoint: str) -> dict[int, Organization]:
    found = {}
    for raw in _list(items, endpoint):
        org = organization(raw, endpoint)
        found[org.id] = org
    return found


def organization_types(data: Any, endpoint: str) -> dict[str, str]:
    """``/organizations/types``: key -> label (``laboratory`` -> ``Laboratory``)."""
    item = _dict(data, endpoint)
    return {str(key): _str(item, key, endpoint) for key in item}


def roles(items: Any, endpoint: str) -> tuple[PractitionerRole, ...]:
    """``/organizations/{id}/users``: each practitioner's user id, e-mail and role (their
    names are not kept)."""
    found = []
    for raw in _list(items, endpoint):
        item = _dict(raw, endpoint)
        found.append(
            PractitionerRole(
                user_id=_int(item, "id", endpoint),
                email=_str(item, "email", endpoint),
                role=_opt_str(item, "role", endpoint) or "",
            )
        )
    return tuple(sorted(found, key=lambda r: r.user_id))


def user(raw: Any, endpoint: str) -> User:
    """An account from ``/users``: id, e-mail, whether organization lists show it
    (``userType`` practitioner) and whether it is a patient's."""
    item = _dict(raw, endpoint)
    return User(
        id=_int(item, "id", endpoint),
        email=_str(item, "email", endpoint),
        listed=item.get("userType") == "practitioner",
        patient=item.get("patient") is not None or item.get("userType") == "patient",
    )


def scope_code(raw: Any, endpoint: str) -> ScopeCode:
    item = _dict(raw, endpoint)
    return ScopeCode(
        id=_int(item, "id", endpoint),
        system=_opt_str(item, "codingSystem", endpoint) or "",
        code=_str(item, "codingCode", endpoint),
        text=_opt_str(item, "text", endpoint) or "",
    )


def scopes(items: Any, endpoint: str) -> dict[int, ScopeCode]:
    return {
        scope.id: scope for scope in (scope_code(raw, endpoint) for raw in _list(items, endpoint))
    }


def data_sources(items: Any, endpoint: str) -> dict[int, DataSource]:
    """Data sources with their supported scopes (only the list endpoint fills those)."""
    found = {}
    for raw in _list(items, endpoint):
        item = _dict(raw, endpoint)
        supported = item.get("supportedScopes") or []
        source = DataSource(
            id=_int(item, "id", endpoint),
            name=_str(item, "name", endpoint),
            type=_opt_str(item, "type", endpoint) or "",
            supported_scope_ids=frozenset(
                scope_code(s, endpoint).id for s in _list(supported, endpoint)
            ),
        )
        found[source.id] = source
    return found


def clients(items: Any, endpoint: str) -> dict[int, Client]:
    found = {}
    for raw in _list(items, endpoint):
        item = _dict(raw, endpoint)
        client = Client(
            id=_int(item, "id", endpoint),
            name=_str(item, "name", endpoint),
            client_id=_opt_str(item, "clientId", endpoint) or "",
        )
        found[client.id] = client
    return found


def study(raw: Any, endpoint: str) -> Study:
    """A study from a list or detail answer (``organization`` nested) or a write answer
    (``organization`` an id)."""
    item = _dict(raw, endpoint)
    organization = item.get("organization")
    if isinstance(organization, dict):
        organization_id = _int(organization, "id", endpoint)
    else:
        organization_id = _int(item, "organization", endpoint)
    return Study(
        id=_int(item, "id", endpoint),
        name=_str(item, "name", endpoint),
        description=_opt_str(item, "description", endpoint) or "",
        organization_id=organization_id,
        icon_url=_opt_str(item, "iconUrl", endpoint),
    )


def studies(items: Any, endpoint: str) -> list[Study]:
    return [study(raw, endpoint) for raw in _list(items, endpoint)]


def link_ids(items: Any, resource: str, endpoint: str) -> frozenset[int]:
    """The ids a study links to, from ``/studies/{id}/<resource>``; nothing else is kept
    (for clients, the nested Application row with its ``clientSecret`` is dropped)."""
    key = link_of_resource(resource).object_key
    ids = set()
    for raw in _list(items, endpoint):
        entry = _dict(raw, endpoint)
        ids.add(_int(_dict(entry.get(key), endpoint, key), "id", endpoint))
    return frozenset(ids)


def nested_enrollment(items: Any, endpoint: str) -> frozenset[int] | None:
    """The ids of the patients enrolled in the study, as an answer of
    ``/studies/{id}/<resource>`` nests them in each entry's ``study.patients`` (086, 110,
    125: one study, so the first entry's); None when the answer is empty or its study
    does not list ``patients``: then only ``/studies/{id}/patients`` can tell."""
    entries = _list(items, endpoint)
    if not entries:
        return None
    nested = _dict(_dict(entries[0], endpoint).get("study"), endpoint, "study")
    if nested.get("patients") is None:
        return None
    ids = set()
    for raw in _list(nested["patients"], endpoint):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ProtocolError(f"{endpoint}: a patient of 'study' is {_kind(raw)}, not an id")
        ids.add(raw)
    return frozenset(ids)


def patient(raw: Any, endpoint: str) -> Patient:
    """A patient without name, birth date or phone: those fields are never read."""
    item = _dict(raw, endpoint)
    identifiers = []
    for ident in _list(item.get("identifiers") or [], endpoint):
        entry = _dict(ident, endpoint, "identifiers")
        identifiers.append(
            PatientIdentifier(
                system=_opt_str(entry, "system", endpoint) or "",
                value=_str(entry, "value", endpoint),
            )
        )
    return Patient(
        id=_int(item, "id", endpoint),
        email=_opt_str(item, "telecomEmail", endpoint),
        identifiers=tuple(identifiers),
        organization_ids=frozenset(_organization_ids(item.get("organizations") or [], endpoint)),
    )


def patients(items: Any, endpoint: str) -> list[Patient]:
    return [patient(raw, endpoint) for raw in _list(items, endpoint)]


def consents(data: Any, endpoint: str) -> tuple[ScopeConsent, ...]:
    """One patient's consent answers, per study and scope (pending ones as None)."""
    item = _dict(data, endpoint)
    found: list[ScopeConsent] = []
    for list_key, scopes_key in (
        ("studies", "scopeConsents"),
        ("studiesPendingConsent", "pendingScopeConsents"),
    ):
        for raw_study in _list(item.get(list_key) or [], endpoint):
            entry = _dict(raw_study, endpoint, list_key)
            study_id = _int(entry, "id", endpoint)
            for raw_consent in _list(entry.get(scopes_key) or [], endpoint):
                consent = _dict(raw_consent, endpoint, scopes_key)
                answer = consent.get("consented")
                if answer is not None and not isinstance(answer, bool):
                    raise ProtocolError(
                        f"{endpoint}: 'consented' is {_kind(answer)}, not a boolean"
                    )
                found.append(
                    ScopeConsent(
                        study_id=study_id,
                        scope_id=_int(_dict(consent.get("code"), endpoint, "code"), "id", endpoint),
                        consented=answer,
                    )
                )
    return tuple(sorted(set(found), key=lambda c: (c.study_id, c.scope_id, str(c.consented))))


def _organization_ids(items: Any, endpoint: str) -> Iterable[int]:
    for raw in _list(items, endpoint):
        if isinstance(raw, dict):
            yield _int(raw, "id", endpoint)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            yield raw
        else:
            raise ProtocolError(f"{endpoint}: an organization is {_kind(raw)}, not an object or id")


# -- checked access ------------------------------------------------------------------


def _dict(value: Any, endpoint: str, what: str = "an item") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{endpoint}: expected an object for {what}, got {_kind(value)}")
    return value


def _list(value: Any, endpoint: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{endpoint}: expected a list, got {_kind(value)}")
    return value


def _int(item: dict[str, Any], key: str, endpoint: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{endpoint}: '{key}' is {_kind(value)}, not an integer")
    return value


def _opt_int(item: dict[str, Any], key: str, endpoint: str) -> int | None:
    return None if item.get(key) is None else _int(item, key, endpoint)


def _str(item: dict[str, Any], key: str, endpoint: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{endpoint}: '{key}' is {_kind(value)}, not a string")
    return value


def _opt_str(item: dict[str, Any], key: str, endpoint: str) -> str | None:
    return None if item.get(key) is None else _str(item, key, endpoint)


def _kind(value: object) -> str:
    return "missing" if value is None else type(value).__name__
