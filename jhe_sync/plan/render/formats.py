"""The output formats of a plan: ``render(plan, stream, format, options)``, what every
renderer is told besides the plan (``RenderOptions``), and the json form.

The json form is ``Plan.to_dict()`` plus the safeguards' verdict; it is documented
in ``specs/plan.schema.json``, with keys and changes in a stable order. The text and
markdown forms have modules of their own (``text``, ``markdown``), which take the
options that make sense for them as keywords, so they need nothing from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Literal

from jhe_sync.plan.change import Refusal
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.markdown import MARKDOWN_BUDGET, render_markdown
from jhe_sync.plan.render.text import render_text


@dataclass(frozen=True)
class RenderOptions:
    """Options of every renderer; each uses the ones that make sense for its format."""

    color: bool = False
    """ANSI colour in text output. The CLI decides (``--color``, a TTY, NO_COLOR, TERM)."""
    refusals: tuple[Refusal, ...] | None = None
    """Why apply's safeguards would refuse the plan (empty: they would not); None: not checked."""
    max_chars: int = MARKDOWN_BUDGET
    """Markdown only: the most characters to write; details are cut, with a note, to fit."""
    saved_plan: str | None = None
    """Markdown only: the file the plan was saved to (``--out``), where a cut comment
    tells the reader to find the whole plan."""


def render_json(plan: Plan, stream: IO[str], refusals: tuple[Refusal, ...] | None = None) -> None:
    """Write the plan's json form; ``refusals`` is added when the safeguards were checked,
    each with its ``reason`` (so CI tells a refusal of the credentials, ``role``, from one
    of the plan) and the line apply's error would show."""
    document = plan.to_dict()
    if refusals is not None:
        document["refusals"] = [refusal.to_dict() for refusal in refusals]
    stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


Format = Literal["text", "json", "markdown"]
"""An output format of plan, show and status (``--format``)."""

FORMATS: tuple[Format, ...] = ("text", "json", "markdown")
"""The ``--format`` choices, the default first; status reports have the same three."""

Renderer = Callable[[Plan, IO[str], RenderOptions], None]

RENDERERS: dict[Format, Renderer] = {
    "text": lambda plan, stream, options: render_text(
        plan, stream, color=options.color, refusals=options.refusals
    ),
    "json": lambda plan, stream, options: render_json(plan, stream, options.refusals),
    "markdown": lambda plan, stream, options: render_markdown(
        plan,
        stream,
        refusals=options.refusals,
        max_chars=options.max_chars,
        saved_plan=options.saved_plan,
    ),
}


def render(
    plan: Plan, stream: IO[str], format: Format = "text", options: RenderOptions | None = None
) -> None:
    """Write ``plan`` to ``stream`` in ``format`` (one of ``FORMATS``)."""
    RENDERERS[format](plan, stream, options or RenderOptions())
