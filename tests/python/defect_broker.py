"""A plain-function broker for the `defect_*` regression tests.

Every wait in here is a `threading.Condition` notification with a timeout, never a
poll, so a test that goes wrong fails with a `TimeoutError` instead of hanging. Any
command it does not know by name succeeds and returns the command (the per-command
stats test needs a broker for which every name is a known command).
"""

import functools
import sys
import threading
import time

_lock = threading.Condition()
_gate = threading.Event()
# How many calls of each kind are running / have started, by name.
_running = {}
# Generators: items produced per tag, tags whose `finally` ran.
_produced = {}
_closed = []
# Busy loops: tags that started, tags whose `finally` ran.
_busy_started = []
_busy_done = []
# Generators started (to tell a refused stream never reached the broker).
GENERATORS_STARTED = 0


def _count_running(kind, delta):
    with _lock:
        _running[kind] = _running.get(kind, 0) + delta
        _lock.notify_all()


def _wait(predicate, what, timeout):
    with _lock:
        if not _lock.wait_for(predicate, timeout):
            raise TimeoutError(f"{what} not seen after {timeout} s")


def open_gate():
    """Called by the tests straight through the GIL (not as a task: the engine's bound
    may be full)."""
    _gate.set()


def _block():
    """Waits behind the gate (at most 60 s)."""
    _count_running("block", 1)
    if not _gate.wait(60):
        raise TimeoutError("nobody opened the gate")
    return "passed"


def _sleep(seconds):
    _count_running("sleep", 1)
    time.sleep(seconds)
    return seconds


def _wait_running(kind, count, timeout):
    _wait(lambda: _running.get(kind, 0) >= count, f"{count} {kind} calls", timeout)
    return _running[kind]


def _recurse(depth):
    """Recurses `depth` levels through `functools.lru_cache`, whose C wrapper puts a C
    frame on the thread's stack at each level (plain Python-to-Python calls would not
    on 3.11): about 4,000 levels overflow a 2 MiB stack, and fit in 8 MiB."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))

    @functools.lru_cache(maxsize=None)
    def down(n):
        return 0 if n == 0 else down(n - 1) + 1

    return down(depth)


def _forever(tag):
    """An infinite generator that counts what it produced and records its closing."""
    global GENERATORS_STARTED
    with _lock:
        GENERATORS_STARTED += 1
        _lock.notify_all()
    i = 0
    try:
        while True:
            with _lock:
                _produced[tag] = i + 1
                _lock.notify_all()
            yield i
            i += 1
    finally:
        with _lock:
            _closed.append(tag)
            _lock.notify_all()


def _wait_produced(tag, count, timeout):
    _wait(lambda: _produced.get(tag, 0) >= count, f"{count} items of {tag!r}", timeout)
    return _produced[tag]


def produced(tag):
    """How many items the generator tagged `tag` produced (read through the GIL)."""
    with _lock:
        return _produced.get(tag, 0)


def wait_closed(tag, timeout):
    """Whether the generator tagged `tag` was closed within `timeout` (through the GIL)."""
    with _lock:
        return _lock.wait_for(lambda: tag in _closed, timeout)


def _busy(tag):
    """A pure-Python busy loop: no sleep, no C call that releases the GIL."""
    with _lock:
        _busy_started.append(tag)
        _lock.notify_all()
    try:
        while True:
            pass
    finally:
        with _lock:
            _busy_done.append(tag)
            _lock.notify_all()


def _wait_busy(tag, timeout):
    _wait(lambda: tag in _busy_started, f"busy loop {tag!r} started", timeout)
    return tag


def busy_done(tag, timeout):
    """Whether the busy loop tagged `tag` ended (its `finally` ran) within `timeout`."""
    with _lock:
        return _lock.wait_for(lambda: tag in _busy_done, timeout)


def broker(command, params):
    params = params or {}
    if command == "echo":
        return params["value"]
    if command == "block":
        return _block()
    if command == "sleep":
        return _sleep(params["seconds"])
    if command == "wait_running":
        return _wait_running(**params)
    if command == "recurse":
        return _recurse(params["depth"])
    if command == "forever":
        return _forever(params["tag"])
    if command == "wait_produced":
        return _wait_produced(**params)
    if command == "generators_started":
        return GENERATORS_STARTED
    if command == "busy":
        return _busy(params["tag"])
    if command == "wait_busy":
        return _wait_busy(**params)
    if command == "busy_done":
        return busy_done(params["tag"], 0)
    if command == "switch_interval":
        return sys.getswitchinterval()
    if command == "nan_keys":
        return {float("nan"): 1, float("nan"): 2}
    if command == "memoryview_keys":
        # Unequal in Python (a 'c' view compares items as 1-byte bytes, a bytes object
        # as ints) with equal hashes, so two keys; both become `Bytes(b"a")`.
        return {b"a": 1, memoryview(b"a").cast("c"): 2}
    if command == "memoryview_same_key":
        # Equal in Python: one key already there (the later value wins).
        return {b"a": 1, memoryview(b"a"): 2}
    return command
