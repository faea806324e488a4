"""The drift report: how the exchange differs from git and which side each difference
came from, as text (a terminal), markdown (the body of the one issue a scheduled check
keeps open) or json. Renderers compute nothing the ``Drift`` does not hold.

The markdown body is the sides table, then the plan's own markdown form
(``plan.render.markdown``), in the size a GitHub issue body takes: the table is cut
first, with a note, and the plan gets what is left.
"""

from __future__ import annotations

import io
import json
from typing import IO

from jhe_sync.drift.sides import Attributed, Drift, Side
from jhe_sync.markdown import GITHUB_COMMENT_LIMIT, BoundedDocument, escape, inline_code
from jhe_sync.plan.render.markdown import render_markdown
from jhe_sync.plan.render.wording import brief, plural

TITLE = "## jhe-sync drift: the exchange differs from git"
AGREE = "The exchange matches the spec: no drift."

ISSUE_BUDGET = GITHUB_COMMENT_LIMIT - 2_000
"""What the report may take of an issue body (the keeper adds a marker and a footer)."""

TABLE_SHARE = 0.4
"""The most of the budget the sides table takes before it is cut."""

_CAME_FROM = {
    Side.LIVE: "the exchange",
    Side.SPEC: "the spec",
    Side.BOTH: "both",
    Side.UNKNOWN: "unknown",
}
_MEANING = {
    Side.LIVE: "made on the exchange (in the console, or by another tool) since the last "
    "apply. Applying puts it back as git says; to keep it, change the spec instead "
    "(jhe-sync export writes the live study as a spec)",
    Side.SPEC: "committed since the last apply and not applied yet; the next apply makes it",
    Side.BOTH: "the spec and the exchange both changed it since the last apply",
}


def render_text(drift: Drift, stream: IO[str]) -> None:
    """One line per change with the side it came from, and what the sides mean."""
    if not drift.differs:
        stream.write(AGREE + "\n")
        return
    lines = [_headline(drift), *_compared(drift, markdown=False)]
    width = max(len(_CAME_FROM[a.side]) for a in drift.changes)
    for item in drift.changes:
        lines.append(f"  {_CAME_FROM[item.side]:<{width}}  {item.change.key}: {brief(item.change)}")
        lines += [f"  {'':<{width}}    {part}" for part in _parts(item)]
    stream.write("\n".join(lines) + "\n")


def render_markdown_report(drift: Drift, stream: IO[str], max_chars: int = ISSUE_BUDGET) -> None:
    """The issue body: the summary, where each difference came from, then the plan."""
    if not drift.differs:
        stream.write(f"{TITLE.replace('differs from', 'matches')}\n\n{AGREE}\n")
        return
    doc = BoundedDocument(int(max_chars * TABLE_SHARE))
    compared = "\n".join(_compared(drift, markdown=True))
    doc.always(f"{TITLE}\n\n**{escape(_headline(drift))}**\n\n{compared}\n")
    rows = [
        f"| {_CAME_FROM[a.side]} | `{inline_code(a.change.key)}` | "
        f"{escape(brief(a.change))}{_row_parts(a)} |\n"
        for a in drift.changes
    ]
    doc.section("\n| came from | entry | change |\n| --- | --- | --- |\n", "changes", rows)
    table = doc.text("Every change is in the plan below.")
    plan = io.StringIO()
    render_markdown(drift.plan, plan, max_chars=max(2_000, max_chars - len(table)))
    stream.write(f"{table}\n{plan.getvalue()}")


def render_json(drift: Drift, stream: IO[str]) -> None:
    stream.write(json.dumps(drift.to_dict(), indent=2, ensure_ascii=False) + "\n")


def _headline(drift: Drift) -> str:
    return f"{plural(len(drift.changes), 'change')} would bring the exchange back to the spec."


def _compared(drift: Drift, markdown: bool) -> list[str]:
    """What the sides were told from, and what each side's changes mean."""
    if drift.count(Side.UNKNOWN):
        return [
            f"Which side each difference came from cannot be told: {drift.unknown_why}. "
            "Give the last applied commit to tell a change made on the exchange from a "
            "spec change not applied yet."
        ]
    ref = f"`{inline_code(drift.applied_ref)}`" if markdown else drift.applied_ref
    bold = (lambda text: f"**{text}**") if markdown else (lambda text: text)
    return [f"Compared with the spec at the last applied commit {ref}:"] + [
        f"- {bold(plural(drift.count(side), 'change') + ' from ' + _CAME_FROM[side])}: "
        f"{_MEANING[side]}."
        for side in (Side.LIVE, Side.SPEC, Side.BOTH)
        if drift.count(side)
    ]


PARTS_SHOWN = 10
"""Parts (patients, fields) listed per side of a change; beyond, they are counted."""


def _parts(item: Attributed) -> list[str]:
    lines = []
    if item.live_parts:
        lines.append(f"from the exchange: {_listed(item.live_parts)}")
    if item.spec_parts:
        lines.append(f"from the spec: {_listed(item.spec_parts)}")
    return lines


def _listed(labels: tuple[str, ...]) -> str:
    shown = ", ".join(labels[:PARTS_SHOWN])
    rest = len(labels) - PARTS_SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown


def _row_parts(item: Attributed) -> str:
    return "".join(f"<br>{escape(line)}" for line in _parts(item))
