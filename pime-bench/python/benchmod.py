"""The broker the PIME benchmark calls (pime-bench).

Every contender (PIME, the floor loop, the naive spawn_blocking approach) calls the
same `broker`, so differences in the figures come from how the call reaches Python.
"""

import asyncio
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# Set by the "release" command to end every running "spin" call.
_stop_spinning = threading.Event()

# The executor of the CPU-bound rows, kept to shut it down (the engine does not).
_process_pool = None

# Worker processes of the process-pool row (compared with 2 threads).
PROCESS_POOL_WORKERS = 2


def process_pool():
    """The executor factory of the CPU-bound row: worker processes started with "spawn"
    (forking a threaded Rust program is unsafe). They import this module to unpickle
    `broker`, from the `sys.path` the engine set up."""
    global _process_pool
    _process_pool = ProcessPoolExecutor(
        max_workers=PROCESS_POOL_WORKERS, mp_context=multiprocessing.get_context("spawn")
    )
    return _process_pool


def shutdown_process_pool():
    """Ends the worker processes of `process_pool()` (called after the engine stopped)."""
    global _process_pool
    if _process_pool is not None:
        _process_pool.shutdown(wait=True)
        _process_pool = None


async def _sleep_async(seconds):
    await asyncio.sleep(seconds)


def broker(command, params):
    if command == "noop":
        return None
    if command == "echo":
        # The payload round trip: hand the rows straight back.
        return params["rows"]
    if command == "sleep":
        time.sleep(params["seconds"])
        return None
    if command == "async_sleep":
        # An async command: the broker hands back a coroutine. PIME awaits it on its
        # event loop; the naive contender runs it with asyncio.run on its own thread.
        return _sleep_async(params["seconds"])
    if command == "spin":
        # CPU-bound pure Python until released: holds the GIL except at switch points.
        n = 0
        while not _stop_spinning.is_set():
            for _ in range(1000):
                n += 1
        return n
    if command == "cpu":
        # CPU-bound pure Python for a fixed number of steps: holds the GIL throughout
        # (but for switch points), so threads run such calls one at a time.
        total = 0
        for i in range(params["n"]):
            total += i * i
        return total
    if command == "arm":
        _stop_spinning.clear()
        return None
    if command == "release":
        _stop_spinning.set()
        return None
    raise KeyError(command)
