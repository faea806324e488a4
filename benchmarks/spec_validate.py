"""How long ``load_desired`` (what ``jhe-sync validate`` runs) takes on many templated studies.

Writes a spec directory to a temporary folder, then times loading, expanding and
validating it. Two shapes of the same size:

- entries: one file per site, each study its own entry with ``use:`` of a shared
  template (in a file of its own) and a few fields of its own;
- for_each: one entry stamped over sites x cohorts with ``for_each``.

Run it from the repository root:

    PYTHONPATH=. python benchmarks/spec_validate.py [--studies 1000] [--repeat 7]

It prints the best and median wall time of each shape. Not a test: figures vary by
machine; benchmarks/README.md records one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from jhe_sync.spec import load_desired

SITES = ("Lifespan Lab", "Saturn School of Data Science", "Planetary Research Institute")

TEMPLATES = """\
version: 1
templates:
  bp-monitoring:
    description: Remote blood pressure monitoring at ${site}, cohort ${cohort}.
    scope_requests: [omh:blood-pressure:4.0, omh:heart-rate:2.0]
    data_sources: [CareX, iHealth]
    clients: [CareX]
  glucose:
    description: Continuous glucose monitoring at ${site}, cohort ${cohort}.
    scope_requests: [omh:blood-glucose:4.0]
    data_sources: [Dexcom]
"""


def write_entries(folder: Path, studies: int, per_file: int = 50) -> None:
    """One file per block of ``per_file`` studies, each study an entry using a template."""
    (folder / "templates.yaml").write_text(TEMPLATES)
    for start in range(0, studies, per_file):
        site = SITES[(start // per_file) % len(SITES)]
        lines = ["version: 1", "vars:", f"  site: {site}", "studies:"]
        for number in range(start, min(start + per_file, studies)):
            template = "bp-monitoring" if number % 2 else "glucose"
            lines += [
                f"  - use: {template}",
                f"    name: Cohort {number} at ${{site}}",
                f"    key: cohort-{number}",
                "    organization: ${site}",
                "    for_each: {cohort: [" + str(number) + "]}",
                "    patients:",
                f"      - patient_{number}@example.com",
                f"      - identifier: {{system: 'urn:oid:1.2.3.4', value: E{number}}}",
            ]
        (folder / f"site-{start // per_file:03d}.yaml").write_text("\n".join(lines) + "\n")


def write_for_each(folder: Path, studies: int) -> None:
    """One entry stamped over sites x cohorts (at least ``studies`` of them)."""
    cohorts = -(-studies // len(SITES))
    (folder / "templates.yaml").write_text(TEMPLATES)
    (folder / "studies.yaml").write_text(
        "version: 1\n"
        "studies:\n"
        "  - use: bp-monitoring\n"
        "    for_each:\n"
        f"      site: [{', '.join(SITES)}]\n"
        f"      cohort: [{', '.join(str(n) for n in range(cohorts))}]\n"
        "    name: BP cohort ${cohort} at ${site}\n"
        "    organization: ${site}\n"
    )


def time_load(folder: Path, repeat: int) -> tuple[int, float, float]:
    """(studies loaded, best seconds, median seconds) over ``repeat`` runs."""
    times = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        desired = load_desired([folder])
        times.append(time.perf_counter() - start)
        count = len(desired.studies)
    return count, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    for shape, write in (("entries", write_entries), ("for_each", write_for_each)):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write(folder, options.studies)
            files = len(list(folder.glob("*.yaml")))
            count, best, median = time_load(folder, options.repeat)
        print(
            f"{shape:9} {count} studies in {files} files: "
            f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms ({options.repeat} runs)"
        )


if __name__ == "__main__":
    main()
