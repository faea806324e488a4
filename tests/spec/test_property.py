"""Whatever bytes or text a spec file holds, loading it ends in a Desired or a SpecError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jhe_sync.errors import SpecError
from jhe_sync.spec import SpecSource, load_desired

YAMLISH = st.lists(
    st.sampled_from(
        [
            "version: 1\n",
            "studies:\n",
            "  - ",
            "name: ",
            "use: t\n",
            "for_each: ",
            "{site: [a, b]}",
            "templates:\n",
            "  t: ",
            "${site}",
            "${env:X}",
            "$${",
            "&a ",
            "*a",
            "!!python/object ",
            "[",
            "]",
            "{",
            "}",
            ", ",
            ": ",
            "\t",
            "\n",
            "    ",
            "- ",
            "<<: ",
            "'",
            '"',
            "~",
            "123",
            "omh:heart-rate:2.0",
            "x@example.com",
            "organization: 1\n",
            "description: d\n",
        ]
    ),
    max_size=40,
).map("".join)


def _load(source: SpecSource) -> None:
    try:
        load_desired([source], environ={"X": "1"})
    except SpecError as error:
        assert error.problems


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_load_or_raise_a_spec_error(data: bytes) -> None:
    _load(SpecSource("fuzz.yaml", data))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_loads_or_raises_a_spec_error(text: str) -> None:
    _load(SpecSource.from_text(text, "fuzz.yaml"))


@settings(max_examples=200, deadline=None)
@given(YAMLISH)
def test_any_spec_shaped_text_loads_or_raises_a_spec_error(text: str) -> None:
    _load(SpecSource.from_text(text, "fuzz.yaml"))
