"""What each command is asked to do: the frozen requests the CLI builds from its flags,
and the terminal it lends a command to talk to the user through.

The boundary between ``cli`` and ``workflow``: the CLI parses flags into one of these
values and hands it over; ``workflow`` carries it out. Nothing here does anything, so
the CLI can build requests without importing the stages (which keeps ``--help`` fast),
and a test or an embedding program can build them without a command line.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from jhe_sync.plan.plan import SafetyPolicy
from jhe_sync.plan.render.formats import Format

ResultFormat = Literal["text", "json"]
"""How apply, export and invite report what they did: lines for people, or one JSON
document on stdout (``specs/RESULTS.md``) with the lines for people on stderr."""
RESULT_FORMATS: tuple[ResultFormat, ...] = ("text", "json")
ValidateFormat = Literal["text", "json", "github"]
"""How validate reports: lines for people, one JSON document (``specs/validate.schema.json``),
or GitHub Actions ``::error`` commands that annotate the pull request's files."""
VALIDATE_FORMATS: tuple[ValidateFormat, ...] = ("text", "json", "github")


class Echo(Protocol):
    """Writes a message (``click.echo``): to stderr with ``err``, without a newline
    without ``nl``."""

    def __call__(self, message: str = "", *, nl: bool = True, err: bool = False) -> None: ...


def _no_echo(message: str = "", *, nl: bool = True, err: bool = False) -> None:
    """Say nothing (a terminal nobody reads)."""


def _refuse(question: str) -> bool:
    return False


def _no_answer(question: str) -> str:
    return ""


def _no_progress(total: int) -> Callable[[object], None]:
    return lambda result: None


@contextlib.contextmanager
def _never_interrupted() -> Iterator[threading.Event]:
    yield threading.Event()


def _quiet(requests: Callable[[], int]) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Terminal:
    """How a command talks to the user. The CLI makes one for the terminal it runs in;
    the defaults say nothing, ask nothing and install no signal handler."""

    echo: Echo = _no_echo
    color: bool = False
    """ANSI colour in text output."""
    interactive: bool = False
    """Someone can answer a question (stdin and stdout are a terminal)."""
    confirm: Callable[[str], bool] = _refuse
    """Ask a yes/no question (default no)."""
    ask: Callable[[str], str] = _no_answer
    """Ask for a typed answer (default: none), for a question a single key must not settle."""
    progress: Callable[[int], Callable[[object], None]] = _no_progress
    """For an apply of N changes, what shows each change as it finishes."""
    interruptible: Callable[[], AbstractContextManager[threading.Event]] = _never_interrupted
    """While inside, an interrupt (Ctrl-C, SIGTERM) sets the event instead of killing
    the process: the apply lets the calls in flight finish and skips the rest."""
    activity: Callable[[Callable[[], int]], AbstractContextManager[None]] = _quiet
    """While inside, show how far a read of the exchange has got, from the count of
    requests made so far (the function given)."""


@dataclass(frozen=True)
class SpecFiles:
    """The spec files and variables a command reads (offline)."""

    paths: tuple[str, ...]
    variables: tuple[str, ...] = ()
    """``--var NAME=VALUE`` items, as given."""
    var_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connection:
    """Where the exchange is and how to talk to it (the secret comes from the environment)."""

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    insecure_http: bool = False
    parallelism: int = 8
    """Concurrent requests for per-study reads and independent studies' writes."""
    token_url: str | None = None
    """The token endpoint, when the exchange mounts OAuth elsewhere (same origin as ``url``)."""


@dataclass(frozen=True)
class Safeguards:
    """The destructive-change flags, as given; ``workflow`` checks the keys against the
    spec and makes the ``SafetyPolicy``."""

    allow_destroy: tuple[str, ...] = ()
    """Study keys; ``*`` (``--allow-destroy`` alone) for every study."""
    max_destroy: int = SafetyPolicy.max_destroy
    ignore_destroy_threshold: bool = False


@dataclass(frozen=True)
class ValidateRequest:
    spec: SpecFiles
    output_format: ValidateFormat = "text"


@dataclass(frozen=True)
class PlanRequest:
    spec: SpecFiles
    connection: Connection
    safeguards: Safeguards = Safeguards()
    output_format: Format = "text"
    targets: tuple[str, ...] = ()
    out: str | None = None
    """Save the plan there, for ``apply --plan``."""
    detailed_exitcode: bool = False


@dataclass(frozen=True)
class ShowRequest:
    plan_file: str
    output_format: Format = "text"


@dataclass(frozen=True)
class ApplyRequest:
    """Apply the spec (``spec``) or a saved plan (``plan_file``): exactly one is given."""

    connection: Connection
    spec: SpecFiles | None = None
    plan_file: str | None = None
    safeguards: Safeguards = Safeguards()
    targets: tuple[str, ...] = ()
    auto_approve: bool = False
    journal: str | None = None
    reviewed: str | None = None
    """A saved plan a reviewer saw (``--reviewed``): the fresh plan's destructive changes
    must all be among its own, whatever ``--allow-destroy`` says."""
    output_format: ResultFormat = "text"


@dataclass(frozen=True)
class ExportRequest:
    connection: Connection
    organizations: tuple[str | int, ...] = ()
    """Names, paths or ids."""
    study_ids: tuple[int, ...] = ()
    out_dir: str = "exported"
    include_patients: bool = True
    overwrite: bool = False
    output_format: ResultFormat = "text"


@dataclass(frozen=True)
class StatusRequest:
    spec: SpecFiles
    connection: Connection
    output_format: Format = "text"


@dataclass(frozen=True)
class DriftRequest:
    """How the exchange differs from ``spec``, and which side each difference came from:
    told against the same spec paths read under ``applied_root``, a checkout of the last
    applied commit (``applied_ref`` names it in the report). Without ``applied_root`` the
    sides are unknown."""

    spec: SpecFiles
    connection: Connection
    applied_root: str | None = None
    applied_ref: str = ""
    output_format: Format = "text"
    detailed_exitcode: bool = False
    keep_issue: str | None = None
    """Keep the one GitHub issue of the exchange called so (``GITHUB_*`` settings)."""


@dataclass(frozen=True)
class InviteRequest:
    spec: SpecFiles
    connection: Connection
    study_key: str
    client: str | int | None = None
    """A name or id; None: the study's only client."""
    patients: tuple[str, ...] = ()
    """Spec labels, emails, ``system|value`` or ``#id``; none: every enrolled patient."""
    send_email: bool = False
    show_links: bool = False
    output_format: ResultFormat = "text"
    yes: bool = False
    """Issue the links without asking (required without a terminal)."""


@dataclass(frozen=True)
class CiPlanRequest:
    """``jhe-sync ci plan``: the pull request's plan, saved and written up in ``out_dir``."""

    spec: SpecFiles
    connection: Connection
    out_dir: str
    name: str = "default"
    """Which exchange: names the comment's marker and the artifact."""
    label: str = "jhe-sync:allow-destroy"
    event: str | None = None
    """``GITHUB_EVENT_PATH``: the pull request, its head and labels."""


@dataclass(frozen=True)
class CiCommentRequest:
    """``jhe-sync ci comment``: keep the one plan comment of the pull request."""

    out_dir: str
    name: str = "default"
    event: str | None = None


@dataclass(frozen=True)
class CiReviewRequest:
    """``jhe-sync ci review``: what the pull request merged by ``sha`` reviewed."""

    sha: str
    out_dir: str
    name: str = "default"
    label: str = "jhe-sync:allow-destroy"


@dataclass(frozen=True)
class CiApplyRequest:
    """``jhe-sync ci apply``: apply what was reviewed (``ci review`` wrote it in ``out_dir``):
    a fresh plan held to the reviewed one (``fresh``), or the reviewed plan itself
    (``saved``)."""

    spec: SpecFiles
    connection: Connection
    out_dir: str
    source: str = "fresh"
    journal: str | None = None
