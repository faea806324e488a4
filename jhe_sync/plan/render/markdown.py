"""The markdown form of a plan, for a pull-request comment.

The summary comes first, then what would stop or worry a reviewer (a refusal, the
destructive changes with their impact, the warnings), then each study's changes in a
collapsed ``<details>`` block as a ``diff`` (GitHub colours ``+``, ``-`` and ``!``).

GitHub refuses a comment over 65,536 characters, so the output stops adding items at
``max_chars`` and ends with a note of what it left out. The order above
is the priority: details go first, refusals last.

Text from the spec (names, labels, reasons) is escaped so that it cannot turn into
markdown or HTML in the comment.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import IO

from jhe_sync.markdown import escape, inline_code
from jhe_sync.plan.change import Change
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.text import NO_CHANGES, group_title
from jhe_sync.plan.render.wording import (
    Detail,
    cascade_lines,
    change_details,
    describe,
    entry_ref,
    impact_text,
    plural,
    symbol,
)

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a pull-request comment longer than this many characters."""

MARKDOWN_BUDGET = 60_000
"""The markdown renderer's default size: under the limit, with room for a CI header."""

TITLE = "## jhe-sync plan"
_NOTE_RESERVE = 400
"""Characters kept free for the closing note on what was cut."""

_BACKTICKS = re.compile(r"`+")
_DIFF_MARKS = {"+": "+", "~": "!", "-": "-"}
"""Text symbols to ``diff`` line marks (GitHub highlights ``!`` as changed)."""
_DETAIL_MARKS: dict[Detail, str] = {
    "reason": "#",
    "set": "+",
    "update": "!",
    "impact": "-",
    "protected": "-",
}
"""Each kind of detail line of a change to its ``diff`` line mark."""


def render_markdown(
    plan: Plan,
    stream: IO[str],
    *,
    refusals: tuple[str, ...] | None = None,
    max_chars: int = MARKDOWN_BUDGET,
) -> None:
    """Write the plan as a pull-request comment, at most ``max_chars`` long; ``refusals``
    are why apply's safeguards would refuse it (None: not checked)."""
    doc = _Document(max_chars - _NOTE_RESERVE)
    doc.always(f"{TITLE}\n\n**{escape(plan.counts.summary() if plan.changes else NO_CHANGES)}**\n")

    if refusals:
        doc.always(
            "\n> [!CAUTION]\n> **Apply would refuse this plan** and write nothing. "
            "Blocked by the safeguards:\n"
        )
        doc.section("", "refusals", [f"> - {escape(reason)}\n" for reason in refusals])

    destructive = plan.destructive_changes()
    if destructive:
        doc.section(
            f"\n### Destructive changes ({len(destructive)})\n\n",
            "destructive changes",
            [_destructive_item(change) for change in destructive],
        )

    if plan.warnings:
        doc.section(
            "\n### Warnings\n\n",
            "warnings",
            [f"- `{inline_code(w.key)}`: {escape(w.message)}\n" for w in plan.warnings],
        )

    groups = plan.by_key()
    if groups:
        doc.section(
            "\n### Changes by study\n\n" if _studies_only(plan) else "\n### Changes\n\n",
            "study details",
            [_details(key, changes, plan) for key, changes in groups.items()],
        )

    if plan.unmanaged:
        listed = ", ".join(f"{escape(u.name)} (id {u.id})" for u in plan.unmanaged)
        count = len(plan.unmanaged)
        doc.section(
            "",
            "unmanaged note",
            [
                f"\n<sub>Unmanaged: {plural(count, 'live study')} in the managed organizations "
                f"{'is' if count == 1 else 'are'} not in the spec and left alone: {listed}.</sub>\n"
            ],
        )
    stream.write(doc.text())


def _destructive_item(change: Change) -> str:
    line = f"- **{escape(entry_ref(change))}**: {escape(describe(change))}"
    if change.impact is not None:
        line += f" — impact: {escape(impact_text(change.impact))}"
    if change.cascade is not None:
        line += "".join(f" — {escape(text)}" for text in cascade_lines(change))
    if change.lockout:
        line += " — **refused whatever the flags**"
    elif change.protected:
        line += " — **protected** (protect: true): apply refuses it"
    return line + "\n"


def _studies_only(plan: Plan) -> bool:
    return all(change.subject == "study" for change in plan.changes)


def _details(key: str, changes: list[Change], plan: Plan) -> str:
    title = group_title(key, changes[0], plan)
    noun, _, rest = title.partition(" ")
    quoted = f'"{key}"'
    where = html.escape(rest.removeprefix(quoted))
    kind = "" if noun == "study" else f"{noun} "
    summary = f"{kind}<code>{html.escape(key)}</code>{where}: {plural(len(changes), 'change')}"
    body = "\n".join(line for change in changes for line in _diff_lines(change))
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICKS.findall(body)), default=0))
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _diff_lines(change: Change) -> list[str]:
    """A change as ``diff`` lines: ``+`` adds, ``!`` updates, ``-`` destroys, ``#`` why."""
    lines = [f"{_DIFF_MARKS[symbol(change)]} {describe(change)}"]
    lines += [f"{_DETAIL_MARKS[detail]}     {text}" for detail, text in change_details(change)]
    return lines


@dataclass
class _Document:
    """The comment, built in priority order, cut with a note once it would be too long."""

    budget: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    omitted: dict[str, int] = field(default_factory=dict)

    def always(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def section(self, heading: str, what: str, texts: list[str]) -> None:
        """A heading and its items, as many as fit; the heading only with a first item."""
        for position, text in enumerate(texts):
            lead = heading if position == 0 else ""
            if self.omitted or self.size + len(lead) + len(text) > self.budget:
                self.omitted[what] = len(texts) - position
                return
            self.always(lead + text)

    def text(self) -> str:
        if not self.omitted:
            return "".join(self.parts)
        left_out = ", ".join(f"{count} {what}" for what, count in self.omitted.items())
        note = (
            f"\n**Cut to stay under GitHub's comment size limit:** not shown: {left_out}. "
            "The full plan is in the CI log, or run `jhe-sync show` on the saved plan.\n"
        )
        return "".join(self.parts) + note
