"""What the action writes for people: the pull request's plan comment, the notes under
it, and the job summaries of the plan and apply steps. Formatting only: what to say is
decided by the steps (``steps``) and held by the plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from jhe_sync.markdown import escape, inline_code
from jhe_sync.plan.change import Refusal

FOOTER = (
    "<sub>jhe-sync keeps this comment up to date on every push. On merge, the deploy job "
    "applies the merged spec; a destructive change is applied only if it is listed here "
    "and the pull request carried the label {label} when it was merged.</sub>"
)


def plan_comment(
    markdown: str,
    *,
    role_refusals: Sequence[Refusal],
    destructive: int,
    label: str,
    labelled: bool,
    head_sha: str,
    artifact: str,
) -> str:
    """The comment: the plan's markdown, then what the reviewer must know about applying
    it (read-only credentials, the destroy label), and where the saved plan is."""
    notes: list[str] = []
    if role_refusals:
        lines = "\n".join(f"> - {escape(refusal.what)}" for refusal in role_refusals)
        notes.append(
            "> [!NOTE]\n> **Planned with read-only credentials.** The plan is complete; the "
            "deploy job applies it with its own credentials, which need the member or manager "
            f"role:\n{lines}"
        )
    if destructive:
        code = f"`{inline_code(label)}`"
        if labelled:
            notes.append(
                f"> [!WARNING]\n> The label {code} allows the destructive changes above: on "
                "merge these, and only these, are applied."
            )
        else:
            notes.append(
                f"> [!IMPORTANT]\n> The destructive changes above are applied on merge only if "
                f"this pull request has the label {code} when it is merged."
            )
    head = f" of `{inline_code(head_sha[:12])}`" if head_sha else ""
    notes.append(
        f"<sub>Saved plan{head}: artifact `{inline_code(artifact)}` of this run.</sub>\n\n"
        + FOOTER.format(label=f"`{inline_code(label)}`")
    )
    return markdown.rstrip("\n") + "\n\n" + "\n\n".join(notes) + "\n"


def failed_comment(error: str, exit_code: int) -> str:
    """The comment when no plan could be made: the error, as the log shows it."""
    fence = "````" if "```" in error else "```"
    return (
        "## jhe-sync plan\n\n"
        f"**No plan: jhe-sync stopped with exit code {exit_code}.** Nothing was written.\n\n"
        f"{fence}\n{error}\n{fence}\n"
    )


def apply_summary(status: str, counts: str, notes: Sequence[str], pull: str) -> str:
    """The apply step's job summary."""
    lines = [f"## jhe-sync apply: {escape(status)}", "", escape(counts)]
    if pull:
        lines += ["", f"Reviewed in {pull}."]
    lines += [f"- {escape(note)}" for note in notes]
    return "\n".join(lines) + "\n"
