"""What each command does, step by step: the glue between the CLI and the library.

The CLI hands a frozen request (``jhe_sync.commands``) here; these functions call
load, read, plan, safety and apply in order and return an exit code. They talk to the
user only through the ``Terminal`` the CLI lends them (its echo, confirmation,
progress lines and interrupt handling), so tests can run them without a terminal.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO

from jhe_sync.apply import ApplyResult, apply_plan, check_exchange, check_fresh
from jhe_sync.ci.drift import keep_drift_issue
from jhe_sync.ci.github import GitHub, github_settings
from jhe_sync.commands import (
    ApplyRequest,
    Connection,
    DriftRequest,
    ExportRequest,
    InviteRequest,
    PlanRequest,
    Safeguards,
    ShowRequest,
    SpecFiles,
    StatusRequest,
    Terminal,
    ValidateRequest,
)
from jhe_sync.drift import Drift, attribute, render_markdown_report
from jhe_sync.drift import render_json as render_drift_json
from jhe_sync.drift import render_text as render_drift_text
from jhe_sync.drift.issue import issue_report, run_footer
from jhe_sync.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    SafetyRefusal,
    SpecError,
)
from jhe_sync.exchange import Exchange
from jhe_sync.files import Mode, open_private
from jhe_sync.lifecycle import (
    ExportResult,
    export_specs,
    invites_to_dict,
    prepare_invitations,
    render_invites,
    render_status,
    send_invitations,
    study_status,
    write_export,
)
from jhe_sync.live import Live
from jhe_sync.local import open_exchange
from jhe_sync.plan.build import build_plan
from jhe_sync.plan.change import Destroyed, Refusal
from jhe_sync.plan.diff import is_unlisted_study_key
from jhe_sync.plan.plan import Plan, SafetyPolicy
from jhe_sync.plan.render.formats import Format, RenderOptions, render
from jhe_sync.plan.render.wording import KEYS_SHOWN, plural, refusal_lines
from jhe_sync.plan.serialize import SavedPlan, load_plan, load_saved, plan_key, save_plan
from jhe_sync.snapshot import read_access, read_consents, read_enrollment_sets, read_live
from jhe_sync.spec import json_schema_text, load_desired
from jhe_sync.spec.models import Desired
from jhe_sync.spec.report import Validation, validation_github, validation_json

SCHEMA_FILE = "jhe-sync.schema.json"
"""What ``export`` names the JSON Schema it writes beside the spec files, for editors."""


def parse_variables(items: Sequence[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` items as a dict; a missing ``=`` is a usage error."""
    variables: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--var {item!r}: expected NAME=VALUE")
        variables[name.strip()] = value
    return variables


def load(spec: SpecFiles) -> Desired:
    """Load, expand and validate the spec files (offline)."""
    return load_desired(
        list(spec.paths),
        parse_variables(spec.variables),
        list(spec.var_files),
        environ=dict(os.environ),
    )


def spec_keys(spec: SpecFiles) -> list[str]:
    """The study keys of a spec, for shell completion; none when it cannot be read (a
    completion must never print an error)."""
    try:
        return sorted(study.key for study in load(spec).studies)
    except Exception:
        return []


def schema_text() -> str:
    return json_schema_text()


def policy_from(safeguards: Safeguards, desired: Desired | None) -> SafetyPolicy:
    """The safeguards as the flags set them. ``--allow-destroy KEY`` must name an entry
    (a study or an organization)."""
    allowed = safeguards.allow_destroy
    keys = frozenset(k for k in allowed if k != "*")
    if desired is not None:
        known = _entry_keys(desired)
        unknown = sorted(k for k in keys - known if not is_unlisted_study_key(k))
        if unknown:
            raise ConfigError(
                f"--allow-destroy {unknown[0]!r} names no study or organization key in the spec "
                f"(known: {', '.join(sorted(known)) or 'none'}). To allow every destructive "
                "change, give --allow-destroy alone, after the spec paths."
            )
    return SafetyPolicy(
        allow_destroy_all="*" in allowed,
        allow_destroy_keys=keys,
        max_destroy=safeguards.max_destroy,
        ignore_threshold=safeguards.ignore_destroy_threshold,
    )


@contextlib.contextmanager
def exchange_from(connection: Connection) -> Iterator[Exchange]:
    """Open the exchange the flags and environment name; closed on exit."""
    with open_exchange(
        url=connection.url,
        token=connection.token,
        client_id=connection.client_id,
        client_secret=os.environ.get("JHE_CLIENT_SECRET"),
        allow_insecure_http=connection.insecure_http,
        token_url=connection.token_url,
    ) as exchange:
        yield exchange


def make_plan(exchange: Exchange, desired: Desired, parallelism: int) -> tuple[Plan, Live]:
    """Read what the spec needs, then plan in one pass: the plan has the snapshot stage
    read what the impact of destruction needs (enrollments of studies to delete,
    consents of the patients touched) before it computes the impact, once.

    Returns the plan and the snapshot it was made from, which an apply in the same run
    reuses rather than reading it again."""
    live = read_live(exchange, desired, parallelism=parallelism)
    plan = build_plan(
        desired,
        live,
        read_enrollments=partial(read_enrollment_sets, exchange, parallelism=parallelism),
        read_consents=partial(read_consents, exchange, parallelism=parallelism),
    )
    return plan, live


def rendered(
    plan: Plan,
    output_format: Format,
    color: bool,
    refusals: Sequence[Refusal] | None = None,
    saved_plan: str | None = None,
) -> str:
    out = io.StringIO()
    options = RenderOptions(
        color=color,
        refusals=tuple(refusals) if refusals is not None else None,
        saved_plan=saved_plan,
    )
    render(plan, out, output_format, options)
    return out.getvalue()


def validate_command(terminal: Terminal, request: ValidateRequest) -> int:
    machine = request.output_format != "text"
    try:
        desired = load(request.spec)
    except SpecError as error:
        if not machine:
            raise
        _say_validation(terminal, Validation.failed(error.problems), request.output_format)
        return error.exit_code
    if request.output_format == "json":
        validation = Validation(len(desired.studies), len(desired.organizations))
        _say_validation(terminal, validation, request.output_format)
    else:  # github's log shows the same line as a terminal
        terminal.echo(
            f"OK: {len(desired.studies)} studies in {len(request.spec.paths)} path(s) are valid."
        )
    return EXIT_OK


def _say_validation(terminal: Terminal, validation: Validation, output_format: str) -> None:
    render = validation_json if output_format == "json" else validation_github
    terminal.echo(render(validation), nl=False)


def plan_command(terminal: Terminal, request: PlanRequest) -> int:
    desired = load(request.spec)
    policy = policy_from(request.safeguards, desired)
    _check_writable(request.out, "--out")
    key = plan_signing_key() if request.out else None
    with exchange_from(request.connection) as exchange, _reading(terminal, exchange):
        plan, live = make_plan(exchange, desired, request.connection.parallelism)
    if request.targets:
        plan = _targeted(plan, desired, request.targets)
    refusals = plan.refusals(policy, live)
    _say_unused_allowances(terminal, plan, policy)
    if request.out:
        with _open_output(request.out, "--out", "w") as stream:
            save_plan(plan, stream, key)
    terminal.echo(
        rendered(plan, request.output_format, terminal.color, refusals, request.out), nl=False
    )
    if request.detailed_exitcode:
        if refusals:
            return SafetyRefusal.exit_code
        return EXIT_CHANGES if not plan.empty else EXIT_OK
    return EXIT_OK


def _reading(terminal: Terminal, exchange: Exchange) -> AbstractContextManager[None]:
    """While the command reads the exchange, the terminal shows how far it got."""
    return terminal.activity(lambda: exchange.request_count)


def _say_unused_allowances(terminal: Terminal, plan: Plan, policy: SafetyPolicy) -> None:
    """An ``--allow-destroy KEY`` that allows nothing is said, on stderr: a flag left in a
    CI recipe after the change it was for would silently allow the next one."""
    for key in policy.unused_allowances(plan):
        terminal.echo(
            f"Note: --allow-destroy {key} allowed nothing: the plan has no destructive change "
            f"in {key!r}; remove the flag once the change it was for is applied.",
            err=True,
        )


def _check_writable(path: str | None, flag: str) -> None:
    """Refuse an output file whose folder does not exist before anything is read."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ConfigError(f"{flag} {path}: the folder {folder} does not exist")


def _open_output(path: str, flag: str, mode: Mode) -> IO[str]:
    """A file the command writes (a saved plan, a journal): readable by its owner only."""
    _check_writable(path, flag)
    try:
        return open_private(path, mode)
    except OSError as error:
        raise ConfigError(f"{flag} {path}: {error.strerror or error}") from None


def _targeted(plan: Plan, desired: Desired | None, targets: Sequence[str]) -> Plan:
    """``--target`` keys must be spec keys (or ``id:N`` of a study the plan prunes); for a
    saved plan, the keys its changes name."""
    known = {c.key for c in plan.changes}
    if desired is not None:
        known |= _entry_keys(desired)
    unknown = sorted(set(targets) - known)
    if unknown:
        raise ConfigError(
            f"--target {unknown[0]!r} names no study or organization key in the spec "
            f"(known: {', '.join(sorted(known)) or 'none'}){_if_a_path(unknown[0], '--target')}"
        )
    needed = plan.creates_needed(targets)
    if needed:
        key, creator = next(iter(sorted(needed.items())))
        raise ConfigError(
            f"--target {key!r}: its changes need organization {creator!r}, which the same plan "
            f"creates; add --target {creator} (or apply {creator} first)"
        )
    return plan.filtered(targets)


def _if_a_path(value: str, flag: str) -> str:
    """What to add when an option's value is a spec path rather than a key."""
    if "/" not in value and not os.path.exists(value):
        return ""
    return f"; {value!r} is a path: {flag} takes a study or organization key, and spec PATHS go before the options"


def _entry_keys(desired: Desired) -> set[str]:
    """The keys --target and --allow-destroy take: studies' and organizations'."""
    return {s.key for s in desired.studies} | {o.key for o in desired.organizations}


def show_command(terminal: Terminal, request: ShowRequest) -> int:
    """Render a saved plan; in text, first where and as whom it was made, and its seal."""
    with open(request.plan_file, encoding="utf-8") as stream:
        saved = load_saved(stream, plan_signing_key())
    if request.output_format == "text":
        terminal.echo(_provenance(saved))
    terminal.echo(rendered(saved.plan, request.output_format, terminal.color), nl=False)
    return EXIT_OK


def plan_signing_key() -> bytes | None:
    """The plan signing key, from ``JHE_PLAN_KEY`` only (like the client secret)."""
    return plan_key(os.environ.get("JHE_PLAN_KEY"))


def _provenance(saved: SavedPlan) -> str:
    plan = saved.plan
    where = plan.exchange or "an exchange it does not name (saved by an earlier jhe-sync)"
    who = f" as {plan.planned_as}" if plan.planned_as else ""
    if not saved.signed:
        seal = "not signed"
    elif saved.verified:
        seal = "signed; the signature matches JHE_PLAN_KEY"
    else:
        seal = "signed; the signature was not checked (JHE_PLAN_KEY is not set)"
    return f"Saved plan, made against {where}{who}; {seal}.\n"


def apply_command(terminal: Terminal, request: ApplyRequest) -> int:
    """Apply the spec or a saved plan. With ``--format json`` the plan, the progress lines
    and errors go to stderr, and stdout holds only the result document, written once the
    apply has ended (done, partial, interrupted, refused or declined)."""
    desired: Desired | None = None
    saved: SavedPlan | None = None
    if request.plan_file is not None:
        with open(request.plan_file, encoding="utf-8") as stream:
            saved = load_saved(stream, plan_signing_key())
    elif request.spec is not None:
        desired = load(request.spec)
    else:
        raise ConfigError("give spec PATHS, or --plan FILE")
    policy = policy_from(request.safeguards, desired)
    if not request.auto_approve and not terminal.interactive:
        raise ConfigError("apply needs --auto-approve when it cannot ask (no terminal), as in CI")

    as_json = request.output_format == "json"
    say = partial(terminal.echo, err=True) if as_json else terminal.echo

    def report(result: ApplyResult) -> None:
        if as_json:
            terminal.echo(_json_text(result.to_dict()), nl=False)

    _check_writable(request.journal, "--journal")
    parallelism = request.connection.parallelism
    with exchange_from(request.connection) as exchange:
        snapshot: Live | None = None
        caller: Live | None = None
        with _reading(terminal, exchange):
            if desired is not None:
                plan, snapshot = make_plan(exchange, desired, parallelism)
                caller = snapshot
                if request.targets:
                    plan = _targeted(plan, desired, request.targets)
                if request.reviewed is not None:
                    policy = replace(policy, reviewed=_reviewed(exchange, request.reviewed))
            else:
                assert saved is not None
                plan = saved.plan
                if saved.signed and not saved.verified:
                    terminal.echo(
                        "Note: the saved plan is signed, and JHE_PLAN_KEY is not set here, so "
                        "its signature was not checked.",
                        err=True,
                    )
                if request.targets:
                    plan = _targeted(plan, None, request.targets)
                check_fresh(exchange, plan, parallelism=parallelism)
                caller = read_access(exchange) if not plan.empty else None
        refusals = plan.refusals(policy, caller)
        # The reasons of a refusal are the error's, said once (not also under the plan).
        say(rendered(plan, "text", terminal.color), nl=False)
        _say_unused_allowances(terminal, plan, policy)
        if refusals:
            report(ApplyResult.not_attempted(plan, refusals=tuple(refusals)))
            shown = refusal_lines(refusals, KEYS_SHOWN)
            raise SafetyRefusal([str(reason) for reason in refusals], shown=shown)
        if plan.empty:
            report(ApplyResult(()))
            return EXIT_OK
        if not request.auto_approve and not _approved(terminal, plan):
            say("Nothing applied.")
            report(ApplyResult.not_attempted(plan, declined=True))
            return EXIT_ERROR
        with contextlib.ExitStack() as stack:
            journal = (
                stack.enter_context(_open_output(request.journal, "--journal", "a"))
                if request.journal
                else None
            )
            stop = stack.enter_context(terminal.interruptible())
            result = apply_plan(
                exchange,
                plan,
                policy,
                parallelism=parallelism,
                journal=journal,
                on_progress=terminal.progress(len(plan.changes)),
                stop=stop,
                snapshot=snapshot,
            )
    error = result.error()
    if error is None:
        say(result.summary())
    else:
        terminal.echo(f"Error: {error}", err=True)
    report(result)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_ERROR


def _json_text(document: Mapping[str, object]) -> str:
    """A result document as ``--format json`` writes it: indented, UTF-8, one newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _reviewed(exchange: Exchange, path: str) -> frozenset[Destroyed]:
    """What the reviewed plan ``path`` destroys: a saved plan, checked as ``apply --plan``
    checks one (digest, signature with ``JHE_PLAN_KEY``, made for this exchange); it may
    be stale, since only the identity of what it destroys is compared."""
    try:
        with open(path, encoding="utf-8") as stream:
            reviewed = load_plan(stream, plan_signing_key())
    except OSError as error:
        raise ConfigError(f"--reviewed {path}: {error.strerror or error}") from None
    check_exchange(exchange, reviewed)
    return reviewed.destroyed()


def _approved(terminal: Terminal, plan: Plan) -> bool:
    """Ask before applying; a plan that destroys something takes the literal ``yes``."""
    if not plan.destructive_changes():
        return terminal.confirm("Apply these changes?")
    destroyed = plan.counts.destroyed
    answer = terminal.ask(
        f"This plan destroys {plural(destroyed, 'object')} (see above); consent records go "
        'with them. Type "yes" to apply'
    )
    return answer.strip() == "yes"


def export_command(terminal: Terminal, request: ExportRequest) -> int:
    """Export live studies as spec files, with the JSON Schema beside them for editors."""
    with exchange_from(request.connection) as exchange, _reading(terminal, exchange):
        export = export_specs(
            exchange,
            organizations=request.organizations,
            study_ids=request.study_ids,
            include_patients=request.include_patients,
            parallelism=request.connection.parallelism,
            schema_url=f"./{SCHEMA_FILE}",
        )
    written: list[Path] = []
    if export.files:
        files = {**export.files, SCHEMA_FILE: schema_text()}
        written = write_export(files, request.out_dir, overwrite=request.overwrite)
    if request.output_format == "json":
        result = ExportResult(export, tuple(written), request.include_patients)
        terminal.echo(_json_text(result.to_dict()), nl=False)
        return EXIT_OK
    if not written:
        terminal.echo("Nothing to export: no studies visible with these credentials and filters.")
    for path in written:
        terminal.echo(f"wrote {path}")
    return EXIT_OK


def status_command(terminal: Terminal, request: StatusRequest) -> int:
    desired = load(request.spec)
    with exchange_from(request.connection) as exchange, _reading(terminal, exchange):
        report = study_status(exchange, desired, parallelism=request.connection.parallelism)
    out = io.StringIO()
    render_status(report, out, request.output_format)
    terminal.echo(out.getvalue(), nl=False)
    return EXIT_OK


def drift_command(terminal: Terminal, request: DriftRequest) -> int:
    """Plan the spec against the exchange, and tell the side of each change by planning the
    spec at the last applied commit against the same exchange (read again only when that
    spec differs from the current one: when they are the same, every difference was made
    on the exchange)."""
    settings = github_settings(os.environ) if request.keep_issue else None
    drift = find_drift(request)
    out = io.StringIO()
    DRIFT_RENDERERS[request.output_format](drift, out)
    terminal.echo(out.getvalue(), nl=False)
    if settings is not None and request.keep_issue:
        footer = run_footer(
            settings.server_url,
            settings.repository,
            os.environ.get("GITHUB_RUN_ID", ""),
            os.environ.get("GITHUB_SHA", ""),
        )
        with GitHub(settings) as github:
            kept = keep_drift_issue(github, issue_report(drift), request.keep_issue, footer)
        terminal.echo(str(kept), err=True)
    if request.detailed_exitcode and drift.differs:
        return EXIT_CHANGES
    return EXIT_OK


DRIFT_RENDERERS = {
    "text": render_drift_text,
    "markdown": render_markdown_report,
    "json": render_drift_json,
}


def find_drift(request: DriftRequest) -> Drift:
    """The drift of ``request``'s spec, with sides (see ``drift_command``)."""
    desired = load(request.spec)
    applied, why = _applied_spec(request)
    parallelism = request.connection.parallelism
    with exchange_from(request.connection) as exchange:
        plan, _ = make_plan(exchange, desired, parallelism)
        base: Plan | None = None
        if applied is not None and applied.digest == desired.digest:
            base = plan
        elif applied is not None and not (applied.studies or applied.organizations):
            base = Plan(changes=())
        elif applied is not None:
            base, _ = make_plan(exchange, applied, parallelism)
    return attribute(plan, base, request.applied_ref, why)


def _applied_spec(request: DriftRequest) -> tuple[Desired | None, str]:
    """The spec at the last applied commit: each spec path (relative to the working
    directory) read under ``applied_root``, left out where that commit had no such file;
    a var file that commit lacks is the working tree's. None, and why, when it is not
    given or does not load."""
    root = request.applied_root
    if root is None:
        return None, "no applied commit was given (--applied-root)"
    spec = request.spec
    try:
        paths = [str(Path(root) / _relative(p)) for p in spec.paths]
    except ValueError as error:
        return None, str(error)
    present = tuple(p for p in paths if Path(p).exists())
    if not present:
        return Desired(studies=[], organizations=[]), ""
    var_files = tuple(
        str(Path(root) / _relative(f)) if (Path(root) / _relative(f)).is_file() else f
        for f in spec.var_files
    )
    try:
        return load(SpecFiles(present, spec.variables, var_files)), ""
    except SpecError as error:
        first = error.problems[0] if error.problems else error
        return None, f"the spec at the applied commit does not load with this jhe-sync ({first})"


def _relative(path: str) -> Path:
    """A spec path relative to the working directory (the repository's root in CI)."""
    given = Path(path)
    if not given.is_absolute():
        return given
    try:
        return given.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        raise ValueError(
            f"the spec path {path} is outside the working directory, so it cannot be found "
            "in the applied commit's checkout; give spec paths relative to the repository"
        ) from None


def invite_command(terminal: Terminal, request: InviteRequest) -> int:
    """Invite a study's patients: refuse links that would reach nobody, read who would be
    invited, ask (or take ``--yes``), then issue one link per patient."""
    if not request.send_email and not request.show_links:
        raise ConfigError(
            "invite would issue new links that reach nobody (each replaces the patient's "
            "earlier link, which then no longer works): add --send-email to have the exchange "
            "email them, or --show-links to print them (they are credentials)"
        )
    if not request.yes and not terminal.interactive:
        raise ConfigError(
            "invite needs --yes when it cannot ask (no terminal), as in a script: each new "
            "link replaces the patient's earlier one"
        )
    desired = load(request.spec)
    parallelism = request.connection.parallelism
    with exchange_from(request.connection) as exchange:
        with _reading(terminal, exchange):
            invitations = prepare_invitations(
                exchange,
                desired,
                request.study_key,
                client=request.client,
                patients=request.patients,
                parallelism=parallelism,
            )
        client = invitations.client.name
        question = (
            f"Issue {plural(invitations.to_issue, 'new invitation link')} for study "
            f"{invitations.study_key} through {client}? Each replaces the patient's earlier "
            f"link for {client}, which then no longer works."
        )
        if invitations.to_issue and not request.yes and not terminal.confirm(question):
            terminal.echo("Nobody invited.", err=request.output_format == "json")
            return EXIT_ERROR
        results = send_invitations(
            exchange, invitations, send_email=request.send_email, parallelism=parallelism
        )
    if request.output_format == "json":
        terminal.echo(_json_text(invites_to_dict(results, request.show_links)), nl=False)
    else:
        out = io.StringIO()
        render_invites(results, out, show_links=request.show_links)
        terminal.echo(out.getvalue(), nl=False)
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR
