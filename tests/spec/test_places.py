"""Places are worked out when a problem needs one, also after loading: a name the
exchange does not know is shown at the file, line and column where it was written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

SPEC = """\
version: 1
templates:
  bp:
    description: BP at ${site}.
    data_sources: [CareX, Omron]
studies:
  - use: bp
    for_each: {site: [Lifespan Lab]}
    name: BP ${site}
    organization: ${site}
    scope_requests: [omh:blood-pressure:4.0]
    patients: [ll_patient_peter@example.com, nobody@example.com]
"""


def test_names_the_exchange_does_not_know_are_shown_where_they_were_written(
    jhe: Callable[..., Any], tmp_path: Path
) -> None:
    spec = tmp_path / "studies.yaml"
    spec.write_text(SPEC)
    run = jhe("plan", spec, "--url", f"local:{tmp_path / 'exchange.db'}")
    assert run.code == 1, run.err
    assert (
        f"{spec}:5:27: studies[bp-lifespan-lab].data_sources[1]: unknown data source" in run.err
    )  # in the template
    assert (
        f"{spec}:12:46: studies[bp-lifespan-lab].patients[1]: no patient" in run.err
    )  # in the entry
