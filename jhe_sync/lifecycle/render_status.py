"""The forms of a status report: a text table, json, and markdown for a scheduled report.

Formatting only: everything shown is in the ``StatusReport``, which names patients by
spec label or ``#id`` and holds nothing else about them. Markdown escapes text from the
spec and the exchange (study names) so that it cannot turn into markup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import IO

from jhe_sync.lifecycle.status import OBSERVATIONS_COUNTED, StatusReport, StudyStatus
from jhe_sync.markdown import MARKDOWN_BUDGET, BoundedDocument, escape, inline_code
from jhe_sync.plan.render.formats import FORMATS, Format
from jhe_sync.plan.render.wording import plural

SUMMARY_HEADERS = (
    "STUDY",
    "ID",
    "ORGANIZATION",
    "ENROLLED",
    "OBSERVATIONS*",
    "LATEST UPLOAD*",
    "NO DATA YET*",
)
SCOPE_HEADERS = ("SCOPE", "CONSENTED", "DECLINED", "PENDING")


def render(report: StatusReport, stream: IO[str], output_format: Format = "text") -> None:
    """Write ``report`` in one of ``FORMATS`` (the plan's: text, json, markdown)."""
    if output_format == "json":
        render_json(report, stream)
    elif output_format == "markdown":
        render_markdown(report, stream)
    elif output_format == "text":
        render_text(report, stream)
    else:
        raise ValueError(f"unknown status format {output_format!r}; expected one of {FORMATS}")


def render_json(report: StatusReport, stream: IO[str]) -> None:
    stream.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


def render_text(report: StatusReport, stream: IO[str]) -> None:
    """A summary table of every study, then each live study's consents by scope."""
    lines = [f"Status of {plural(len(report.studies), 'study')}, as of {report.as_of}", ""]
    if not report.studies:
        lines.append("The spec lists no study.")
    rows = [_summary_row(study) for study in report.studies]
    lines += _table(SUMMARY_HEADERS, rows) if rows else []
    if report.live:
        lines.append(f"* {OBSERVATIONS_COUNTED}")
    for study in report.live:
        lines += ["", f'{study.key} (id {study.study_id}): "{study.name}"']
        if study.scopes:
            scope_rows = [
                (t.code, str(t.consented), str(t.declined), str(t.pending)) for t in study.scopes
            ]
            lines += [f"  {line}" for line in _table(SCOPE_HEADERS, scope_rows)]
        else:
            lines.append("  requests no scope")
        lines += [f"  {line}" for line in _study_notes(study)]
    for study in report.studies:
        if study.state != "live":
            lines += ["", f"{study.key}: {study.state}: {study.note}"]
    stream.write("\n".join(lines) + "\n")


def render_markdown(
    report: StatusReport, stream: IO[str], max_chars: int = MARKDOWN_BUDGET
) -> None:
    """A report to post on a schedule: a summary table, the studies not on the exchange,
    then a section per live study; cut, with a note, to stay under ``max_chars`` (GitHub's
    limit for a comment or an issue), the per-study sections first."""
    doc = BoundedDocument(max_chars)
    doc.always(
        "## Study status\n\n"
        f"As of {escape(report.as_of)}: {plural(len(report.studies), 'study')} in the spec, "
        f"{len(report.live)} on the exchange.\n"
    )
    missing = [study for study in report.studies if study.state != "live"]
    if missing:
        doc.section(
            "\n### Not on the exchange\n\n",
            "studies not on the exchange",
            [
                f"- `{inline_code(study.key)}`: {escape(study.state)}: {escape(study.note)}\n"
                for study in missing
            ],
        )
    if report.live:
        doc.section(
            "\n| Study | ID | Organization | Enrolled | Observations\\* | Latest upload\\* | "
            "No data yet\\* |\n| --- | ---: | --- | ---: | ---: | --- | ---: |\n",
            "rows of the summary table",
            [
                f"| `{inline_code(study.key)}` | {study.study_id} | {escape(study.organization)} | "
                f"{study.enrolled} | {study.observations} | {escape(_when(study.latest_upload))} | "
                f"{len(study.no_data)} |\n"
                for study in report.live
            ],
        )
    if report.live:
        doc.always(f"\n\\* {escape(OBSERVATIONS_COUNTED)}\n")
    doc.section("", "studies' consent tables", [_study_section(study) for study in report.live])
    stream.write(
        doc.text(
            "The whole report: the same `jhe-sync status` with `--format text` or `--format json`."
        )
    )


def _study_section(study: StudyStatus) -> str:
    parts = [f"\n### `{inline_code(study.key)}`: {escape(study.name)} (id {study.study_id})\n\n"]
    if study.scopes:
        parts.append("| Scope | Consented | Declined | Pending |\n| --- | ---: | ---: | ---: |\n")
        parts += [
            f"| `{inline_code(t.code)}` | {t.consented} | {t.declined} | {t.pending} |\n"
            for t in study.scopes
        ]
    else:
        parts.append("Requests no scope.\n")
    notes = _study_notes(study, code=lambda text: f"`{inline_code(text)}`")
    if notes:
        parts.append("\n" + "".join(f"- {note}\n" for note in notes))
    return "".join(parts)


# -- shared wording ---------------------------------------------------------------------


def _summary_row(study: StudyStatus) -> tuple[str, ...]:
    if study.state != "live":
        return (study.key, "-", study.state, "", "", "", "")
    return (
        study.key,
        str(study.study_id),
        study.organization,
        str(study.enrolled),
        str(study.observations),
        _when(study.latest_upload),
        str(len(study.no_data)),
    )


def _study_notes(study: StudyStatus, code: Callable[[str], str] = str) -> list[str]:
    notes = []
    if study.no_data:
        notes.append("no data yet: " + ", ".join(code(name) for name in study.no_data))
    if study.consents_unreadable:
        notes.append(
            f"consents not counted for {plural(study.consents_unreadable, 'patient')}: the "
            "caller may not read them (the patient is in none of the caller's organizations)"
        )
    return notes


def _when(stamp: str | None) -> str:
    """``2026-11-24 18:39:34 UTC`` from the exchange's ISO time (as it is if unreadable)."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
