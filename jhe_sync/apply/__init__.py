"""Applying a plan to the exchange, and checking that a saved plan is still current.

check_fresh(exchange, plan)                       # apply --plan FILE: refuse a stale plan
result = apply_plan(exchange, plan, policy, ...)  # the writes, with their outcomes
result.ok / result.summary() / result.error()
"""

from jhe_sync.apply.executor import ENROLL_CHUNK, apply_plan
from jhe_sync.apply.fresh import check_exchange, check_fresh
from jhe_sync.apply.results import ApplyResult, ChangeResult, Outcome

__all__ = [
    "ENROLL_CHUNK",
    "ApplyResult",
    "ChangeResult",
    "Outcome",
    "apply_plan",
    "check_exchange",
    "check_fresh",
]
