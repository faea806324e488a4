"""Planning: from the spec and a live snapshot to a Plan, its safety check and its renderings.

    lookup.py       finding an organization, scope, data source, client or patient by name
    resolve.py      names in the spec -> live ids (ResolveError with every problem)
    identity.py     which live study a spec entry stands for (pin, org + name, previous names)
    preflight.py    what the server would refuse (PreflightError), and the plan's warnings
    diff.py         (resolved spec, live) -> Plan
    kind.py         ChangeKind: what a change does, in the order apply runs them
    impact.py       enrolled and consented patients a destructive change touches
    build.py        build_plan = resolve + diff + preflight + impact
    safety.py       the safeguards apply checks (Plan.refusals / raise_if_unsafe)
    serialize.py    the json form and saved plan files
    wording.py      a change in words, shared by the renderers and the safety messages
    render*.py      text, json, markdown (formatting only); render.py dispatches by format

Nothing here does I/O; the CLI reads the snapshot and writes the output.
"""
