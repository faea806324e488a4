"""Text from the spec or the exchange, made safe to put into markdown (plan comments on
pull requests, status reports): it shows as written and cannot turn into markup, HTML,
a broken table row or a broken line, nor notify anyone.

A study named "Cardio @lab-team" would mention that team in a pull-request comment,
and GitHub would notify each of its members: an ``@`` that could start a mention gets
a zero-width space after it (``@&#8203;lab-team``), which shows the same and mentions
nobody. An e-mail address (``peter@example.org``) is no mention and stays as it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a pull-request comment longer than this many characters."""

MARKDOWN_BUDGET = 60_000
"""The default size of a markdown output: under the limit, with room for a CI header."""

NOTE_RESERVE = 600
"""Characters a ``BoundedDocument`` keeps free for its closing note on what was cut."""

_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
"""What markdown would read as markup, after ``html.escape`` has turned ``<``, ``>``
and ``&`` into entities."""

_MENTION = re.compile(r"(?<![0-9A-Za-z])@(?=[0-9A-Za-z])")
"""An ``@`` that GitHub could read as the start of a user or team mention."""

_NO_MENTION = "@&#8203;"


def escape(text: str) -> str:
    """Plain text that markdown and HTML leave as it is, on one line, mentioning nobody."""
    escaped = _SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")
    return _MENTION.sub(_NO_MENTION, escaped)


def html_text(text: str) -> str:
    """Text for inside an HTML element (a ``<summary>``): escaped, mentioning nobody."""
    return _MENTION.sub(_NO_MENTION, html.escape(text, quote=False)).replace("\n", " ")


def inline_code(text: str) -> str:
    """Text to put between single backticks, where nothing is markup: only a backtick
    (which would end the span) and a line break (which would end the line) are replaced."""
    return text.replace("`", "'").replace("\n", " ")


@dataclass
class BoundedDocument:
    """A markdown document built in priority order and cut, with a note, once the next
    item would take it past ``max_chars``: a pull-request comment or a posted report
    must stay under GitHub's limit, and what is left out must be said.

    ``always`` adds text whatever its size (a title, a summary); ``section`` adds a
    heading and as many of its items as fit, and once one section is cut every later
    one is left out too, so that what is shown is always the most important part."""

    max_chars: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    omitted: dict[str, int] = field(default_factory=dict)

    @property
    def budget(self) -> int:
        return self.max_chars - NOTE_RESERVE

    def always(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def section(
        self, heading: str, what: str, texts: list[str], counts: list[int] | None = None
    ) -> None:
        """A heading and its items, as many as fit; the heading only with a first item.
        ``counts``: how many of ``what`` each item stands for (one each by default)."""
        for position, text in enumerate(texts):
            lead = heading if position == 0 else ""
            if self.omitted or self.size + len(lead) + len(text) > self.budget:
                left = counts[position:] if counts is not None else [1] * (len(texts) - position)
                self.omitted[what] = sum(left)
                return
            self.always(lead + text)

    def text(self, hint: str) -> str:
        """The document, and if anything was cut a note saying what, then ``hint``
        (where the whole of it can be read)."""
        if not self.omitted:
            return "".join(self.parts)
        left_out = ", ".join(f"{count} {what}" for what, count in self.omitted.items())
        note = (
            f"\n**Cut to stay under GitHub's comment size limit:** not shown: {left_out}. {hint}\n"
        )
        return "".join(self.parts) + note
