"""The markdown form of a plan, for a pull-request comment.

The summary comes first, then what would stop a reviewer (a refusal), the destructive
changes with their impact, each entry's changes in a collapsed ``<details>`` block as
a ``diff`` (GitHub colours ``+``, ``-`` and ``!``), the warnings, and the live studies
the spec does not list.

One template stamped over hundreds of studies makes the same change, the same
refusal and the same warning in each: those are said once, with the studies' keys
(studies whose changes read alike share one ``<details>`` block). GitHub refuses a
comment over 65,536 characters, so the output stops adding items at ``max_chars`` and
ends with a note of what it left out and where the whole plan is. The order above is
the priority: warnings and the unmanaged note go before any change does.

Text from the spec and the exchange (names, labels, reasons) is escaped so that it
cannot turn into markdown or HTML, nor mention anyone, in the comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO

from jhe_sync.markdown import (
    GITHUB_COMMENT_LIMIT,
    MARKDOWN_BUDGET,
    BoundedDocument,
    escape,
    html_text,
    inline_code,
)
from jhe_sync.plan.change import Change, Impact, Refusal
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render.text import group_title
from jhe_sync.plan.render.wording import (
    KEYS_SHOWN,
    UNLISTED_HOW_TO,
    Detail,
    cascade_lines,
    change_details,
    describe,
    entry_ref,
    grouped,
    impact_text,
    plural,
    refusal_lines,
    symbol,
    warning_groups,
)
from jhe_sync.resources import ChangeKind

__all__ = ["GITHUB_COMMENT_LIMIT", "MARKDOWN_BUDGET", "TITLE", "render_markdown"]

TITLE = "## jhe-sync plan"

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
    refusals: tuple[Refusal, ...] | None = None,
    max_chars: int = MARKDOWN_BUDGET,
    saved_plan: str | None = None,
) -> None:
    """Write the plan as a pull-request comment, at most ``max_chars`` long; ``refusals``
    are why apply's safeguards would refuse it (None: not checked); ``saved_plan`` is
    the file the plan was saved to (``--out``), which a cut comment points to."""
    doc = BoundedDocument(max_chars)
    doc.always(f"{TITLE}\n\n**{escape(plan.summary())}**\n")

    if refusals:
        doc.always(
            "\n> [!CAUTION]\n> **Apply would refuse this plan** and write nothing. "
            "Blocked by the safeguards:\n"
        )
        lines = refusal_lines(refusals, KEYS_SHOWN)
        doc.section("", "refusals", [f"> - {escape(line)}\n" for line in lines])

    destructive = plan.destructive_changes()
    if destructive:
        alike = _alike(destructive)
        doc.section(
            f"\n### Destructive changes ({len(destructive)})\n\n",
            "destructive changes",
            [_destructive_item(changes) for changes in alike],
            [len(changes) for changes in alike],
        )

    by_key = plan.by_key()
    groups = grouped(
        (key, tuple(line for change in changes for line in _diff_lines(change)))
        for key, changes in by_key.items()
    )
    if groups:
        studies = _studies_only(plan)
        doc.section(
            "\n### Changes by study\n\n" if studies else "\n### Changes\n\n",
            "studies' changes" if studies else "entries' changes",
            [_details(keys, [by_key[key] for key in keys], lines, plan) for keys, lines in groups],
            [len(keys) for keys, _ in groups],
        )

    if plan.warnings:
        warnings = warning_groups(plan.warnings, plan.subjects())
        doc.section(
            "\n### Warnings\n\n",
            "warnings",
            [f"- {_entries(keys, noun)}: {escape(message)}\n" for keys, noun, message in warnings],
            [len(keys) for keys, _, _ in warnings],
        )

    inside, elsewhere = plan.unmanaged_in_spec(), plan.unmanaged_elsewhere()
    if elsewhere:
        listed = ", ".join(
            f"{escape(u.name)} (id {u.id}, {escape(plan.organization_label(u.organization_id))})"
            for u in elsewhere
        )
        doc.section(
            "\n### Not in the spec\n\n",
            "studies not in the spec",
            [
                f"{plural(len(elsewhere), 'live study')} in organizations the spec does not "
                f"mention, where the caller may write, left alone: {listed}. "
                f"{escape(UNLISTED_HOW_TO)}\n"
            ],
            [len(elsewhere)],
        )
    if inside:
        listed = ", ".join(f"{escape(u.name)} (id {u.id})" for u in inside)
        count = len(inside)
        doc.section(
            "",
            "unmanaged note",
            [
                f"\n<sub>Unmanaged: {plural(count, 'live study')} in the managed organizations "
                f"{'is' if count == 1 else 'are'} not in the spec and left alone: {listed}.</sub>\n"
            ],
        )
    stream.write(doc.text(_whole_plan_hint(saved_plan)))


def _alike(changes: Sequence[Change]) -> list[list[Change]]:
    """Destructive changes that read the same (one removal in many studies), together."""
    return [
        [changes[index] for index in indexes]
        for indexes, _ in grouped(
            (index, (change.kind, describe(change), tuple(cascade_lines(change)), change.lockouts))
            for index, change in enumerate(changes)
        )
    ]


def _destructive_item(changes: list[Change]) -> str:
    first = changes[0]
    if len(changes) == 1:
        line = f"- **{escape(entry_ref(first))}**: {escape(describe(first))}"
    else:
        keys = [change.key for change in changes]
        noun = plural(len(keys), first.subject)
        line = f"- **{noun}** ({_keys(keys)}): {escape(describe(first))}"
    impacts = [change.impact for change in changes]
    if all(impact is not None for impact in impacts):
        known = [i for i in impacts if i is not None]
        line += f" — impact: {escape(_impacts_text(known, first.kind))}"
    if first.cascade is not None:
        line += "".join(f" — {escape(text)}" for text in cascade_lines(first))
    protected = sum(change.protected for change in changes)
    if first.lockouts:
        line += " — **refused whatever the flags**"
    elif protected:
        which = "" if protected == len(changes) else f" ({protected} of them)"
        line += f" — **protected**{which} (protect: true): apply refuses it"
    return line + "\n"


def _impacts_text(impacts: list[Impact], kind: ChangeKind) -> str:
    """One study's impact; the same impact in several studies once, with "each"; counts
    that differ added up, "in all" (a patient in several studies counts in each)."""
    if len(set(impacts)) == 1:
        text = impact_text(impacts[0], kind)
        return text if len(impacts) == 1 else f"{text}, each"
    if any(i.scopes_without_source or i.links_left is not None for i in impacts):
        return "differs by study: see each study's changes"
    total = Impact(
        enrolled=sum(i.enrolled for i in impacts),
        consented=sum(i.consented for i in impacts),
        consents=sum(i.consents for i in impacts),
        complete=all(i.complete for i in impacts),
    )
    return f"{impact_text(total, kind)} in all"


def _studies_only(plan: Plan) -> bool:
    return all(change.subject == "study" for change in plan.changes)


def _details(
    keys: tuple[str, ...], changes: list[list[Change]], lines: tuple[str, ...], plan: Plan
) -> str:
    first = changes[0][0]
    count = plural(len(changes[0]), "change")
    if len(keys) == 1:
        title = group_title(keys[0], first, plan)
        noun, _, rest = title.partition(" ")
        where = html_text(rest.removeprefix(f'"{keys[0]}"'))
        kind = "" if noun == "study" else f"{noun} "
        summary = f"{kind}<code>{html_text(keys[0])}</code>{where}: {count}"
        listing = ""
    else:
        shown = ", ".join(f"<code>{html_text(key)}</code>" for key in keys[:KEYS_SHOWN])
        more = f" and {len(keys) - KEYS_SHOWN} more" if len(keys) > KEYS_SHOWN else ""
        where = ""
        if first.subject == "study":
            organizations = sorted({plan.organization_reference(c[0]) for c in changes})
            where = ", " + (
                html_text(organizations[0])
                if len(organizations) == 1
                else plural(len(organizations), "organization")
            )
        summary = f"{plural(len(keys), first.subject)}{where}: {count} each: {shown}{more}"
        listing = f"{', '.join(f'`{inline_code(key)}`' for key in keys)}\n\n"
    body = "\n".join(lines)
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICKS.findall(body)), default=0))
    return (
        f"<details><summary>{summary}</summary>\n\n{listing}"
        f"{fence}diff\n{body}\n{fence}\n\n</details>\n"
    )


def _diff_lines(change: Change) -> list[str]:
    """A change as ``diff`` lines: ``+`` adds, ``!`` updates, ``-`` destroys, ``#`` why."""
    lines = [f"{_DIFF_MARKS[symbol(change)]} {describe(change)}"]
    lines += [f"{_DETAIL_MARKS[detail]}     {text}" for detail, text in change_details(change)]
    return lines


def _entries(keys: tuple[str, ...], noun: str) -> str:
    if len(keys) == 1:
        return f"`{inline_code(keys[0])}`"
    return f"{plural(len(keys), noun)} ({_keys(keys)})"


def _keys(keys: Sequence[str]) -> str:
    shown = ", ".join(f"`{inline_code(key)}`" for key in keys[:KEYS_SHOWN])
    return shown + (f" and {len(keys) - KEYS_SHOWN} more" if len(keys) > KEYS_SHOWN else "")


def _whole_plan_hint(saved_plan: str | None) -> str:
    if saved_plan:
        code = inline_code(saved_plan)
        return (
            f"The whole plan is in the saved plan `{code}`: `jhe-sync show {code}` prints it "
            "(the CI recipe prints it in the job's log and keeps the file as an artifact)."
        )
    return (
        "The whole plan: run the same `jhe-sync plan` with `--format text`, or save it "
        "with `--out FILE` and run `jhe-sync show FILE`."
    )
