"""What a renderer is told besides the plan: colour, refusals, size limits."""

from __future__ import annotations

from dataclasses import dataclass

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a pull-request comment longer than this many characters."""

MARKDOWN_BUDGET = 60_000
"""The markdown renderer's default size: under the limit, with room for a CI header."""


@dataclass(frozen=True)
class RenderOptions:
    """Options of every renderer; each uses the ones that make sense for its format."""

    color: bool = False
    """ANSI colour in text output. The CLI decides: a TTY, and NO_COLOR not set."""
    refusals: tuple[str, ...] | None = None
    """Why apply's safeguards would refuse the plan (empty: they would not); None: not checked."""
    max_chars: int = MARKDOWN_BUDGET
    """Markdown only: the most characters to write; details are cut, with a note, to fit."""
