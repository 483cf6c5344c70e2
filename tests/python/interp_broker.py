"""The broker of the subinterpreter tests: which interpreter runs a call, values both
ways, exceptions, streams, context, a CPU-bound loop."""

import asyncio
import dataclasses
import enum
import threading

import pime

broker = pime.Broker()

# A module-level counter: each interpreter has its own copy of this module.
CALLS = 0


@broker.command
def where():
    """The interpreter and thread this call runs in, and how many calls it has served."""
    global CALLS
    CALLS += 1
    try:
        import _interpreters as interpreters  # 3.13
    except ImportError:
        import _xxsubinterpreters as interpreters  # 3.12
    current = interpreters.get_current()  # 3.13: (id, whence)
    return {
        "interpreter": int(current[0] if isinstance(current, tuple) else current),
        "thread": threading.current_thread().name,
        "calls": CALLS,
    }


@broker.command
def echo(value):
    return value


@broker.command
def fail(kind):
    if kind == "key":
        raise KeyError("missing")
    if kind == "system_exit":
        raise SystemExit(3)
    raise ValueError(f"bad {kind}")


@broker.command
def spin(n):
    """A pure-Python loop of `n` steps."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


@broker.command
def count(n):
    for i in range(n):
        yield i


@broker.command
async def async_count(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


@broker.command
async def later(x):
    await asyncio.sleep(0.01)
    return x * 2


@broker.command
def context():
    return pime.context()


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


@broker.command
def library():
    return {"color": Color.RED, "point": Point(1, 2), "set": {3, 1, 2}, "tuple": (1, "a")}


@broker.command
def unconvertible():
    return complex(1, 2)


@broker.command
def cyclic():
    items = []
    items.append(items)
    return items


@broker.command
def busy(seconds):
    """A pure-Python loop for `seconds` (holds this interpreter's GIL), then `where()`."""
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return where()


def thread_pool():
    """An executor factory, for the refused combination."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1)
