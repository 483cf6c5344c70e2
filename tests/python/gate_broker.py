"""A broker with a gate the test opens through the GIL, for the engine-panic test:
`wait_gate` blocks (as an exclusive task: the engine thread itself) until `open_gate`."""

import threading
import time

_gate = threading.Event()


def open_gate():
    _gate.set()


def broker(command, params):
    if command == "wait_gate":
        if not _gate.wait(30):
            raise TimeoutError("nobody opened the gate")
        return "passed"
    if command == "sleep":
        time.sleep(params["seconds"])
        return params["seconds"]
    if command == "echo":
        return params["value"]
    raise KeyError(command)
