"""Plugin for `tests/tests/adversarial_host_nest.rs`: nesting through the host, and
two independent tasks that wait on each other through host gates."""

import time

import nest_app as app
import pime

broker = pime.Broker()


@broker.command
def nested(depth, mode):
    if depth == 0:
        return "bottom"
    nxt = {"sync": "sync", "async": "async", "alt": "async"}[mode]
    return app.nest(depth=depth - 1, mode=nxt if mode != "alt" else "alt_a")


@broker.command
async def nested_async(depth, mode):
    if depth == 0:
        return "bottom"
    return await app.aio.nest(depth=depth - 1, mode="alt" if mode == "alt_a" else mode)


@broker.command
def first():
    """Waits for gate `a` (opened by `second`), then opens `b`."""
    app.wait(gate="a")
    app.open(gate="b")
    return "first done"


@broker.command
def second():
    """Opens `a`, then waits for `b` (opened by `first` once it is past its wait)."""
    app.open(gate="a")
    app.wait(gate="b")
    return "second done"


@broker.command
def hold(gate):
    """Sits in a sync host call until `gate` opens."""
    app.wait(gate=gate)
    return "held"


@broker.command
def quick():
    return "quick"


@broker.command
def sleepy(seconds):
    time.sleep(seconds)
    return "slept"


@broker.command
async def aio_nested_while_busy(depth):
    return await app.aio.nest(depth=depth, mode="sync")
