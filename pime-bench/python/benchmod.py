"""The broker the PIME benchmark calls (pime-bench).

Every contender (PIME, the floor loop, the naive spawn_blocking approach) calls the
same `broker`, so differences in the figures come from how the call reaches Python.
"""

import threading
import time

# Set by the "release" command to end every running "spin" call.
_stop_spinning = threading.Event()


def broker(command, params):
    if command == "noop":
        return None
    if command == "echo":
        # The payload round trip: hand the rows straight back.
        return params["rows"]
    if command == "sleep":
        time.sleep(params["seconds"])
        return None
    if command == "spin":
        # CPU-bound pure Python until released: holds the GIL except at switch points.
        n = 0
        while not _stop_spinning.is_set():
            for _ in range(1000):
                n += 1
        return n
    if command == "arm":
        _stop_spinning.clear()
        return None
    if command == "release":
        _stop_spinning.set()
        return None
    raise KeyError(command)
