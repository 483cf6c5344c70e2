"""A broker that leaves its own threads running: non-daemon threads blocked on an
event, one spinning in pure Python (holding the GIL whenever it can), and a private
ThreadPoolExecutor that is never shut down."""

import threading
from concurrent.futures import ThreadPoolExecutor

_release = threading.Event()
_threads = []
_pools = []


def _wait_for_release():
    _release.wait()


def _spin():
    n = 0
    while not _release.is_set():
        n += 1


def _start_threads(waiting):
    for i in range(waiting):
        thread = threading.Thread(target=_wait_for_release, name=f"user-waiting-{i}", daemon=False)
        thread.start()
        _threads.append(thread)
    spinner = threading.Thread(target=_spin, name="user-spinning", daemon=False)
    spinner.start()
    _threads.append(spinner)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="user-pool")
    for _ in range(2):
        pool.submit(_wait_for_release)
    _pools.append(pool)
    return alive()


def alive():
    """The user threads still running (the pool's workers included)."""
    return sorted(
        t.name
        for t in threading.enumerate()
        if t.name.startswith("user-") and t.is_alive() and not t.daemon
    )


def release(timeout):
    """Lets every user thread end and joins them (called by the test through the GIL)."""
    _release.set()
    for thread in _threads:
        thread.join(timeout)
    for pool in _pools:
        pool.shutdown(wait=True)
    return alive()


def broker(command, params):
    if command == "start_threads":
        return _start_threads(**params)
    if command == "alive":
        return alive()
    if command == "echo":
        return params["value"]
    raise KeyError(command)
