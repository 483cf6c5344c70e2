"""A broker whose `stuck` command never returns (it sleeps for 11 days), for the
stop-timeout test; it counts how many are running so the test can wait for them."""

import threading
import time

_running = threading.Condition()
_count = 0


def _stuck():
    global _count
    with _running:
        _count += 1
        _running.notify_all()
    time.sleep(10**6)
    return "woke up"


def _wait_running(count, timeout):
    with _running:
        if not _running.wait_for(lambda: _count >= count, timeout):
            raise TimeoutError(f"only {_count} of {count} stuck tasks running after {timeout} s")
        return _count


def broker(command, params):
    if command == "stuck":
        return _stuck()
    if command == "wait_running":
        return _wait_running(**params)
    if command == "echo":
        return params["value"]
    raise KeyError(command)
