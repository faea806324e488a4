"""The URL table: path patterns, the methods each serves, and the Allow header it sends.

Patterns follow the real server's DRF router: no trailing slash (a trailing slash is an
HTML 404, 050), list actions (``types``, ``all_scopes``, ``global_lookup``) before the
``{pk}`` routes, and ``{pk}`` matching any segment without a dot, so that ``/studies/abc``
reaches the view and fails there as a 500 (055). ``Allow`` is the recorded one; a method
it lists that the emulator does not implement answers 405. A route says whether its GET
writes (the two lists that store the caller's settings, FINDINGS "Side effects of
GET"): every other read runs as a reader, beside the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.handlers import (
    catalogue,
    consents,
    invitations,
    observations,
    organization_roles,
    organizations,
    patients,
    practitioner_clients,
    practitioners,
    studies,
    study_links,
    users,
)
from jhe_sync.emulator.http import Response

Handler = Callable[[Ctx], Response]

_LIST = "GET, POST, HEAD, OPTIONS"
_DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
_READ = "GET, HEAD, OPTIONS"
_LINKS = "GET, POST, DELETE, HEAD, OPTIONS"


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    allow: str
    handlers: Mapping[str, Handler]
    get_writes: bool = False

    def writes(self, method: str) -> bool:
        """Whether a request with this method may write to the database."""
        return method.upper() not in READ_METHODS or (
            self.get_writes and method.upper() != "OPTIONS"
        )


def _route(template: str, allow: str, get_writes: bool = False, **handlers: Handler) -> Route:
    regex = "/api/v1" + template.replace("{pk}", "(?P<pk>[^/.]+)")
    return Route(re.compile(regex), allow, handlers, get_writes)


ROUTES: list[Route] = [
    _route("/users", _LIST, GET=users.list_users),
    _route("/users/profile", _READ, GET=users.profile),
    _route("/users/organizations", _READ, GET=users.organizations),
    _route("/users/search_by_email", _READ, GET=users.search_by_email),
    _route(
        "/organizations",
        _LIST,
        GET=organizations.list_organizations,
        POST=organizations.create_organization,
    ),
    _route("/organizations/types", _READ, GET=organizations.types),
    _route(
        "/organizations/{pk}",
        _DETAIL,
        GET=organizations.get_organization,
        PATCH=organizations.patch_organization,
        PUT=organizations.put_organization,
        DELETE=organizations.delete_organization,
    ),
    _route("/organizations/{pk}/users", _READ, GET=organization_roles.users),
    _route("/organizations/{pk}/user", "POST, OPTIONS", POST=organization_roles.add_user),
    _route(
        "/organizations/{pk}/remove_user", "DELETE, OPTIONS", DELETE=organization_roles.remove_user
    ),
    _route("/organizations/{pk}/studies", _READ, GET=organizations.studies),
    _route("/organizations/{pk}/tree", _READ, GET=organizations.tree),
    _route(
        "/practitioners",
        _LIST,
        GET=practitioners.list_practitioners,
        POST=practitioners.create_practitioner,
    ),
    _route(
        "/practitioners/{pk}",
        _DETAIL,
        GET=practitioners.get_practitioner,
        PATCH=practitioners.patch_practitioner,
        PUT=practitioners.put_practitioner,
        DELETE=practitioners.delete_practitioner,
    ),
    _route("/data_sources", _LIST, GET=catalogue.list_data_sources),
    _route("/data_sources/all_scopes", _READ, GET=catalogue.all_scopes),
    _route("/data_sources/{pk}", _DETAIL, GET=catalogue.get_data_source),
    _route("/data_sources/{pk}/supported_scopes", _LINKS, GET=catalogue.supported_scopes),
    _route("/clients", _LIST, GET=catalogue.list_clients),
    _route("/clients/{pk}", _DETAIL, GET=catalogue.get_client),
    _route("/clients/{pk}/data_sources", _LINKS, GET=catalogue.client_data_sources),
    _route(
        "/practitioner_clients",
        _LIST,
        GET=practitioner_clients.list_clients,
        POST=practitioner_clients.create_client,
    ),
    _route(
        "/practitioner_clients/{pk}",
        "GET, PATCH, DELETE, HEAD, OPTIONS",
        GET=practitioner_clients.get_client,
        DELETE=practitioner_clients.delete_client,
    ),
    _route("/studies", _LIST, get_writes=True, GET=studies.list_studies, POST=studies.create_study),
    _route(
        "/studies/{pk}",
        _DETAIL,
        GET=studies.get_study,
        PATCH=studies.patch_study,
        PUT=studies.put_study,
        DELETE=studies.delete_study,
    ),
    _route(
        "/studies/{pk}/scope_requests",
        _LINKS,
        GET=study_links.list_scope_requests,
        POST=study_links.add_scope_request,
        DELETE=study_links.remove_scope_request,
    ),
    _route(
        "/studies/{pk}/data_sources",
        _LINKS,
        GET=study_links.list_data_sources,
        POST=study_links.add_data_source,
        DELETE=study_links.remove_data_source,
    ),
    _route(
        "/studies/{pk}/clients",
        _LINKS,
        GET=study_links.list_clients,
        POST=study_links.add_client,
        DELETE=study_links.remove_client,
    ),
    _route(
        "/studies/{pk}/patients",
        _LINKS,
        GET=study_links.list_patients,
        POST=study_links.enroll,
        DELETE=study_links.unenroll,
    ),
    _route(
        "/patients",
        _LIST,
        get_writes=True,
        GET=patients.list_patients,
        POST=patients.create_patient,
    ),
    _route("/patients/global_lookup", _READ, GET=patients.global_lookup),
    _route("/patients/{pk}", _DETAIL, GET=patients.get_patient, DELETE=patients.delete_patient),
    _route(
        "/patients/{pk}/global_add_organization",
        "PATCH, OPTIONS",
        PATCH=patients.global_add_organization,
    ),
    _route(
        "/patients/{pk}/consents",
        "GET, POST, PATCH, DELETE, HEAD, OPTIONS",
        GET=consents.get_consents,
        POST=consents.add_consents,
    ),
    _route("/observations", _LIST, GET=observations.list_observations),
    _route("/invitation", _LIST, POST=invitations.create_invitation),
]


def resolve(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a path matches and its parameters, or None (an HTML 404)."""
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match:
            return route, match.groupdict()
    return None
