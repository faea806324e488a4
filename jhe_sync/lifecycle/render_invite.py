"""The text form of invitation results: one line per patient, links only when asked.

An invitation link lets whoever holds it connect an app to the patient's account, so
it is a credential: it is written only with ``show_links=True`` (``--show-links``),
never to a log or a report by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from jhe_sync.lifecycle.invite import InviteResult

HIDDEN_NOTE = "Links are credentials and are not shown; add --show-links to print them."


def render_invites(
    results: Sequence[InviteResult], stream: IO[str], show_links: bool = False
) -> None:
    """Write one line per patient (``ok`` and what the new link replaced, or ``FAILED``
    and why), and the links if asked."""
    if not results:
        stream.write("No patient to invite: the study has no enrolled patient.\n")
        return
    first = results[0]
    issued = sum(1 for r in results if r.ok)
    lines = [
        f"Invitations for study {first.study_key} through client {first.client} "
        f"(id {first.client_id}): {issued} issued, {len(results) - issued} failed"
    ]
    for result in results:
        lines.append(f"  {'ok    ' if result.ok else 'FAILED'}  {result}")
        if show_links and result.ok and result.link:
            lines.append(f"          link: {result.link}")
    if issued and not show_links:
        lines.append(HIDDEN_NOTE)
    stream.write("\n".join(lines) + "\n")
