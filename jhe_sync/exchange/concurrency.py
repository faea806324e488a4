"""Bounded concurrency for requests: run keyed tasks a few at a time, results by key.

Threads rather than asyncio (see DESIGN.md): ``Exchange`` is thread-safe, the emulator
in process is a synchronous WSGI app, and threads overlap the waiting on the server
with one code path for tests and production. In ``gather`` the first error raises once
the tasks already running have finished; the ones not started are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def gather_in(pool: ThreadPoolExecutor, tasks: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Run the tasks on ``pool`` (one the caller shares between several batches, to keep
    one bound); their results by key."""
    futures = {key: pool.submit(task) for key, task in tasks.items()}
    return {key: future.result() for key, future in futures.items()}


def gather(parallelism: int, tasks: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Run the tasks ``parallelism`` at a time; their results by key (the first error raises)."""
    if not tasks:
        return {}
    if parallelism <= 1 or len(tasks) == 1:
        return {key: task() for key, task in tasks.items()}
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="jhe-read") as pool:
        try:
            return gather_in(pool, tasks)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
