"""Planning: from the spec and a live snapshot to a Plan, its safety check and its renderings.

    resolve.py      names in the spec -> live ids (ResolveError with every problem)
    preflight.py    what the server would refuse (PreflightError), and the plan's warnings
    diff.py         (resolved spec, live) -> Plan
    change.py       Change and its parts: small typed values, one per call, with dict form
    plan.py         Plan: pure data, stable order, counts, dict form, and its safety check
                    (refusals, thresholds, SafetyPolicy)
    impact.py       enrolled and consented patients a destructive change touches
    build.py        build_plan = resolve + diff + preflight + impact
    serialize.py    the json form read back, and saved plan files
    render/         text, json, markdown (formatting only), and a change in words

Nothing here does I/O: the snapshot (``jhe_sync.snapshot``) is read before, and the
CLI writes the output. It imports the snapshot's values (``jhe_sync.live``), the
identity rules (``jhe_sync.identity``), the API's names (``jhe_sync.resources``) and
the spec models; never the exchange, apply, lifecycle, the CLI or the emulator.
"""
