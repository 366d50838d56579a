"""The threads where every embedding and classification runs, never the event loop.

A 5,000-character report once held a worker's event loop for 100-280 ms, and plain reads
waited behind it. Threads are enough: the encoder's forward pass is numpy (matrix products
and element-wise loops release the GIL; the pure-Python tokenizer is ~5% of the time), so a
loop waiting for the GIL waits at most a switch interval. With two threads encoding
5,000-character CJK texts non-stop, a loop's turns were 0.66 ms at the median and 15 ms at
p99 (measured on 2 busy cores). The pool is bounded: one thread per worker process by
default (compose runs 2 workers on 2 cores); more threads only queue the same CPU and slow
the loop (reads meanwhile took ~2x longer with 2 threads than with 1). Requests beyond it
wait for a thread, without blocking anything else.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

SWITCH_INTERVAL = 0.001
P = ParamSpec("P")
T = TypeVar("T")


class ModelWorkers:
    """A fixed number of threads for model work; `run` awaits a call made in one of them."""

    def __init__(self, threads: int) -> None:
        # The model thread's Python parts (tokenizer, n-grams) hold the GIL; the event loop,
        # waking for a socket or a database answer, waits up to one switch interval for it.
        # 1 ms instead of 5 halved reads' latency while long reports were classified.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="category-model")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))

    def shutdown(self) -> None:
        """Stop taking work; calls in progress finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
