"""Drift: how the live exchange differs from git, and which side each difference came
from (a change made on the exchange, or a spec change not applied yet).

    drift = attribute(plan, applied_plan, applied_ref)   # sides.py: pure
    render_text / render_markdown_report / render_json   # report.py

``plan`` is the spec at HEAD against the exchange; ``applied_plan`` the spec at the
last applied commit against the same exchange (None when that commit is not known).
Keeping one GitHub issue open while they differ is the CI layer's (``jhe-sync ci
drift``); this package neither reads nor writes anything.
"""

from jhe_sync.drift.report import render_json, render_markdown_report, render_text
from jhe_sync.drift.sides import Attributed, Drift, Side, attribute

__all__ = [
    "Attributed",
    "Drift",
    "Side",
    "attribute",
    "render_json",
    "render_markdown_report",
    "render_text",
]
