"""Busy loops that watch `sys.getswitchinterval()` while PIME calls wait for the GIL
(the prompt hand-off test)."""

import sys
import threading

_release = threading.Event()


def _spin(set_when_lowered=None):
    """Loops in pure Python until released; returns every switch interval it saw.
    With `set_when_lowered`, sets that interval (once) the first time it sees one
    lowered below 1 ms, as user code might while a task waits to start."""
    seen = set()
    switched = False
    while not _release.is_set():
        for _ in range(200):
            pass
        interval = sys.getswitchinterval()
        seen.add(interval)
        if set_when_lowered is not None and not switched and interval < 0.001:
            sys.setswitchinterval(set_when_lowered)
            switched = True
    return sorted(seen)


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
    raise KeyError(command)
