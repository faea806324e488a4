"""One entry point for the renderers: ``render(plan, stream, format, options)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render_json import render_json
from jhe_sync.plan.render_markdown import render_markdown
from jhe_sync.plan.render_options import RenderOptions
from jhe_sync.plan.render_text import render_text

Renderer = Callable[[Plan, IO[str], RenderOptions | None], None]

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
FORMATS = tuple(RENDERERS)
"""The ``--format`` choices, the default first."""


def render(
    plan: Plan, stream: IO[str], format: str = "text", options: RenderOptions | None = None
) -> None:
    """Write ``plan`` to ``stream`` in ``format`` (one of ``FORMATS``)."""
    RENDERERS[format](plan, stream, options)
