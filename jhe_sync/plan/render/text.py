"""The text form of a plan: Terraform-like ``+ ~ -`` lines grouped by spec entry
(organizations first, then studies).

For terminals and CI logs. Colour only when asked (``color``); the CLI asks on a TTY
without ``NO_COLOR``. Formatting only: everything shown is in the Plan.
"""

from __future__ import annotations

from typing import IO

from jhe_sync.plan.change import Change, Refusal, UnmanagedStudy
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.wording import (
    KEYS_SHOWN,
    UNLISTED_HOW_TO,
    Detail,
    change_details,
    describe,
    keys_text,
    plural,
    refusal_lines,
    symbol,
    warning_groups,
)

_RESET = "\x1b[0m"
_STYLES = {
    "+": "\x1b[32m",
    "~": "\x1b[33m",
    "-": "\x1b[31m",
    "header": "\x1b[1m",
    "warning": "\x1b[33m",
    "refused": "\x1b[1;31m",
    "note": "\x1b[2m",
}

_DETAILS: dict[Detail, tuple[str, str]] = {
    "reason": ("#", "note"),
    "set": ("+", "+"),
    "update": ("~", "~"),
    "impact": ("!", "-"),
    "protected": ("!", "refused"),
}
"""Each kind of detail line: its mark, and its style."""


def render_text(
    plan: Plan,
    stream: IO[str],
    *,
    color: bool = False,
    refusals: tuple[Refusal, ...] | None = None,
) -> None:
    """Write the plan for a terminal or a log to ``stream``, in ANSI colour if ``color``;
    ``refusals`` are why apply's safeguards would refuse it (None: not checked).

    Every change is shown, entry by entry (a log holds the whole plan); warnings and
    refusals that several entries share are said once, with their keys."""
    lines = _Lines(color)
    for key, changes in plan.by_key().items():
        lines.add(f"# {group_title(key, changes[0], plan)}", "header")
        for change in changes:
            _change_lines(lines, change)
        lines.add("")
    if plan.warnings:
        lines.add("Warnings:", "warning")
        for keys, noun, message in warning_groups(plan.warnings, plan.subjects()):
            lines.add(f"  ! {keys_text(keys, KEYS_SHOWN, noun)}: {message}", "warning")
        lines.add("")
    inside, elsewhere = plan.unmanaged_in_spec(), plan.unmanaged_elsewhere()
    if inside:
        count = len(inside)
        lines.add(
            f"Unmanaged: {plural(count, 'live study')} in the managed organizations "
            f"{'is' if count == 1 else 'are'} not in the spec and left alone:",
            "note",
        )
        _unmanaged_lines(lines, plan, inside)
        lines.add("")
    if elsewhere:
        count = len(elsewhere)
        lines.add(
            f"Not in the spec: {plural(count, 'live study')} in organizations the spec does "
            "not mention, where the caller may write (left alone):",
            "warning",
        )
        _unmanaged_lines(lines, plan, elsewhere)
        lines.add(f"  {UNLISTED_HOW_TO}", "warning")
        lines.add("")
    lines.add(plan.summary(), "header")
    if refusals:
        lines.add("")
        lines.add(
            "Refused: apply's safeguards would refuse this plan and write nothing:", "refused"
        )
        for reason in refusal_lines(refusals, KEYS_SHOWN):
            lines.add(f"  - {reason}", "refused")
    stream.write(lines.text())


def group_title(key: str, first: Change, plan: Plan) -> str:
    """``study "bp" (id 30001, Lifespan Lab (20003))``, ``organization "sleep-lab" (new,
    in Lifespan Lab (20003))``: the heading of one entry's changes."""
    if first.subject == "study":
        where = f"id {first.study_id}" if first.study_id is not None else "new"
        return f'study "{key}" ({where}, {plan.organization_reference(first)})'
    if first.organization_id is not None:
        return f'organization "{key}" (id {first.organization_id})'
    if first.parent_id is not None:
        return f'organization "{key}" (new, under {plan.organization_label(first.parent_id)})'
    return f'organization "{key}" (new, under new organization "{first.parent_key}")'


def _unmanaged_lines(lines: _Lines, plan: Plan, studies: tuple[UnmanagedStudy, ...]) -> None:
    for study in studies:
        lines.add(
            f'  "{study.name}" (id {study.id}, {plan.organization_label(study.organization_id)})',
            "note",
        )


def _change_lines(lines: _Lines, change: Change) -> None:
    mark = symbol(change)
    lines.add(f"  {mark} {describe(change)}", mark)
    for detail, text in change_details(change):
        detail_mark, style = _DETAILS[detail]
        lines.add(f"      {detail_mark} {text}", style)


class _Lines:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []

    def add(self, line: str, style: str | None = None) -> None:
        if self.color and style and line:
            line = f"{_STYLES[style]}{line}{_RESET}"
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
