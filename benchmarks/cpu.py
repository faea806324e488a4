"""Pure CPU: load + validate + diff of a large estate, with no network at all.

The spec files of the estate are written to a temporary folder and loaded as
``jhe-sync validate`` loads them (``load_desired``: YAML with locations, templates,
validation, cross-study checks); the live side is built in memory as the snapshot
``read_live`` would return for it; then ``build_plan`` resolves names and diffs, once
against a matching live side (an empty plan) and once against the drifted one.

    python benchmarks/cpu.py [--studies 5000] [--patients 50] [--profile]

``--profile`` runs each stage under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from estate import ORGANIZATIONS, Estate, Shape, drift, estate
from estate_files import write_specs

from jhe_sync.live import (
    Caller,
    Client,
    DataSource,
    Live,
    Organization,
    Patient,
    ScopeCode,
    Study,
    StudyLinks,
)

MARY = Caller(id=10002, email="manager_mary@example.com")
"""manager_mary, the default local user, who manages the estate's organizations."""


def live_of(current: Estate) -> Live:
    """The snapshot ``read_live`` would return for an exchange holding ``current``."""
    from jhe_sync.emulator import seed

    apps = [a for a in seed.APPLICATIONS if a.invitation_url is not None]
    return Live(
        caller=MARY,
        organizations={
            org_id: Organization(
                id=org_id,
                name=name,
                type=kind,
                part_of=part_of,
                role="manager" if org_id in ORGANIZATIONS else None,
            )
            for org_id, name, kind, part_of in seed.ORGANIZATIONS
        },
        scopes={
            i: ScopeCode(id=i, system=system, code=code, text=text)
            for i, system, code, text in seed.SCOPE_CODES
        },
        data_sources={
            i: DataSource(id=i, name=name, type=kind, supported_scope_ids=frozenset(scopes))
            for i, name, kind, _, scopes in seed.DATA_SOURCES
        },
        clients={a.id: Client(id=a.id, name=a.name, client_id=a.client_id) for a in apps},
        studies={
            s.id: Study(
                id=s.id,
                name=s.name,
                description=s.description,
                organization_id=s.organization_id,
                icon_url=s.icon_url,
            )
            for s in current.studies
        },
        links={
            s.id: StudyLinks(
                scope_ids=frozenset(s.scope_ids),
                data_source_ids=frozenset(s.data_source_ids),
                client_ids=frozenset(s.client_ids),
                patient_ids=frozenset(s.patient_ids),
            )
            for s in current.studies
        },
        patients={
            p.id: Patient(id=p.id, email=p.email, organization_ids=frozenset({p.organization_id}))
            for p in current.patients
        },
        read_organization_ids=frozenset(ORGANIZATIONS),
    )


def measure(studies: int, patients: int, profile: bool = False, repeat: int = 1) -> dict[str, Any]:
    """Seconds to load the spec and to diff it against a matching and a drifted live
    side; the best of ``repeat`` runs of each (the machine may be busy with other work)."""
    from jhe_sync.plan.build import build_plan
    from jhe_sync.spec import load_desired

    shape = Shape(studies, patients)
    spec = estate(shape)
    drifted = drift(spec)
    matching_live, drifted_live = live_of(spec), live_of(drifted.live)
    loads, diffs, drifted_diffs = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        write_specs(spec, Path(folder))
        for _ in range(max(1, repeat)):
            desired = plan = drifted_plan = None  # a repeat's peak memory is one run's
            desired, seconds = _timed(lambda: load_desired([folder], environ={}), "load", profile)
            loads.append(seconds)
            plan, seconds = _timed(partial(build_plan, desired, matching_live), "diff", profile)
            diffs.append(seconds)
            assert plan.empty, plan.counts.summary()
            drifted_plan, seconds = _timed(
                partial(build_plan, desired, drifted_live), "diff of the drifted estate", profile
            )
            drifted_diffs.append(seconds)
    return {
        "studies": len(desired.studies),
        "enrollments": sum(len(s.patient_ids) for s in spec.studies),
        "repeat": max(1, repeat),
        "load_s": min(loads),
        "diff_s": min(diffs),
        "total_s": min(loads) + min(diffs),
        "drifted_diff_s": min(drifted_diffs),
        "drifted_changes": len(drifted_plan.changes),
    }


def _timed(work: Any, stage: str, profile: bool) -> tuple[Any, float]:
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    value = work()
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler is not None:
        print(f"\n== {stage}: {elapsed:.2f} s (under cProfile) ==")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)
    return value, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=5000)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    figures = measure(options.studies, options.patients, options.profile, options.repeat)
    print(
        f"{figures['studies']} studies, {figures['enrollments']} enrollments: "
        f"load {figures['load_s']:.2f} s + diff {figures['diff_s']:.2f} s = "
        f"{figures['total_s']:.2f} s (drifted diff {figures['drifted_diff_s']:.2f} s, "
        f"{figures['drifted_changes']} changes)"
    )


if __name__ == "__main__":
    main()
