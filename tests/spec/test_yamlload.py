"""The YAML loaders: only safe, plain YAML accepted, every refusal located.

The strict loader (``yamlload``) locates every value; the plain one (``plainload``),
which validation uses, reads values without places and leaves whatever is unusual to
the strict one: both refuse the same files with the same located problems.
"""

from __future__ import annotations

import codecs
from typing import Any

import pytest

from jhe_sync.errors import SourceLocation, SpecError
from jhe_sync.spec import SpecSource, load_desired
from jhe_sync.spec.located import MappingNode, ScalarNode, SequenceNode
from jhe_sync.spec.plainload import load_plain
from jhe_sync.spec.yamlload import MAX_FILE_BYTES, load_yaml_bytes, parse_yaml

LOADERS = {"strict": load_yaml_bytes, "plain": load_plain}

BOMB = "\n".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]"
            for p, x in zip("abcdefg", "bcdefgh", strict=True)
        ),
    ]
)

REFUSED = {
    # name: (bytes, (line, column), words the message holds)
    "python tag": (
        b"version: !!python/object:os.system x\n",
        (1, 10),
        "the tag !!python/object:os.system is not allowed",
    ),
    "python tag on a mapping": (
        b"a: !!python/object/new:os.system {}\n",
        (1, 4),
        "!!python/object/new:os.system is not allowed",
    ),
    "custom tag": (b"a: !secret x\n", (1, 4), "the tag !secret is not allowed"),
    "binary": (b"a: !!binary aGk=\n", (1, 4), "the tag !!binary is not allowed"),
    "a wrong explicit type": (b"a: !!int many\n", (1, 4), "'many' is not a valid !!int"),
    "duplicate key": (
        b"a: 1\nb: 2\na: 3\n",
        (3, 1),
        "the key 'a' appears twice in this mapping (first at line 1, column 1)",
    ),
    "merge key": (b"base: &b {x: 1}\nc:\n  <<: *b\n", (3, 3), "merge keys (<<) are not supported"),
    "tab indentation": (b"studies:\n\t- name: x\n", (2, 1), "a tab is used for indentation"),
    "recursive alias": (
        b"a: &x [1, *x]\n",
        (1, 11),
        "the alias *x refers to a value that contains it",
    ),
    "undefined alias": (b"a: *nowhere\n", (1, 4), "the alias *nowhere refers to no anchor"),
    "alias bomb": (BOMB.encode(), (6, 8), "aliases expand to more than 100000 values"),
    "deep nesting": (
        b"a: " + b"[" * 65 + b"]" * 65 + b"\n",
        (1, 67),
        "nested more than 64 levels deep",
    ),
    "two documents": (b"a: 1\n---\nb: 2\n", (2, 1), "a spec file holds one YAML document"),
    "syntax error": (b"a: [1, 2\nb: 3\n", (2, 2), "not valid YAML"),
    "key that is a list": (b"? [a, b]\n: 1\n", (1, 3), "a mapping key must be plain text"),
    "control character": (b"a: x\nb: \x07\n", (2, 4), "the character U+0007 is not allowed"),
    "not UTF-8": (b"a: 1\nname: caf\xe9\n", (2, 10), "not UTF-8 text (byte 0xe9)"),
    "UTF-16": (
        codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le"),
        (1, 1),
        "the file is UTF-16, not UTF-8",
    ),
    "too large": (
        b"a: " + b"x" * MAX_FILE_BYTES + b"\n",
        (1, 1),
        "spec and variable files are limited to 5 MiB",
    ),
}


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
@pytest.mark.parametrize(("data", "at", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_unsafe_or_ambiguous_yaml_is_refused_with_its_place(
    data: bytes, at: tuple[int, int], says: str, loader: Any
) -> None:
    with pytest.raises(SpecError) as raised:
        loader(data, "f.yaml")
    (problem,) = raised.value.problems
    assert problem.location == SourceLocation("f.yaml", *at), str(problem)
    assert says in problem.message


def test_every_value_knows_its_line_and_column() -> None:
    root = parse_yaml(
        "version: 1\nstudies:\n  - name: A\n    data_sources: [CareX, 70002]\n", "f.yaml"
    )
    assert isinstance(root, MappingNode)
    studies = root.entries["studies"]
    assert isinstance(studies, SequenceNode)
    study = studies.items[0]
    assert isinstance(study, MappingNode)
    assert study.location == SourceLocation("f.yaml", 3, 5)
    assert study.key_location("data_sources") == SourceLocation("f.yaml", 4, 5)
    sources = study.entries["data_sources"]
    assert isinstance(sources, SequenceNode)
    assert [(s.value, s.location.column) for s in sources.items if isinstance(s, ScalarNode)] == [
        ("CareX", 20),
        (70002, 27),
    ]


def test_scalars_are_read_as_yaml_reads_them_and_keys_as_written() -> None:
    root = parse_yaml("on: yes\nn: 0x1F\nq: '7'\nd: 2024-01-02\nnothing: ~\n", "f.yaml")
    assert isinstance(root, MappingNode)
    values = {key: node.value for key, node in root.entries.items() if isinstance(node, ScalarNode)}
    assert values == {"on": True, "n": 31, "q": "7", "d": "2024-01-02", "nothing": None}


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    root = parse_yaml('"<<": 1\n', "f.yaml")
    assert isinstance(root, MappingNode)
    assert list(root.entries) == ["<<"]


def test_aliases_within_the_limit_are_shared_not_copied() -> None:
    root = parse_yaml("a: &scopes [omh:heart-rate:2.0]\nb: *scopes\n", "f.yaml")
    assert isinstance(root, MappingNode)
    assert root.entries["a"] is root.entries["b"]


def test_an_empty_file_is_no_document() -> None:
    assert parse_yaml("# only a comment\n", "f.yaml") is None


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    assert isinstance(load_yaml_bytes(codecs.BOM_UTF8 + b"a: 1\n", "f.yaml"), MappingNode)


def test_problems_in_one_file_are_all_reported() -> None:
    with pytest.raises(SpecError) as raised:
        parse_yaml("a: 1\na: 2\nb: !!python/name:os.system x\n", "f.yaml")
    assert [p.location.line for p in raised.value.problems if p.location] == [2, 3]


def test_a_value_at_the_end_of_a_file_without_a_final_line_break_is_on_its_last_line() -> None:
    root = parse_yaml("---", "f.yaml")
    assert isinstance(root, ScalarNode)
    assert root.location == SourceLocation("f.yaml", 1, 4)
    with pytest.raises(SpecError) as raised:
        load_desired([SpecSource("f.yaml", b"---")], environ={})
    (problem,) = raised.value.problems
    assert problem.location == SourceLocation("f.yaml", 1, 4)
