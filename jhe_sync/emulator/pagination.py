"""DRF's page-number pagination: ``{count, next, previous, results}``.

``page_size`` defaults to 20 and is silently capped at 1000 (045); a page out of range
is a 404 ``Invalid page.`` (044); ``next``/``previous`` are absolute URLs on the
request's own host with the query re-encoded in sorted order (017, 042, 301).
The views that use DRF's default paginator instead (/clients, /practitioner_clients)
ignore ``page_size`` and serve 1000 a page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from jhe_sync.emulator.errors import not_found
from jhe_sync.emulator.http import Request

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
FIXED_PAGE_SIZE = 1000

T = TypeVar("T")


def paginate(
    request: Request,
    items: Sequence[T],
    shape: Callable[[T], Any],
    *,
    fixed_size: int | None = None,
) -> dict[str, Any]:
    """One page of ``items``, each passed through ``shape``, in DRF's envelope."""
    size = fixed_size or _page_size(request)
    pages = max(1, math.ceil(len(items) / size))
    raw = request.query.get("page") or "1"
    number = pages if raw == "last" else _page_number(raw, pages)
    start = (number - 1) * size
    return {
        "count": len(items),
        "next": _link(request, number + 1) if number < pages else None,
        "previous": _link(request, number - 1) if number > 1 else None,
        "results": [shape(item) for item in items[start : start + size]],
    }


def _page_size(request: Request) -> int:
    try:
        size = int(request.query["page_size"])
    except (KeyError, ValueError):
        return DEFAULT_PAGE_SIZE
    if size <= 0:
        return DEFAULT_PAGE_SIZE
    return min(size, MAX_PAGE_SIZE)


def _page_number(raw: str, pages: int) -> int:
    try:
        number = int(raw)
    except ValueError:
        raise not_found("Invalid page.") from None
    if number < 1 or number > pages:
        raise not_found("Invalid page.")
    return number


def _link(request: Request, number: int) -> str:
    query = parse_qs(request.query_string, keep_blank_values=True)
    if number == 1:
        query.pop("page", None)
    else:
        query["page"] = [str(number)]
    encoded = urlencode(sorted(query.items()), doseq=True)
    base = f"{request.scheme}://{request.host}{request.path}"
    return f"{base}?{encoded}" if encoded else base
