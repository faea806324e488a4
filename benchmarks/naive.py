"""The client people write instead: the same reads as ``jhe-sync plan``, one after another.

A loop over httpx: get a token, read the organizations and catalogues, list each
organization's studies and patients, then read the four link sets of every study the
spec names, one request at a time. Same endpoints and page size as jhe-sync, so the
request counts are equal and only the waiting differs. No parsing into models, no
retries: it is the floor of what a sequential script costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

API = "/api/v1"
PAGE_SIZE = 1000
MAX_PAGES = 10_000


def read_everything(
    url: str, client_id: str, secret: str, wanted: Iterable[tuple[str, str]]
) -> int:
    """Read what a plan of the studies ``wanted`` ((organization name, study name)) needs.

    Returns the number of requests made.
    """
    wanted = set(wanted)
    with httpx.Client(base_url=url, timeout=60.0) as http:
        reply = http.post(
            "/o/token/",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(client_id, secret),
        )
        reply.raise_for_status()
        http.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        made = 1

        def get(path: str, params: dict[str, Any] | None = None) -> Any:
            nonlocal made
            made += 1
            response = http.get(path, params=params)
            response.raise_for_status()
            return response.json()

        def get_all(path: str, params: dict[str, Any] | None = None) -> list[Any]:
            items: list[Any] = []
            for page in range(1, MAX_PAGES):
                data = get(path, {**(params or {}), "page_size": PAGE_SIZE, "page": page})
                if isinstance(data, list):
                    return data
                items += data["results"]
                if not data["next"]:
                    break
            return items

        get(f"{API}/users/profile")
        organizations = get_all(f"{API}/organizations")
        get(f"{API}/data_sources/all_scopes")
        get_all(f"{API}/data_sources")
        get_all(f"{API}/clients")
        names = {org["id"]: org["name"] for org in organizations}
        touched = sorted({org_id for org_id, name in names.items() for o, _ in wanted if o == name})
        studies: list[int] = []
        for org_id in touched:
            for study in get(f"{API}/organizations/{org_id}/studies"):
                if (names[org_id], study["name"]) in wanted:
                    studies.append(study["id"])
        for org_id in touched:
            get_all(f"{API}/patients", {"organization_id": org_id})
        for study_id in studies:
            for resource in ("scope_requests", "data_sources", "clients"):
                get(f"{API}/studies/{study_id}/{resource}")
            get_all(f"{API}/studies/{study_id}/patients")
        return made
