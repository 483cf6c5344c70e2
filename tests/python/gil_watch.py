"""Busy loops that watch `sys.getswitchinterval()` while PIME calls wait for the GIL
(the prompt hand-off test)."""

import os
import sys
import threading
import warnings

_release = threading.Event()

# The switch interval each forked child saw (see `fork_when_lowered`).
_child_intervals = []


def _spin(set_when_lowered=None, fork_when_lowered=False):
    """Loops in pure Python until released; returns every switch interval it saw.
    With `set_when_lowered`, sets that interval (once) the first time it sees one
    lowered below 1 ms, as user code might while a task waits to start. With
    `fork_when_lowered`, forks then (once), as `multiprocessing` may: the child reports
    the interval it starts with."""
    seen = set()
    switched = False
    while not _release.is_set():
        for _ in range(200):
            pass
        interval = sys.getswitchinterval()
        seen.add(interval)
        if interval < 0.001 and not switched:
            if set_when_lowered is not None:
                sys.setswitchinterval(set_when_lowered)
                switched = True
            if fork_when_lowered:
                _child_intervals.append(_interval_in_a_child())
                switched = True
    return sorted(seen)


def _interval_in_a_child():
    read, write = os.pipe()
    with warnings.catch_warnings():
        # 3.12+ warns that forking a process with threads may deadlock the child; this
        # one only reads a number and writes it.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.write(write, repr(sys.getswitchinterval()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return float(text)


def broker(command, params):
    if command == "arm":
        _release.clear()
        return None
    if command == "release":
        _release.set()
        return None
    if command == "spin":
        return _spin(**params)
    if command == "noop":
        return None
    if command == "interval":
        return sys.getswitchinterval()
    if command == "child_intervals":
        return list(_child_intervals)
    raise KeyError(command)
