"""The json form of a plan, for machines: ``plan_to_dict`` plus the safeguards' verdict.

Documented in ``specs/plan.schema.json``; keys and changes in a stable order.
"""

from __future__ import annotations

import json
from typing import IO

from jhe_sync.plan.plan import Plan
from jhe_sync.plan.render_options import RenderOptions
from jhe_sync.plan.serialize import plan_to_dict


def render_json(plan: Plan, stream: IO[str], options: RenderOptions | None = None) -> None:
    """Write the plan's json form; ``refusals`` is added when the safeguards were checked."""
    options = options or RenderOptions()
    document = plan_to_dict(plan)
    if options.refusals is not None:
        document["refusals"] = list(options.refusals)
    stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
