"""What each command does, step by step: the glue between the CLI and the library.

The CLI hands parsed options here; these functions call load, read, plan, safety and
apply in order and return an exit code. They write to the user only through the
``Context`` the CLI gives them, so tests can run them without a terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

import click

from jhe_sync.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    SafetyRefusal,
)
from jhe_sync.plan.diff import is_unlisted_study_key
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.spec.models import Desired


@dataclass
class Context:
    """How a command talks to the user."""

    color: bool = False
    interactive: bool = False
    echo: Callable[..., None] = click.echo
    confirm: Callable[..., bool] | None = None


def parse_variables(items: Sequence[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` items as a dict; a missing ``=`` is a usage error."""
    variables: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--var {item!r}: expected NAME=VALUE")
        variables[name.strip()] = value
    return variables


def load(paths: Sequence[str], variables: Sequence[str], var_files: Sequence[str]) -> Desired:
    """Load, expand and validate the spec files (offline)."""
    from jhe_sync.spec import load_desired

    return load_desired(
        list(paths), parse_variables(variables), list(var_files), environ=dict(os.environ)
    )


def schema_text() -> str:
    from jhe_sync.spec import json_schema_text

    return json_schema_text()


def policy_from(options: dict[str, Any], desired: Desired | None) -> SafetyPolicy:
    """The safeguards as the flags set them. ``--allow-destroy KEY`` must name a study."""
    allowed = tuple(options.get("allow_destroy") or ())
    keys = frozenset(k for k in allowed if k != "*")
    if desired is not None:
        known = {s.key for s in desired.studies}
        unknown = sorted(k for k in keys - known if not is_unlisted_study_key(k))
        if unknown:
            raise ConfigError(
                f"--allow-destroy {unknown[0]!r} names no study key in the spec "
                f"(known: {', '.join(sorted(known)) or 'none'}). To allow every destructive "
                "change, give --allow-destroy alone, after the spec paths."
            )
    return SafetyPolicy(
        allow_destroy_all="*" in allowed,
        allow_destroy_keys=keys,
        max_destroy=options.get("max_destroy", SafetyPolicy.max_destroy),
        ignore_threshold=bool(options.get("ignore_destroy_threshold")),
    )


@contextlib.contextmanager
def exchange_from(options: dict[str, Any]) -> Iterator[Any]:
    """Open the exchange the flags and environment name; closed on exit."""
    from jhe_sync.local import open_exchange

    with open_exchange(
        url=options.get("url"),
        token=options.get("token"),
        client_id=options.get("client_id"),
        client_secret=os.environ.get("JHE_CLIENT_SECRET"),
        allow_insecure_http=bool(options.get("insecure_http")),
    ) as exchange:
        yield exchange


def make_plan(exchange: Any, desired: Desired, parallelism: int) -> Plan:
    """Read what the spec needs, then plan in one pass: the plan has the snapshot stage
    read what the impact of destruction needs (enrollments of studies to delete,
    consents of the patients touched) before it computes the impact, once."""
    from functools import partial

    from jhe_sync.plan.build import build_plan
    from jhe_sync.snapshot import read_consents, read_enrollment_sets, read_live

    return build_plan(
        desired,
        read_live(exchange, desired, parallelism=parallelism),
        read_enrollments=partial(read_enrollment_sets, exchange, parallelism=parallelism),
        read_consents=partial(read_consents, exchange, parallelism=parallelism),
    )


def render(
    plan: Plan,
    output_format: str,
    stream: TextIO,
    color: bool,
    refusals: Sequence[str] | None = None,
) -> None:
    from jhe_sync.plan.render.formats import RenderOptions
    from jhe_sync.plan.render.formats import render as render_plan

    options = RenderOptions(color=color, refusals=tuple(refusals) if refusals is not None else None)
    render_plan(plan, stream, output_format, options)


def plan_command(ctx: Context, options: dict[str, Any]) -> int:
    desired = load(options["paths"], options["variables"], options["var_files"])
    policy = policy_from(options, desired)
    _check_writable(options.get("out"), "--out")
    with exchange_from(options) as exchange:
        plan = make_plan(exchange, desired, options["parallelism"])
    if options["targets"]:
        plan = _targeted(plan, desired, options["targets"])
    refusals = plan.refusals(policy)
    if options.get("out"):
        from jhe_sync.plan.serialize import save_plan

        with _open_output(options["out"], "--out", "w") as stream:
            save_plan(plan, stream)
    out = io.StringIO()
    render(plan, options["output_format"], out, ctx.color, refusals)
    ctx.echo(out.getvalue(), nl=False)
    if options.get("detailed_exitcode"):
        if refusals:
            return SafetyRefusal.exit_code
        return EXIT_CHANGES if not plan.empty else EXIT_OK
    return EXIT_OK


def _check_writable(path: str | None, flag: str) -> None:
    """Refuse an output file whose folder does not exist before anything is read."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ConfigError(f"{flag} {path}: the folder {folder} does not exist")


def _open_output(path: str, flag: str, mode: str) -> IO[str]:
    _check_writable(path, flag)
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{flag} {path}: {error.strerror or error}") from None


def _targeted(plan: Plan, desired: Desired | None, targets: Sequence[str]) -> Plan:
    """``--target`` keys must be spec keys (or ``id:N`` of a study the plan prunes); for a
    saved plan, the keys its changes name."""
    known = {c.study_key for c in plan.changes}
    if desired is not None:
        known |= {s.key for s in desired.studies}
    unknown = sorted(set(targets) - known)
    if unknown:
        raise ConfigError(
            f"--target {unknown[0]!r} names no study key in the spec "
            f"(known: {', '.join(sorted(known)) or 'none'})"
        )
    return plan.filtered(targets)


def show_command(ctx: Context, plan_file: str, output_format: str) -> None:
    from jhe_sync.plan.serialize import load_plan

    with open(plan_file, encoding="utf-8") as stream:
        plan = load_plan(stream)
    out = io.StringIO()
    render(plan, output_format, out, ctx.color)
    ctx.echo(out.getvalue(), nl=False)


def apply_command(ctx: Context, options: dict[str, Any]) -> int:
    from jhe_sync.apply import apply_plan, check_fresh
    from jhe_sync.plan.serialize import load_plan

    desired: Desired | None = None
    if options["plan_file"]:
        with open(options["plan_file"], encoding="utf-8") as stream:
            saved = load_plan(stream)
    else:
        desired = load(options["paths"], options["variables"], options["var_files"])
    policy = policy_from(options, desired)
    if not options["auto_approve"] and not ctx.interactive:
        raise ConfigError("apply needs --auto-approve when it cannot ask (no terminal), as in CI")

    _check_writable(options.get("journal"), "--journal")
    with exchange_from(options) as exchange:
        if desired is not None:
            plan = make_plan(exchange, desired, options["parallelism"])
            if options["targets"]:
                plan = _targeted(plan, desired, options["targets"])
        else:
            plan = saved
            if options["targets"]:
                plan = _targeted(plan, None, options["targets"])
            check_fresh(exchange, plan, parallelism=options["parallelism"])
        out = io.StringIO()
        render(plan, "text", out, ctx.color, plan.refusals(policy))
        ctx.echo(out.getvalue(), nl=False)
        plan.raise_if_unsafe(policy)
        if plan.empty:
            return EXIT_OK
        if not options["auto_approve"]:
            assert ctx.confirm is not None
            if not ctx.confirm("Apply these changes?", default=False):
                ctx.echo("Nothing applied.")
                return EXIT_ERROR
        stop = threading.Event()
        with contextlib.ExitStack() as stack:
            journal = (
                stack.enter_context(_open_output(options["journal"], "--journal", "a"))
                if options.get("journal")
                else None
            )
            stack.enter_context(_stop_on_signals(stop))
            result = apply_plan(
                exchange,
                plan,
                policy,
                parallelism=options["parallelism"],
                journal=journal,
                on_progress=_Progress(ctx, len(plan.changes)),
                stop=stop,
            )
    error = result.error()
    if error is None:
        ctx.echo(result.summary())
    else:
        ctx.echo(f"Error: {error}", err=True)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_ERROR


class _Progress:
    """One line per finished change, counted (``[3/40] done ...``), from any thread."""

    def __init__(self, ctx: Context, total: int) -> None:
        self.ctx = ctx
        self.total = total
        self.finished = 0
        self._lock = threading.Lock()

    def __call__(self, result: Any) -> None:
        with self._lock:
            self.finished += 1
            self.ctx.echo(f"[{self.finished}/{self.total}] {result}")


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM ask the apply to stop after the call in flight, instead of killing it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def export_command(ctx: Context, options: dict[str, Any]) -> int:
    """Export live studies as spec files, with the JSON Schema beside them for editors."""
    from jhe_sync.lifecycle import export_specs, write_export

    with exchange_from(options) as exchange:
        files = export_specs(
            exchange,
            organizations=[_name_or_id(ref) for ref in options["organizations"]],
            study_ids=options["study_ids"],
            include_patients=not options["no_patients"],
            parallelism=options["parallelism"],
            schema_url=f"./{SCHEMA_FILE}",
        )
    if not files:
        ctx.echo("Nothing to export: no studies visible with these credentials and filters.")
        return EXIT_OK
    files = {**files, SCHEMA_FILE: schema_text()}
    written = write_export(files, options["out_dir"], overwrite=options["overwrite"])
    for path in written:
        ctx.echo(f"wrote {path}")
    return EXIT_OK


SCHEMA_FILE = "jhe-sync.schema.json"


def _name_or_id(ref: str) -> str | int:
    return int(ref) if ref.isdigit() else ref


def status_command(ctx: Context, options: dict[str, Any]) -> int:
    from jhe_sync.lifecycle import render_status, study_status

    desired = load(options["paths"], options["variables"], options["var_files"])
    with exchange_from(options) as exchange:
        report = study_status(exchange, desired, parallelism=options["parallelism"])
    out = io.StringIO()
    render_status(report, out, options["output_format"])
    ctx.echo(out.getvalue(), nl=False)
    return EXIT_OK


def invite_command(ctx: Context, options: dict[str, Any]) -> int:
    from jhe_sync.lifecycle import invite_patients, render_invites

    desired = load(options["paths"], options["variables"], options["var_files"])
    client = options["client"]
    with exchange_from(options) as exchange:
        results = invite_patients(
            exchange,
            desired,
            options["study_key"],
            client=_name_or_id(client) if client else None,
            patients=options["patients"],
            send_email=options["send_email"],
            parallelism=options["parallelism"],
        )
    out = io.StringIO()
    render_invites(results, out, show_links=options["show_links"])
    ctx.echo(out.getvalue(), nl=False)
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


def _log_requests_to_stderr() -> None:
    """The emulator server shows each request it answers (method, path, status)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("jhe_sync.emulator")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def emulator_command(options: dict[str, Any], echo: Callable[[str], None]) -> None:
    from jhe_sync.emulator import SEED_PASSWORD, FaultConfig, seeded_credentials, serve

    faults = FaultConfig(
        latency_ms=options["latency_ms"],
        error_before_commit=options["fail_before_commit"],
        error_after_commit=options["fail_after_commit"],
        rate_limit=options["rate_limit"],
        drop=options["drop"],
        drop_after_commit=options["drop_after_commit"],
        retry_after=options["retry_after"],
        seed=options["fault_seed"],
    )
    db = options["db"]
    _log_requests_to_stderr()
    if db != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)

    def ready(host: str, port: int) -> None:
        echo(f"JupyterHealth Exchange emulator on http://{host}:{port} (database: {db})")
        echo(f"API clients of the seeded users (secret for all: {SEED_PASSWORD}):")
        for client_id, email, role in seeded_credentials():
            echo(f"  {client_id:<24} {email:<36} {role}")
        echo(
            f"Try: JHE_URL=http://{host}:{port} JHE_CLIENT_ID=manager_mary JHE_CLIENT_SECRET='{SEED_PASSWORD}' jhe-sync plan examples/quickstart"
        )
        echo("Ctrl-C stops it.")

    try:
        serve(host=options["host"], port=options["port"], db=db, faults=faults, ready=ready)
    except (sqlite3.Error, RuntimeError) as error:
        raise ConfigError(
            f"--db {db}: cannot use it as the emulator's database ({error})"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot serve on {options['host']}:{options['port']} with --db {db}: "
            f"{error.strerror or error}"
        ) from None
