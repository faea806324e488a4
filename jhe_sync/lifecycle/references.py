"""How an exported spec refers to each live object: by name where the name brings back
exactly that object, else by something that does.

Every choice is checked with the finder that ``plan`` will use to read it back
(``jhe_sync.identity``), so an export never writes a name that resolves to another
object or to two: organizations by name, else by path, else by id; scopes by code,
else by display text; data sources and clients by name, else by id; patients by
email, else by an identifier, else by id. A name made only of digits is never written, because the
spec format reads it as an id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from jhe_sync.errors import Unresolved
from jhe_sync.identity import Finders, organization_path
from jhe_sync.live import Live, Patient
from jhe_sync.spec.models import EMAIL_PATTERN, SCOPE_PATTERN

_DIGITS = re.compile(r"\s*[0-9]+\s*")
_EMAIL = re.compile(EMAIL_PATTERN)
_SCOPE = re.compile(SCOPE_PATTERN)


class References:
    """The spec reference of each live object of one snapshot, each one checked."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self._finders = Finders(live)

    def organization(self, organization_id: int) -> int | str:
        organization = self.live.organizations.get(organization_id)
        if organization is None:
            return organization_id
        names = [organization.name, organization_path(self.live, organization_id)]
        return _first_that_finds(self._finders.organizations.find, names, organization_id)

    def scope(self, scope_id: int) -> str | None:
        """The code, or the display text; None when neither reads back as this scope
        (a code shared by two coding systems, for instance)."""
        scope = self.live.scopes.get(scope_id)
        if scope is None:
            return None
        names = [n for n in (scope.code, scope.text) if n.strip() and _SCOPE.fullmatch(n.strip())]
        found = _first_that_finds(self._finders.scopes.find, names, scope_id)
        return found if isinstance(found, str) else None

    def data_source(self, data_source_id: int) -> int | str:
        source = self.live.data_sources.get(data_source_id)
        names = [source.name] if source is not None else []
        return _first_that_finds(self._finders.data_sources.find, names, data_source_id)

    def client(self, client_id: int) -> int | str:
        client = self.live.clients.get(client_id)
        names = [client.name] if client is not None else []
        return _first_that_finds(self._finders.clients.find, names, client_id)

    def patient(self, patient: Patient) -> str | dict[str, Any]:
        """The email as a bare string (the spec's short form), else ``{identifier: ...}``,
        else ``{id: ...}``."""
        email = (patient.email or "").strip()
        if (
            email
            and _EMAIL.fullmatch(email)
            and _finds(self._finders.patients.find_email, email, patient.id)
        ):
            return email
        for identifier in sorted(patient.identifiers, key=lambda i: (i.system, i.value)):
            system, value = identifier.system.strip(), identifier.value.strip()
            if (
                system
                and value
                and (system, value) == (identifier.system, identifier.value)
                and _finds(self._find_identifier, (system, value), patient.id)
            ):
                return {"identifier": {"system": system, "value": value}}
        return {"id": patient.id}

    def _find_identifier(self, identifier: tuple[str, str]) -> int:
        return self._finders.patients.find_identifier(*identifier)


def _finds(find: Callable[[Any], int], name: Any, wanted: int) -> bool:
    try:
        return find(name) == wanted
    except Unresolved:
        return False


def _first_that_finds(find: Callable[[Any], int], names: Sequence[str], wanted: int) -> int | str:
    """The first name that is not digits and that the finder reads back as ``wanted``;
    else the id."""
    for name in names:
        if name.strip() and not _DIGITS.fullmatch(name) and _finds(find, name, wanted):
            return name.strip()
    return wanted
