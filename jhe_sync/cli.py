"""The command line: parse the flags into a request, call one function, map errors to
exit codes; and the terminal's own concerns (logging, colour, prompts, progress lines,
Ctrl-C during an apply, the emulator's banner).

Each command imports what runs it (``workflow``, the emulator) when it runs, so that
``--help`` and ``--version`` do not load every stage; the requests are plain values
(``jhe_sync.commands``) and cost nothing to import.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from jhe_sync import __version__
from jhe_sync.commands import (
    RESULT_FORMATS,
    VALIDATE_FORMATS,
    ApplyRequest,
    CiApplyRequest,
    CiCommentRequest,
    CiPlanRequest,
    CiReviewRequest,
    Connection,
    DriftRequest,
    ExportRequest,
    InviteRequest,
    PlanRequest,
    ResultFormat,
    Safeguards,
    ShowRequest,
    SpecFiles,
    StatusRequest,
    Terminal,
    ValidateFormat,
    ValidateRequest,
)
from jhe_sync.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    JheSyncError,
)
from jhe_sync.plan.plan import SafetyPolicy
from jhe_sync.plan.render.formats import FORMATS, Format

F = TypeVar("F", bound=Callable[..., Any])


# Options are defined once and shared by the commands that take them; a group of them
# reaches the command as the one value it stands for (SpecFiles, Connection, Safeguards).


def _grouped(
    options: Sequence[Callable[[Any], Any]],
    keys: Sequence[str],
    name: str,
    build: Callable[..., object],
) -> Callable[[F], F]:
    """Decorate a command with ``options``; it receives ``build(**their values)`` as
    ``name`` instead of the values themselves (``keys``: their parameter names)."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            values = {key: kwargs.pop(key) for key in keys}
            return func(*args, **{name: build(**values)}, **kwargs)

        decorated: Any = command
        for option in reversed(options):
            decorated = option(decorated)
        return cast(F, decorated)

    return decorate


def spec_options(*, required: bool = True) -> Callable[[F], F]:
    """The spec PATHS (optional for apply, which may take --plan FILE instead) and the
    variables they are read with, as ``spec: SpecFiles``. Whether PATHS were given is
    checked by the command (``_require_paths``), not by click: an option that takes a
    value can swallow the path (``--allow-destroy studies/``), and the error must say so."""
    options = [
        click.argument(
            "paths",
            nargs=-1,
            required=False,
            type=click.Path(exists=True),
            metavar="PATHS..." if required else "[PATHS]...",
        ),
        click.option(
            "--var-file",
            "var_files",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False),
            help="YAML file of variables (repeatable; later files win).",
        ),
        click.option(
            "--var",
            "variables",
            multiple=True,
            metavar="NAME=VALUE",
            help="Set a spec variable (repeatable; later wins over --var-file).",
        ),
    ]

    def spec(paths: Sequence[str], variables: Sequence[str], var_files: Sequence[str]) -> SpecFiles:
        return SpecFiles(tuple(paths), tuple(variables), tuple(var_files))

    return _grouped(options, ("paths", "variables", "var_files"), "spec", spec)


def _connection(
    url: str | None,
    token: str | None,
    client_id: str | None,
    token_url: str | None,
    insecure_http: bool,
    parallelism: int,
    verbose: int,
) -> Connection:
    _configure_logging(verbose)
    context = click.get_current_context(silent=True)
    if token and context and context.get_parameter_source("token") is ParameterSource.COMMANDLINE:
        click.echo(
            "Warning: --token puts the token in your shell history and in the process list, "
            "where other users of this machine can read it; set JHE_TOKEN instead, or use "
            "JHE_CLIENT_ID and JHE_CLIENT_SECRET.",
            err=True,
        )
    return Connection(url, token, client_id, insecure_http, parallelism, token_url)


def connection_options(func: F) -> F:
    """Where the exchange is, the credentials, parallelism and -v, as ``connection``
    (-v sets up the request log on stderr)."""
    options = [
        click.option(
            "--url",
            envvar="JHE_URL",
            help="Exchange base URL, or 'local' / 'local:PATH' for the built-in emulator. [env: JHE_URL]",
        ),
        click.option(
            "--token",
            envvar="JHE_TOKEN",
            help="A bearer token. Prefer the JHE_TOKEN environment variable. [env: JHE_TOKEN]",
        ),
        click.option(
            "--client-id",
            envvar="JHE_CLIENT_ID",
            help="Practitioner API client id (its secret comes from JHE_CLIENT_SECRET). [env: JHE_CLIENT_ID]",
        ),
        click.option(
            "--token-url",
            envvar="JHE_TOKEN_URL",
            metavar="URL",
            help="Token endpoint, if the exchange mounts OAuth elsewhere than /o/ (same host). [env: JHE_TOKEN_URL]",
        ),
        click.option(
            "--insecure-http",
            is_flag=True,
            help="Allow a plain http:// URL to a host other than this machine.",
        ),
        click.option(
            "--parallelism",
            type=click.IntRange(1, 64),
            default=8,
            show_default=True,
            help="Concurrent requests for per-study reads and independent studies' writes.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            help="Log each request to stderr: method, path, status, time (-vv: also each "
            "answer's size, retries and their waits, token refreshes).",
        ),
    ]
    keys = ("url", "token", "client_id", "token_url", "insecure_http", "parallelism", "verbose")
    return _grouped(options, keys, "connection", _connection)(func)


def color_option(func: F) -> F:
    return click.option(
        "--color/--no-color",
        "color",
        default=None,
        help="Colour the text output, or not [default: on a terminal, unless NO_COLOR is set "
        "or TERM=dumb].",
    )(func)


def _complete_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of ``--target`` and ``--allow-destroy``: the keys of the spec at
    the PATHS already typed (nothing when they cannot be read)."""
    from jhe_sync import workflow

    # While an option still waits for its value, click leaves the words before it unparsed.
    paths = ctx.params.get("paths") or tuple(a for a in ctx.args if os.path.exists(a))
    keys = workflow.spec_keys(
        SpecFiles(
            tuple(paths),
            tuple(ctx.params.get("variables") or ()),
            tuple(ctx.params.get("var_files") or ()),
        )
    )
    return [click.shell_completion.CompletionItem(k) for k in keys if k.startswith(incomplete)]


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default=FORMATS[0],
        show_default=True,
        help="Output format.",
    )(func)


def result_format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(RESULT_FORMATS),
        default=RESULT_FORMATS[0],
        show_default=True,
        help="text, or json: one document on stdout (specs/RESULTS.md), the rest on stderr.",
    )(func)


def target_option(func: F) -> F:
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="KEY",
        shell_complete=_complete_keys,
        help="Limit the plan to these study keys (repeatable).",
    )(func)


def safety_options(func: F) -> F:
    """The destructive-change flags, as ``safeguards: Safeguards``."""
    options = [
        click.option(
            "--allow-destroy",
            "allow_destroy",
            multiple=True,
            is_flag=False,
            flag_value="*",
            metavar="[KEY]",
            shell_complete=_complete_keys,
            help="Allow destructive changes: alone for all studies, or with a study key (repeatable).",
        ),
        click.option(
            "--max-destroy",
            type=click.IntRange(0),
            default=SafetyPolicy.max_destroy,
            show_default=True,
            help="Refuse a plan with more destructive changes than this (patients count one each).",
        ),
        click.option(
            "--ignore-destroy-threshold",
            is_flag=True,
            help="Apply even when the plan destroys more than --max-destroy or a quarter of what it manages.",
        ),
    ]
    keys = ("allow_destroy", "max_destroy", "ignore_destroy_threshold")
    return _grouped(options, keys, "safeguards", _safeguards)(func)


# -- from flags to requests -------------------------------------------------------------


def _safeguards(
    allow_destroy: Sequence[str], max_destroy: int, ignore_destroy_threshold: bool
) -> Safeguards:
    return Safeguards(tuple(allow_destroy), max_destroy, ignore_destroy_threshold)


def _name_or_id(ref: str) -> str | int:
    return int(ref) if ref.isdigit() else ref


def _require_paths(
    paths: Sequence[str], missing: str = "give spec PATHS", **swallowing: Sequence[str]
) -> None:
    """PATHS must be given; when an option that takes a value took the path instead
    (``--allow-destroy studies/``: the option's value is optional, so it takes the next
    word), say so rather than only that PATHS are missing."""
    if paths:
        return
    for flag, values in swallowing.items():
        for value in values:
            if _looks_like_a_path(value):
                option = "--" + flag.replace("_", "-")
                raise click.UsageError(
                    f"{option} took {value!r} as a study key, so no spec PATHS were given; "
                    f"put the PATHS first (jhe-sync ... {value} {option} KEY), or write "
                    f"{option}=KEY"
                )
    raise click.UsageError(missing)


def _looks_like_a_path(value: str) -> bool:
    """A study key has no ``/`` and is rarely a file name; a path usually has or is one."""
    return (
        "/" in value
        or os.sep in value
        or value.endswith((".yaml", ".yml"))
        or os.path.exists(value)
    )


# -- the commands -----------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="jhe-sync")
def cli() -> None:
    """Keep JupyterHealth Exchange studies in YAML: validate, plan and apply them.

    Point it at an exchange with JHE_URL and JHE_CLIENT_ID / JHE_CLIENT_SECRET
    (or JHE_TOKEN), or try it with --url local, a built-in emulator.
    """


@cli.command()
@spec_options()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(VALIDATE_FORMATS),
    default=VALIDATE_FORMATS[0],
    show_default=True,
    help="text; json: one document on stdout, every problem with file, line, column, path "
    "and message; github: ::error lines that annotate a pull request's files.",
)
def validate(spec: SpecFiles, output_format: ValidateFormat) -> None:
    """Check spec files offline: syntax, schema, templates, variables."""
    _require_paths(spec.paths)
    request = ValidateRequest(spec, output_format)
    from jhe_sync import workflow

    sys.exit(workflow.validate_command(_terminal(), request))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of spec files."""
    from jhe_sync import workflow

    click.echo(workflow.schema_text(), nl=False)


@cli.command()
@spec_options()
@connection_options
@format_option
@color_option
@target_option
@safety_options
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True), help="Save the plan for apply --plan."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes (0: none, 1: error, 3: refused by a safeguard).",
)
def plan(
    spec: SpecFiles,
    connection: Connection,
    output_format: Format,
    color: bool | None,
    targets: Sequence[str],
    safeguards: Safeguards,
    out: str | None,
    detailed_exitcode: bool,
) -> None:
    """Show the calls that would bring the exchange to what the spec says."""
    _require_paths(spec.paths, allow_destroy=safeguards.allow_destroy, target=targets)
    request = PlanRequest(
        spec=spec,
        connection=connection,
        safeguards=safeguards,
        output_format=output_format,
        targets=tuple(targets),
        out=out,
        detailed_exitcode=detailed_exitcode,
    )
    from jhe_sync import workflow

    sys.exit(workflow.plan_command(_terminal(color), request))


@cli.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@format_option
@color_option
def show(plan_file: str, output_format: Format, color: bool | None) -> None:
    """Show a saved plan."""
    from jhe_sync import workflow

    sys.exit(workflow.show_command(_terminal(color), ShowRequest(plan_file, output_format)))


@cli.command()
@spec_options(required=False)
@connection_options
@result_format_option
@color_option
@target_option
@safety_options
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Apply a saved plan (from plan --out) after checking it is still current.",
)
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Do not ask for confirmation (required without a terminal).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False),
    help="Append one JSON line per write to this file.",
)
@click.option(
    "--reviewed",
    "reviewed",
    type=click.Path(exists=True, dir_okay=False),
    metavar="PLAN_FILE",
    help="A saved plan a reviewer saw: refuse every destructive change it does not hold.",
)
def apply(
    spec: SpecFiles,
    connection: Connection,
    output_format: ResultFormat,
    color: bool | None,
    targets: Sequence[str],
    safeguards: Safeguards,
    plan_file: str | None,
    auto_approve: bool,
    journal: str | None,
    reviewed: str | None,
) -> None:
    """Make the planned calls, refusing destructive changes nobody allowed."""
    if not plan_file:
        _require_paths(
            spec.paths,
            "give spec PATHS, or --plan FILE",
            allow_destroy=safeguards.allow_destroy,
            target=targets,
        )
    if plan_file and reviewed:
        raise click.UsageError(
            "--reviewed compares a fresh plan of the spec PATHS with a reviewed one; a saved "
            "plan (--plan) is applied as it was reviewed, so give one or the other"
        )
    if plan_file and (spec.paths or spec.variables or spec.var_files):
        raise click.UsageError(
            "--plan FILE applies a saved plan as it was made: give no spec PATHS, --var or --var-file"
        )
    request = ApplyRequest(
        connection=connection,
        spec=spec if spec.paths else None,
        plan_file=plan_file,
        safeguards=safeguards,
        targets=tuple(targets),
        auto_approve=auto_approve,
        journal=journal,
        output_format=output_format,
        reviewed=reviewed,
    )
    from jhe_sync import workflow

    terminal = _terminal(color, to_stderr=output_format == "json")
    sys.exit(workflow.apply_command(terminal, request))


@cli.command()
@connection_options
@result_format_option
@click.option(
    "--organization",
    "organizations",
    multiple=True,
    metavar="REF",
    help="Export the studies of this organization (name, id or path; repeatable).",
)
@click.option(
    "--study",
    "study_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="Export this study (repeatable).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="exported",
    show_default=True,
    help="Folder for the spec files (one per organization).",
)
@click.option(
    "--no-patients", is_flag=True, help="Leave enrollments out (unmanaged): no emails in the files."
)
@click.option("--overwrite", is_flag=True, help="Replace spec files that already exist in --out.")
def export(
    connection: Connection,
    output_format: ResultFormat,
    organizations: Sequence[str],
    study_ids: Sequence[int],
    out_dir: str,
    no_patients: bool,
    overwrite: bool,
) -> None:
    """Write the live studies you can see as spec files, with pinned ids."""
    request = ExportRequest(
        connection=connection,
        organizations=tuple(_name_or_id(ref) for ref in organizations),
        study_ids=tuple(study_ids),
        out_dir=out_dir,
        include_patients=not no_patients,
        overwrite=overwrite,
        output_format=output_format,
    )
    from jhe_sync import workflow

    sys.exit(workflow.export_command(_terminal(), request))


@cli.command()
@spec_options()
@connection_options
@format_option
def status(
    spec: SpecFiles,
    connection: Connection,
    output_format: Format,
) -> None:
    """Report enrollment, consent and data upload for each study in the spec."""
    _require_paths(spec.paths)
    request = StatusRequest(
        spec=spec,
        connection=connection,
        output_format=output_format,
    )
    from jhe_sync import workflow

    sys.exit(workflow.status_command(_terminal(), request))


@cli.command()
@spec_options()
@connection_options
@format_option
@click.option(
    "--applied-root",
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help="A checkout of the last applied commit: the same spec paths are read under it, to "
    "tell changes made on the exchange from spec changes not applied yet.",
)
@click.option(
    "--applied-ref",
    default="",
    metavar="REF",
    help="How the report names that commit (its sha or tag).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 while the exchange differs from the spec (0: they agree, 1: error).",
)
@click.option(
    "--keep-issue",
    metavar="NAME",
    help="In GitHub Actions: keep one open issue for the exchange called NAME with the report "
    "while it differs, closed when they agree (GITHUB_TOKEN with issues: write).",
)
def drift(
    spec: SpecFiles,
    connection: Connection,
    output_format: Format,
    applied_root: str | None,
    applied_ref: str,
    detailed_exitcode: bool,
    keep_issue: str | None,
) -> None:
    """Show how the exchange differs from the spec, and which side each difference came from."""
    request = DriftRequest(
        spec=spec,
        connection=connection,
        applied_root=applied_root,
        applied_ref=applied_ref,
        output_format=output_format,
        detailed_exitcode=detailed_exitcode,
        keep_issue=keep_issue,
    )
    from jhe_sync import workflow

    sys.exit(workflow.drift_command(_terminal(), request))


@cli.command()
@spec_options()
@connection_options
@result_format_option
@click.option(
    "--study", "study_key", required=True, metavar="KEY", help="The study's key in the spec."
)
@click.option("--client", metavar="NAME", help="The app to invite through (a client of the study).")
@click.option(
    "--patient",
    "patients",
    multiple=True,
    metavar="REF",
    help="Invite only this enrolled patient (spec label, email or #id; repeatable).",
)
@click.option(
    "--send-email", is_flag=True, help="Ask the exchange to email the invitation to the patient."
)
@click.option(
    "--show-links", is_flag=True, help="Print the invitation links (they are credentials)."
)
@click.option(
    "--yes",
    is_flag=True,
    help="Issue the links without asking (required without a terminal, as in a script).",
)
def invite(
    spec: SpecFiles,
    connection: Connection,
    output_format: ResultFormat,
    study_key: str,
    client: str | None,
    patients: Sequence[str],
    send_email: bool,
    show_links: bool,
    yes: bool,
) -> None:
    """Create invitation links for a study's enrolled patients (not part of plan/apply).

    Each new link replaces the patient's earlier one for that client, which then no
    longer works: give --send-email or --show-links, and answer the question (or --yes).
    """
    _require_paths(spec.paths)
    request = InviteRequest(
        spec=spec,
        connection=connection,
        study_key=study_key,
        client=_name_or_id(client) if client else None,
        patients=tuple(patients),
        send_email=send_email,
        show_links=show_links,
        output_format=output_format,
        yes=yes,
    )
    from jhe_sync import workflow

    # With --format json the question goes to stderr: stdout holds only the document.
    sys.exit(workflow.invite_command(_terminal(to_stderr=output_format == "json"), request))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--db",
    default=":memory:",
    show_default=True,
    help="SQLite file (kept between runs) or :memory:.",
)
@click.option(
    "--latency-ms", type=click.FloatRange(0), default=0.0, help="Added latency per request."
)
@click.option(
    "--fail-before-commit",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of writes answered 500, not written.",
)
@click.option(
    "--fail-after-commit",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of writes answered 500 after writing.",
)
@click.option(
    "--rate-limit", type=click.FloatRange(0, 1), default=0.0, help="Share of requests answered 429."
)
@click.option(
    "--drop",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of requests dropped unanswered, not written.",
)
@click.option(
    "--drop-after-commit",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of writes dropped unanswered after writing.",
)
@click.option(
    "--retry-after",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Retry-After seconds sent with a 429.",
)
@click.option(
    "--fault-seed", type=int, default=0, show_default=True, help="Seed of the fault sequence."
)
def emulator(
    host: str,
    port: int,
    db: str,
    latency_ms: float,
    fail_before_commit: float,
    fail_after_commit: float,
    rate_limit: float,
    drop: float,
    drop_after_commit: float,
    retry_after: float,
    fault_seed: int,
) -> None:
    """Serve a local JupyterHealth Exchange emulator over HTTP, for trying things out."""
    from jhe_sync.emulator import SEED_PASSWORD, FaultConfig, seeded_credentials
    from jhe_sync.local import serve_emulator

    faults = FaultConfig(
        latency_ms=latency_ms,
        error_before_commit=fail_before_commit,
        error_after_commit=fail_after_commit,
        rate_limit=rate_limit,
        drop=drop,
        drop_after_commit=drop_after_commit,
        retry_after=retry_after,
        seed=fault_seed,
    )

    def banner(bound_host: str, bound_port: int) -> None:
        click.echo(
            f"JupyterHealth Exchange emulator on http://{bound_host}:{bound_port} (database: {db})"
        )
        click.echo(f"API clients of the seeded users (secret for all: {SEED_PASSWORD}):")
        for seeded_id, email, role in seeded_credentials():
            click.echo(f"  {seeded_id:<24} {email:<36} {role}")
        click.echo(
            f"Try: JHE_URL=http://{bound_host}:{bound_port} JHE_CLIENT_ID=manager_mary JHE_CLIENT_SECRET='{SEED_PASSWORD}' jhe-sync plan examples/quickstart"
        )
        click.echo("Ctrl-C stops it.")

    _log_emulator_requests_to_stderr()
    serve_emulator(host=host, port=port, db=db, faults=faults, ready=banner)


# -- jhe-sync ci: the steps of the GitHub Action ------------------------------------------


@cli.group()
def ci() -> None:
    """The steps of the jhe-sync GitHub Action (action.yml): one command per step, each
    needing one secret. Steps hand files to each other in --out-dir."""


def _lines(text: str | None) -> tuple[str, ...]:
    """A multi-line action input (one item a line, blank lines ignored)."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _ci_spec(specs: str | None, var_files: str | None, variables: str | None) -> SpecFiles:
    paths = _lines(specs)
    if not paths:
        raise click.UsageError("give the spec paths with --specs (one a line) or JHE_SYNC_SPECS")
    for path in (*paths, *_lines(var_files)):
        if not os.path.exists(path):
            raise click.UsageError(f"{path}: no such file or folder")
    return SpecFiles(paths, _lines(variables), _lines(var_files))


def ci_spec_options(func: F) -> F:
    options = [
        click.option(
            "--specs",
            envvar="JHE_SYNC_SPECS",
            metavar="LINES",
            help="Spec files or folders, one a line. [env: JHE_SYNC_SPECS]",
        ),
        click.option(
            "--var-files",
            envvar="JHE_SYNC_VAR_FILES",
            metavar="LINES",
            help="Variable files, one a line. [env: JHE_SYNC_VAR_FILES]",
        ),
        click.option(
            "--vars",
            envvar="JHE_SYNC_VARS",
            metavar="LINES",
            help="NAME=VALUE spec variables, one a line. [env: JHE_SYNC_VARS]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def ci_common_options(func: F) -> F:
    options = [
        click.option(
            "--out-dir",
            envvar="JHE_SYNC_OUT_DIR",
            default="jhe-sync-ci",
            show_default=True,
            help="Where the steps leave files for each other. [env: JHE_SYNC_OUT_DIR]",
        ),
        click.option(
            "--name",
            envvar="JHE_SYNC_NAME",
            default="default",
            show_default=True,
            help="Which exchange (for several per repository): names the comment and the "
            "artifact. [env: JHE_SYNC_NAME]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _label_option(func: F) -> F:
    return click.option(
        "--label",
        envvar="JHE_SYNC_ALLOW_DESTROY_LABEL",
        default="jhe-sync:allow-destroy",
        show_default=True,
        help="The pull-request label that allows its reviewed destructive changes.",
    )(func)


@ci.command("plan")
@ci_spec_options
@connection_options
@ci_common_options
@_label_option
def ci_plan(
    specs: str | None,
    var_files: str | None,
    vars: str | None,
    connection: Connection,
    out_dir: str,
    name: str,
    label: str,
) -> None:
    """Plan mode, with the exchange's credentials: plan, save the plan, write the comment."""
    request = CiPlanRequest(
        spec=_ci_spec(specs, var_files, vars),
        connection=connection,
        out_dir=out_dir,
        name=name,
        label=label,
        event=os.environ.get("GITHUB_EVENT_PATH"),
    )
    from jhe_sync.ci import steps

    sys.exit(steps.ci_plan_command(_terminal(), request))


@ci.command("comment")
@ci_common_options
def ci_comment(out_dir: str, name: str) -> None:
    """Plan mode, with GITHUB_TOKEN: keep the one plan comment of the pull request."""
    request = CiCommentRequest(
        out_dir=out_dir, name=name, event=os.environ.get("GITHUB_EVENT_PATH")
    )
    from jhe_sync.ci import steps

    sys.exit(steps.ci_comment_command(_terminal(), request))


@ci.command("review")
@ci_common_options
@_label_option
@click.option(
    "--sha", envvar="GITHUB_SHA", required=True, help="The pushed commit. [env: GITHUB_SHA]"
)
def ci_review(out_dir: str, name: str, label: str, sha: str) -> None:
    """Apply mode, with GITHUB_TOKEN: the pull request the commit merged, its labels when
    merged, and its saved plan."""
    request = CiReviewRequest(sha=sha, out_dir=out_dir, name=name, label=label)
    from jhe_sync.ci import steps

    sys.exit(steps.ci_review_command(_terminal(), request))


@ci.command("apply")
@ci_spec_options
@connection_options
@ci_common_options
@click.option(
    "--source",
    envvar="JHE_SYNC_PLAN_SOURCE",
    type=click.Choice(["fresh", "saved"]),
    default="fresh",
    show_default=True,
    help="fresh: plan the merged spec, destructive changes held to the reviewed plan; "
    "saved: apply the reviewed plan itself (refused once stale).",
)
@click.option("--journal", type=click.Path(dir_okay=False), help="Append one JSON line per write.")
def ci_apply(
    specs: str | None,
    var_files: str | None,
    vars: str | None,
    connection: Connection,
    out_dir: str,
    name: str,
    source: str,
    journal: str | None,
) -> None:
    """Apply mode, with the exchange's credentials: apply what the pull request reviewed."""
    spec = _ci_spec(specs, var_files, vars) if source == "fresh" else SpecFiles(())
    request = CiApplyRequest(
        spec=spec, connection=connection, out_dir=out_dir, source=source, journal=journal
    )
    from jhe_sync.ci import steps

    sys.exit(steps.ci_apply_command(_terminal(to_stderr=True), request))


# -- the terminal -----------------------------------------------------------------------


def _terminal(color: bool | None = None, *, to_stderr: bool = False) -> Terminal:
    """The terminal this process runs in; ``color``: ``--color``/``--no-color`` (None:
    decide from the environment); ``to_stderr``: stdout holds a JSON document, so the
    prompt and the progress lines go to stderr (and colour and questions depend on
    stderr being a terminal)."""
    colour = _color(color, _stderr_is_a_terminal() if to_stderr else _stdout_is_a_terminal())
    return Terminal(
        # click.echo keeps or strips ANSI codes as told, so colour is exactly this decision.
        echo=functools.partial(click.echo, color=colour),
        color=colour,
        interactive=_on_a_terminal(to_stderr),
        confirm=lambda question: click.confirm(question, default=False, err=to_stderr),
        ask=lambda question: str(
            click.prompt(question, default="", show_default=False, err=to_stderr)
        ),
        progress=functools.partial(_Progress, err=to_stderr),
        interruptible=_stop_on_signals,
        # With -v the request log already shows each request: no live line under it.
        activity=functools.partial(
            _Activity, live=_stderr_is_a_terminal() and not _logging_requests()
        ),
    )


def _color(asked: bool | None, on_a_terminal: bool) -> bool:
    """Colour when asked (``--color``), never when refused (``--no-color``); otherwise on a
    terminal, unless NO_COLOR is set to something (no-color.org: an empty NO_COLOR does
    not count) or the terminal says it cannot (TERM=dumb)."""
    if asked is not None:
        return asked
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return on_a_terminal


def _logging_requests() -> bool:
    """Whether -v set up the request log on stderr (for this process's command)."""
    return any(getattr(h, "jhe_sync_cli", False) for h in logging.getLogger("jhe_sync").handlers)


def _stdout_is_a_terminal() -> bool:
    return sys.stdout.isatty()


def _stderr_is_a_terminal() -> bool:
    return sys.stderr.isatty()


def _on_a_terminal(to_stderr: bool = False) -> bool:
    """Someone can answer a question: stdin is a terminal, and so is where the question
    is shown (stdout, or stderr when stdout holds a JSON document)."""
    shown = _stderr_is_a_terminal() if to_stderr else _stdout_is_a_terminal()
    return sys.stdin.isatty() and shown


class _Progress:
    """One line per finished change, counted (``[3/40] done ...``), from any thread. A
    change an interrupt kept from starting gets no line: the summary counts them."""

    def __init__(self, total: int, *, err: bool = False) -> None:
        self.total = total
        self.finished = 0
        self.err = err
        self._lock = threading.Lock()

    def __call__(self, result: object) -> None:
        with self._lock:
            self.finished += 1
            if not getattr(result, "not_started", False):
                click.echo(f"[{self.finished}/{self.total}] {result}", err=self.err)


ACTIVITY_EVERY = 100
"""Without a terminal (a CI log), one line each time this many more requests were made."""

ACTIVITY_DELAY = 1.0
"""Seconds before a terminal shows the live line (a quick read shows nothing)."""


class _Activity:
    """While a command reads the exchange, say how far it got: on a terminal one line on
    stderr, rewritten in place and erased at the end; in a log, a line per
    ``ACTIVITY_EVERY`` requests and one with the total at the end. A real exchange
    answers a plan of hundreds of studies in minutes, and silence that long looks like
    a hang."""

    def __init__(
        self, requests: Callable[[], int], *, live: bool, delay: float = ACTIVITY_DELAY
    ) -> None:
        self.requests = requests
        self.live = live
        self.delay = delay
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="jhe-activity", daemon=True)
        self._shown = False
        self._reported = 0

    def __enter__(self) -> None:
        self._started = time.monotonic()
        self._base = self.requests()
        self._thread.start()

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
        if self.live:
            if self._shown:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
        elif self._reported or self._count() >= ACTIVITY_EVERY:
            click.echo(f"{self._line()} in all", err=True)

    def _count(self) -> int:
        return self.requests() - self._base

    def _line(self) -> str:
        elapsed = time.monotonic() - self._started
        return f"jhe-sync: {self._count()} requests to the exchange, {elapsed:.0f} s"

    def _watch(self) -> None:
        while not self._done.wait(0.25):
            if self.live:
                if time.monotonic() - self._started >= self.delay:
                    sys.stderr.write(f"\r{self._line()}\x1b[K")
                    sys.stderr.flush()
                    self._shown = True
            elif self._count() // ACTIVITY_EVERY > self._reported:
                self._reported = self._count() // ACTIVITY_EVERY
                click.echo(f"{self._line()} so far", err=True)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM ask the apply to stop after the call in flight, instead of killing it."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _configure_logging(verbosity: int) -> None:
    if not verbosity:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("jhe_sync")
    # One handler, however often main() runs in a process (tests, embedding).
    for old in [h for h in logger.handlers if getattr(h, "jhe_sync_cli", False)]:
        logger.removeHandler(old)
    handler.jhe_sync_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
    # With --url local the emulator answers in process; its own request log would
    # repeat every line of the client's, so it speaks only from -vv on.
    emulator_level = logging.WARNING if verbosity == 1 else logging.DEBUG
    logging.getLogger("jhe_sync.emulator").setLevel(emulator_level)


def _log_emulator_requests_to_stderr() -> None:
    """The emulator server shows each request it answers (method, path, status)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("jhe_sync.emulator")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI; errors become one readable message and an exit code."""
    debug = bool(os.environ.get("JHE_SYNC_DEBUG"))
    try:
        # The name, not the one click guesses from how Python was started: the shell
        # completion variable (_JHE_SYNC_COMPLETE) and the usage lines depend on it.
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="jhe-sync",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        # Usage errors exit 1, never click's 2: 2 means "changes" with --detailed-exitcode.
        error.show()
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except JheSyncError as error:
        if debug:
            raise
        click.echo(f"Error: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:
        if debug:
            raise
        click.echo(
            f"Error: unexpected {type(error).__name__}: {error}\n"
            "This is a bug in jhe-sync; rerun with JHE_SYNC_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


__all__ = ["EXIT_CHANGES", "ConfigError", "cli", "main"]
