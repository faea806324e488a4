"""Reading without places is reading the same values: the plain loader agrees with the
strict one on every file it accepts, and the places it keeps are the strict ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jhe_sync.errors import SpecError
from jhe_sync.spec import SpecSource, load_desired, locator, plainload
from jhe_sync.spec.located import MappingNode, Node, SequenceNode, to_value
from jhe_sync.spec.plainload import load_plain
from jhe_sync.spec.values import Typed
from jhe_sync.spec.yamlload import load_yaml_bytes, parse_yaml

EXAMPLES = Path(__file__).parents[2] / "examples"

PIECES = st.sampled_from(
    [
        "version: 1\n",
        "studies:\n",
        "templates:\n",
        "  - ",
        "    ",
        "  t: ",
        "name: ",
        "key: ",
        "id: ",
        "protect: ",
        "yes",
        "no",
        "~",
        "007",
        "0x1F",
        "1.10",
        "2024-01-02",
        "'quoted'",
        '"dq ${site}"',
        "New ${site}",
        "${n}",
        "$${x}",
        "text",
        "x@example.com",
        "[a, 1, true]",
        "{k: v, n: 2}",
        "|\n      block\n",
        ": ",
        ", ",
        "- ",
        "\n",
        "# comment\n",
    ]
)
YAMLISH = st.lists(PIECES, max_size=30).map("".join)


def _strictly(text: str) -> tuple[object, list[str]] | SpecError:
    try:
        tree = load_yaml_bytes(text.encode("utf-8", "surrogatepass"), "f.yaml")
    except SpecError as error:
        return error
    references: list[str] = []
    return (to_value(tree, references) if tree is not None else None), references


def _plainly(text: str) -> tuple[object, list[str]] | SpecError:
    try:
        read = load_plain(text.encode("utf-8", "surrogatepass"), "f.yaml")
    except SpecError as error:
        return error
    return read.root, read.references


@settings(max_examples=300, deadline=None)
@given(st.one_of(YAMLISH, st.text(max_size=200)))
def test_the_plain_loader_reads_what_the_strict_one_reads(text: str) -> None:
    strict, plain = _strictly(text), _plainly(text)
    if isinstance(strict, SpecError):
        assert isinstance(plain, SpecError)
        assert plain.problems == strict.problems
    else:
        assert plain == strict


def test_scalars_keep_their_type_and_their_text_as_written() -> None:
    read = load_plain(b"a: yes\nb: 007\nc: '007'\nd: ~\ne: 2024-01-02\nf: New ${x}\n", "f.yaml")
    assert read.root == {
        "a": Typed(True, "yes"),
        "b": Typed(7, "007"),
        "c": "007",
        "d": Typed(None, "~"),
        "e": "2024-01-02",
        "f": "New ${x}",
    }
    assert read.references == ["New ${x}"]


def _node_at(tree: Node, path: tuple[str | int, ...]) -> Node:
    for part in path:
        if isinstance(tree, MappingNode):
            tree = tree.entries[str(part)]
        else:
            assert isinstance(tree, SequenceNode)
            tree = tree.items[int(part)]
    return tree


@pytest.mark.parametrize(
    "spec", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_the_entry_places_kept_while_reading_are_the_strict_loaders(spec: Path) -> None:
    read = load_plain(spec.read_bytes(), "f.yaml")
    tree = parse_yaml(spec.read_text(), "f.yaml")
    assert tree is not None
    for path, location in read.marks.items():
        assert _node_at(tree, path).location == location


def _strict_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def unusual(text: str, file: str) -> plainload.PlainFile:
        raise plainload._Unusual

    monkeypatch.setattr(plainload, "_read", unusual)


def _example_loads() -> list[tuple[Path, list[Path]]]:
    loads = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        if not any(folder.glob("*.yaml")):
            continue
        loads.append((folder, []))
        loads += [(folder, [var_file]) for var_file in sorted(folder.glob("*.vars.yaml"))]
    return loads


@pytest.mark.parametrize(
    ("folder", "var_files"),
    _example_loads(),
    ids=lambda v: v.name if isinstance(v, Path) else "+".join(p.name for p in v) or "-",
)
def test_the_examples_load_the_same_with_places_kept_for_every_value(
    folder: Path, var_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = load_desired([folder], var_files=var_files, environ={})
    _strict_only(monkeypatch)
    strict = load_desired([folder], var_files=var_files, environ={})
    assert fast == strict
    for quick, slow in zip(fast.studies, strict.studies, strict=True):
        assert quick.origin == slow.origin
        for name in type(quick).model_fields:
            assert quick.locate(name) == slow.locate(name)


SPEC = """\
version: 1
templates:
  t:
    description: At ${site}.
    scope_requests: [omh:heart-rate:2.0, omh:blood-pressure]
studies:
  - use: t
    for_each: {site: [A, B]}
    name: S ${site}
    organization: 1
    patients: [a@example.org, nope, {id: x}]
"""


def test_problems_are_the_same_with_places_kept_for_every_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def problems() -> tuple[object, ...]:
        with pytest.raises(SpecError) as raised:
            load_desired([SpecSource.from_text(SPEC)], environ={})
        return raised.value.problems

    fast = problems()
    _strict_only(monkeypatch)
    assert problems() == fast
    assert len(fast) == 3


@pytest.mark.parametrize(
    "folder", sorted(p for p in EXAMPLES.iterdir() if any(p.glob("*.yaml"))), ids=lambda p: p.name
)
def test_a_spec_without_problems_is_parsed_once_no_file_read_again_for_places(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Places are worked out from a file only for a problem: on the happy path of a
    # large spec, locating every entry would cost the located loader's price again.
    again: list[str] = []
    monkeypatch.setattr(locator, "parse_yaml", lambda text, file: again.append(file))
    load_desired([folder], environ={})
    assert again == []
