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

from jhe_sync.exchange import parse
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.live import NO_CALLER, Live
from jhe_sync.resources import API

Part = Literal["organizations", "scopes", "data_sources", "clients", "studies"]

_READS: dict[Part, tuple[str, bool]] = {
    "organizations": (f"{API}/organizations", True),
    "scopes": (f"{API}/data_sources/all_scopes", False),
    "data_sources": (f"{API}/data_sources", True),
    "clients": (f"{API}/clients", True),
    "studies": (f"{API}/studies", True),
}
"""Part -> (path, whether it is a paginated list). ``GET /studies`` without an
organization lists the studies of every organization the caller belongs to (041)."""


def read_parts(exchange: Exchange, parts: Iterable[Part], parallelism: int = 8) -> Live:
    """A ``Live`` holding the parts asked for, each read with one request (plus pages)."""
    wanted = tuple(dict.fromkeys(parts))
    tasks: dict[Part, Callable[[], Any]] = {}
    for part in wanted:
        path, paginated = _READS[part]
        tasks[part] = partial(exchange.get_all if paginated else exchange.get, path)
    answers = gather(parallelism, tasks)
    live = Live(caller=NO_CALLER)
    for part, data in answers.items():
        endpoint = f"GET {_READS[part][0]}"
        if part == "organizations":
            live.organizations = parse.organizations(data, endpoint)
        elif part == "scopes":
            live.scopes = parse.scopes(data, endpoint)
        elif part == "data_sources":
            live.data_sources = parse.data_sources(data, endpoint)
        elif part == "clients":
            live.clients = parse.clients(data, endpoint)
        else:
            live.studies = {study.id: study for study in parse.studies(data, endpoint)}
    return live
