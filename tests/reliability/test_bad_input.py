"""A bad spec gives one clear error that names the file and line, exits 1, and changes
nothing: through ``validate``, ``plan`` and ``apply``, as a user meets it.

The corpus of malformed specs is in ``corpus/``; the huge, binary and alias-bomb ones
are made here, at test time. Each is run through the CLI's ``main()`` (so errors are
mapped to messages and exit codes as for a user) against a seeded local exchange
whose database must be the same, row for row, afterwards.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jhe_sync.errors import SpecError
from jhe_sync.spec import SpecSource, load_desired
from jhe_sync.spec.yamlload import MAX_FILE_BYTES
from reliability.conftest import Run
from reliability.helpers import READ_TRACES, database_rows

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]

EXPECTED: dict[str, tuple[int, str]] = {
    # corpus file: (the line the error names, words it says)
    "deep-nesting.yaml": (4, "nested more than 64 levels deep"),
    "duplicate-key.yaml": (7, "the key 'name' appears twice"),
    "duplicate-study-key.yaml": (7, "the study key 'bp' is already used"),
    "empty.yaml": (1, "the file is empty"),
    "for-each-not-a-list.yaml": (4, "for_each.site must be a list"),
    "for-each-same-key.yaml": (5, "for_each gives the key 'bp' to more than one study"),
    "for-each-too-many.yaml": (5, "for_each makes 100000 studies from one entry"),
    "key-is-a-list.yaml": (4, "a mapping key must be plain text"),
    "merge-key.yaml": (6, "merge keys (<<) are not supported"),
    "missing-required.yaml": (3, "missing required key 'description'"),
    "not-utf8.yaml": (4, "not UTF-8 text (byte 0xe9)"),
    "nul-byte.yaml": (4, "the character U+0000 is not allowed"),
    "only-a-comment.yaml": (1, "the file is empty"),
    "protected-and-absent.yaml": (8, "state: absent contradicts protect: true"),
    "python-tag.yaml": (4, "the tag !!python/object/apply:os.system is not allowed"),
    "recursive-alias.yaml": (7, "the alias *all refers to a value that contains it"),
    "repeated-link.yaml": (7, "'ihealth' is listed twice"),
    "syntax-bad-indentation.yaml": (5, "not valid YAML"),
    "syntax-unclosed-list.yaml": (8, "not valid YAML"),
    "syntax-unclosed-quote.yaml": (6, "not valid YAML"),
    "tab-indentation.yaml": (4, "a tab is used for indentation"),
    "template-cycle.yaml": (7, "templates use each other in a cycle: a -> b -> a"),
    "template-unknown.yaml": (7, "unknown template 'pliot'; did you mean 'pilot'?"),
    "template-uses-itself.yaml": (4, "templates use each other in a cycle: loop -> loop"),
    "top-level-list.yaml": (1, "a spec file is a mapping"),
    "two-documents.yaml": (3, "a spec file holds one YAML document"),
    "unclosed-reference.yaml": (4, "'${' is not closed"),
    "undefined-environment-variable.yaml": (6, "JHE_SYNC_RELIABILITY_UNSET is not set"),
    "undefined-variable.yaml": (6, "undefined variable ${sit}; did you mean ${site}?"),
    "unknown-study-key.yaml": (7, "unknown key 'descripton'; did you mean 'description'?"),
    "unknown-top-level-key.yaml": (2, "unknown key 'studys'; did you mean 'studies'?"),
    "utf16.yaml": (1, "the file is UTF-16, not UTF-8"),
    "wrong-type-boolean.yaml": (7, "expected true or false, not the text 'maybe'"),
    "wrong-type-id.yaml": (7, "expected a whole number, not the text 'thirty'"),
    "wrong-type-list-for-text.yaml": (4, "expected text, not a list"),
    "wrong-type-patient.yaml": (7, "not the number 42.5"),
    "wrong-type-scalar-for-list.yaml": (7, "expected a list, not the text"),
    "wrong-type-studies-mapping.yaml": (3, "expected a list of entries, not a mapping"),
    "wrong-type-version.yaml": (1, "unsupported version two"),
    "wrong-value-state.yaml": (7, "expected 'present' or 'absent', not 'gone'"),
}


def _alias_bomb() -> bytes:
    """A billion laughs: nine aliases of nine aliases of ... nine strings."""
    lines = ["version: 1", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


def _huge() -> bytes:
    """A valid-looking spec just over the size bound."""
    entry = b"  - {key: s, name: S, description: d, organization: Lifespan Lab}\n"
    return b"version: 1\nstudies:\n" + entry * (MAX_FILE_BYTES // len(entry) + 1)


def _binary_junk() -> bytes:
    return random.Random(20261124).randbytes(8192)


GENERATED: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "alias-bomb.yaml": (_alias_bomb, 7, "aliases expand to more than 100000 values"),
    "huge.yaml": (_huge, 1, "spec and variable files are limited to 5 MiB"),
    "binary-junk.yaml": (_binary_junk, 1, "not UTF-8 text"),
}

COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "plan": ("plan", "--url", "{local}", "--detailed-exitcode"),
    "apply": ("apply", "--url", "{local}", "--auto-approve", "--allow-destroy"),
}


def assert_one_located_error(run: Run, file: str, line: int, says: str) -> None:
    """Exit 1; stderr is ``Error: ...`` then problems that each name a file, line and
    column; the expected problem is among them; no traceback, no bug report, no plan."""
    assert run.code == 1, run.output
    assert run.out == ""
    first, *problems = run.err.splitlines()
    assert re.fullmatch(r"Error: \d+ spec problems?:", first), run.err
    assert problems
    for problem in problems:
        assert re.match(r"  \S+:\d+:\d+: ", problem), f"a problem without its place: {problem}"
    assert any(p.startswith(f"  {file}:{line}:") and says in p for p in problems), run.err
    assert "Traceback" not in run.err
    assert "This is a bug" not in run.err


def test_the_corpus_table_covers_every_corpus_file() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=EXPECTED.keys())
def test_a_malformed_spec_is_one_located_error_and_nothing_is_written(
    name: str,
    expected: tuple[int, str],
    command: tuple[str, ...],
    jhe: Callable[..., Run],
    local: str,
    local_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    line, says = expected
    before = database_rows(local_db)
    run = jhe(command[0], CORPUS / name, *(a.format(local=local) for a in command[1:]))
    assert_one_located_error(run, str(CORPUS / name), line, says)
    assert database_rows(local_db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exchange.db"]


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize(("name", "generated"), GENERATED.items(), ids=GENERATED.keys())
def test_a_huge_binary_or_exploding_spec_is_one_located_error_and_nothing_is_written(
    name: str,
    generated: tuple[Callable[[], bytes], int, str],
    command: tuple[str, ...],
    jhe: Callable[..., Run],
    local: str,
    local_db: Path,
    tmp_path: Path,
) -> None:
    make, line, says = generated
    path = tmp_path / name
    path.write_bytes(make())
    before = database_rows(local_db)
    run = jhe(command[0], path, *(a.format(local=local) for a in command[1:]))
    assert_one_located_error(run, str(path), line, says)
    assert database_rows(local_db) == before


@pytest.mark.parametrize(
    ("data", "place"),
    [
        (b"a: [1, 2", (1, 9)),
        (b"version: 1\nname: 'open", (2, 12)),
        (b"a: 1\r\nb: [x", (2, 6)),
    ],
    ids=["one line", "two lines", "crlf"],
)
def test_a_file_cut_short_names_its_last_line_not_one_after_it(
    data: bytes, place: tuple[int, int]
) -> None:
    with pytest.raises(SpecError) as raised:
        load_desired([SpecSource("cut.yaml", data)], environ={})
    (problem,) = raised.value.problems
    assert problem.location is not None
    assert (problem.location.line, problem.location.column) == place


def test_the_console_script_shows_a_bad_spec_as_one_located_error_without_a_traceback() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JHE_")}
    script = "from jhe_sync.cli import main; main()"
    finished = subprocess.run(
        [sys.executable, "-c", script, "validate", str(CORPUS / "template-cycle.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    run = Run(finished.returncode, finished.stdout, finished.stderr)
    assert_one_located_error(run, str(CORPUS / "template-cycle.yaml"), 7, "in a cycle")


def test_a_python_tag_runs_nothing(
    jhe: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert jhe("validate", CORPUS / "python-tag.yaml").code == 1
    assert not (tmp_path / "jhe-sync-was-exploited").exists()


def test_a_bad_file_among_good_ones_is_named_and_nothing_is_written(
    jhe: Callable[..., Run], local: str, local_db: Path, tmp_path: Path
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a-good.yaml").write_bytes((ROOT / "examples/quickstart/studies.yaml").read_bytes())
    (specs / "b-bad.yaml").write_bytes((CORPUS / "duplicate-key.yaml").read_bytes())
    before = database_rows(local_db)
    run = jhe("apply", specs, "--url", local, "--auto-approve")
    assert_one_located_error(run, str(specs / "b-bad.yaml"), 7, "appears twice")
    assert database_rows(local_db) == before


def test_a_bad_variable_file_is_one_located_error(
    jhe: Callable[..., Run], local: str, local_db: Path, tmp_path: Path
) -> None:
    variables = tmp_path / "prod.vars.yaml"
    variables.write_text("stage: prod\nsites: [[Lifespan Lab]]\n", encoding="utf-8")
    before = database_rows(local_db)
    run = jhe("plan", ROOT / "examples/multi-site", "--var-file", variables, "--url", local)
    assert_one_located_error(run, str(variables), 2, "sites")
    assert database_rows(local_db) == before


# -- paths that cannot be used -----------------------------------------------------------

QUICKSTART = ROOT / "examples/quickstart"


def _another_version(path: Path) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE emulator_meta (key TEXT, value TEXT)")
        conn.execute("INSERT INTO emulator_meta VALUES ('schema_version', '0')")


UNUSABLE: dict[str, tuple[list[str], Callable[[Path], None] | None, str]] = {
    # case: (arguments, what to prepare in the folder, what the error names)
    "plan --out in a missing folder": (
        ["plan", str(QUICKSTART), "--url", "{local}", "--out", "{tmp}/missing/plan.json"],
        None,
        "{tmp}/missing/plan.json",
    ),
    "apply --journal in a missing folder": (
        [
            *("apply", str(QUICKSTART), "--url", "{local}", "--auto-approve"),
            *("--journal", "{tmp}/missing/journal.jsonl"),
        ],
        None,
        "{tmp}/missing/journal.jsonl",
    ),
    "export --out under a file": (
        ["export", "--url", "{local}", "--out", "{tmp}/a-file/exported"],
        lambda tmp: (tmp / "a-file").write_text("not a folder\n", encoding="utf-8"),
        "{tmp}/a-file/exported",
    ),
    "--url local: a folder": (["plan", str(QUICKSTART), "--url", "local:{tmp}"], None, "{tmp}"),
    "--url local: not a database": (
        ["plan", str(QUICKSTART), "--url", "local:{tmp}/junk.db"],
        lambda tmp: (tmp / "junk.db").write_bytes(b"\x00junk" * 100),
        "{tmp}/junk.db",
    ),
    "--url local: under a file": (
        ["plan", str(QUICKSTART), "--url", "local:{tmp}/a-file/exchange.db"],
        lambda tmp: (tmp / "a-file").write_text("not a folder\n", encoding="utf-8"),
        "{tmp}/a-file",
    ),
    "--url local: another emulator version": (
        ["plan", str(QUICKSTART), "--url", "local:{tmp}/old.db"],
        lambda tmp: _another_version(tmp / "old.db"),
        "{tmp}/old.db",
    ),
}


@pytest.mark.parametrize(
    ("arguments", "prepare", "names"),
    [pytest.param(*case, id=name) for name, case in UNUSABLE.items()],
)
def test_a_path_that_cannot_be_used_is_one_line_naming_it_and_nothing_is_written(
    arguments: list[str],
    prepare: Callable[[Path], None] | None,
    names: str,
    jhe: Callable[..., Run],
    local: str,
    local_db: Path,
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if prepare is not None:
        prepare(work)
    before = database_rows(local_db, ignore=READ_TRACES)
    run = jhe(*(a.format(local=local, tmp=work) for a in arguments))
    assert run.code == 1, run.output
    assert run.err.startswith("Error: ") and run.err.count("\n") == 1, run.err
    assert names.format(tmp=work) in run.err, run.err
    assert "This is a bug" not in run.err and "Traceback" not in run.err
    assert database_rows(local_db, ignore=READ_TRACES) == before


def test_the_emulator_refuses_a_database_it_cannot_use_in_one_line(
    jhe: Callable[..., Run], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00junk" * 100)
    run = jhe("emulator", "--db", junk, "--port", "0")
    assert run.code == 1 and run.err.startswith("Error: ") and str(junk) in run.err, run.err
    assert "This is a bug" not in run.err


# -- fuzzing ---------------------------------------------------------------------------

FRAGMENTS = [
    "version: 1\n",
    "studies:\n",
    "templates:\n",
    "vars:\n",
    "organizations:\n",
    "  - ",
    "    ",
    "key: k\n",
    "name: N ${site}\n",
    "description: d\n",
    "organization: Lifespan Lab\n",
    "use: t\n",
    "  t:\n",
    "for_each: {site: [a, b]}\n",
    "for_each: {site: ${sites}}\n",
    "sites: [x, y]\n",
    "patients: [a@example.com, 40001, {identifier: {system: s, value: v}}]\n",
    "scope_requests: [omh:heart-rate:2.0]\n",
    "state: absent\n",
    "protect: true\n",
    "prune: true\n",
    "id: 30001\n",
    "previous_names: [Old]\n",
    "${env:HOME}",
    "$${",
    "${",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!!python/name:os.system ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "'",
    '"',
    "\t",
    "\n",
    "\r\n",
    "\ufeff",
    "\x00",
    "é",
    "~",
    "0x1F",
    "1e9",
    "---\n",
    "# comment\n",
]

SEEDS = [
    (ROOT / "examples/quickstart/studies.yaml").read_text(encoding="utf-8"),
    (ROOT / "examples/hypertension/hypertension.yaml").read_text(encoding="utf-8"),
    (ROOT / "examples/multi-site/templates.yaml").read_text(encoding="utf-8")
    + "\n".join(
        (ROOT / "examples/multi-site/studies.yaml").read_text(encoding="utf-8").splitlines()[5:]
    ),
]


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    """A real spec with a few random edits: inserted fragments, cut spans, moved lines."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "cut", "duplicate-line"]))
        if edit == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            lines = text.splitlines(keepends=True) or [""]
            index = at % len(lines)
            text = "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    return text


spec_texts = st.one_of(
    mutated_specs(),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
)


def _lines(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") + 1


@settings(max_examples=100, deadline=None)
@given(st.one_of(spec_texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary()))
def test_any_spec_loads_or_every_problem_names_a_line_of_that_file(data: bytes) -> None:
    try:
        load_desired([SpecSource("fuzz.yaml", data)], environ={"HOME": "/home/x"})
    except SpecError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.location is not None, f"no place for: {problem}"
            assert problem.location.file == "fuzz.yaml"
            assert 1 <= problem.location.line <= _lines(data), str(problem)
            assert problem.location.column >= 1


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=spec_texts)
def test_validate_of_any_spec_says_ok_or_one_located_error(
    text: str, jhe: Callable[..., Run]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "fuzz.yaml")
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        run = jhe("validate", path)
    assert run.code in (0, 1), run.output
    if run.code == 0:
        assert run.out.startswith("OK: ") and run.err == ""
        return
    first, *problems = run.err.splitlines()
    assert re.fullmatch(r"Error: \d+ spec problems?:", first), run.err
    for problem in problems:
        assert problem.startswith(f"  {path}:"), f"a problem without its place: {problem}"
    assert "Traceback" not in run.err and "This is a bug" not in run.err
