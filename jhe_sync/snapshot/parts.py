"""The parts of the live exchange that export, status and invite read.

These commands do not plan, so they do not call ``read_live`` (which reads what a spec
manages and nothing else). They read the catalogue parts they need, concurrently, with
the exchange module's parsers, and keep them in a ``Live`` so that the identity
finders (organization paths, catalogue names, patients) work on them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Literal

from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import (
    read_clients,
    read_data_sources,
    read_organizations,
    read_scopes,
    read_visible_studies,
)
from jhe_sync.live import NO_CALLER, Live

Part = Literal["organizations", "scopes", "data_sources", "clients", "studies"]

_READS: dict[Part, Callable[[Exchange], Any]] = {
    "organizations": read_organizations,
    "scopes": read_scopes,
    "data_sources": read_data_sources,
    "clients": read_clients,
    "studies": read_visible_studies,
}
"""Part -> its read. ``studies`` is ``GET /studies``, without an organization: the
studies of every organization the caller belongs to (041)."""


def read_parts(exchange: Exchange, parts: Iterable[Part], parallelism: int = 8) -> Live:
    """A ``Live`` holding the parts asked for, each read with one request (plus pages)."""
    wanted = tuple(dict.fromkeys(parts))
    answers = gather(parallelism, {part: partial(_READS[part], exchange) for part in wanted})
    return Live(
        caller=NO_CALLER,
        organizations=answers.get("organizations", {}),
        scopes=answers.get("scopes", {}),
        data_sources=answers.get("data_sources", {}),
        clients=answers.get("clients", {}),
        studies={study.id: study for study in answers.get("studies", ())},
    )
