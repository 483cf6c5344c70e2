"""Interrupts and a worker that serves the pool while it waits in a host call."""

import time

import app
import pime

broker = pime.Broker()
STATE = {"outer_done": False}


@broker.command
def spin(ms):
    """Pure Python for `ms` milliseconds: interruptible at any bytecode."""
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        pass
    return "spun"


@broker.command
def spin_via_host(ms):
    """Waits in a host call that sends `spin(ms)`, which runs on this same worker."""
    app.spin_nested(ms=ms)
    spin(ms)  # where a deferred interrupt lands: this task's own code
    STATE["outer_done"] = True
    return "not interrupted"


@broker.command
def outer_done():
    return STATE["outer_done"]
