"""The broker most integration tests talk to: one small function per behaviour."""

import asyncio
import datetime
import gc
import logging
import threading
import time

_lock = threading.Condition()
_running = 0
_max_running = 0
_records = []


def echo(value):
    return value


def type_of(value):
    """The Python type name of what arrived, and its repr."""
    return [type(value).__name__, repr(value)]


def build(expr):
    """Builds a value the Rust side cannot convert (or can), by name."""
    cyclic = []
    cyclic.append(cyclic)
    cyclic_dict = {}
    cyclic_dict["self"] = cyclic_dict
    deep = []
    inner = deep
    for _ in range(300):
        inner.append([])
        inner = inner[0]
    values = {
        "set": {1, 2},
        "datetime_nested": [1, 2, 3, {"when": datetime.datetime(2020, 1, 1)}],
        "object": object(),
        "cyclic_list": cyclic,
        "cyclic_dict": cyclic_dict,
        "deep": deep,
        "big_int": 2**70,
        "negative_big_int": -(2**70),
        "u64_max": 2**64 - 1,
        "surrogate": "a\udcffb",
        "surrogate_key": {"a\udcff": 1},
        "nested_none": [None, {"k": None}],
        "tuple": (1, "two", 3.0),
        "bytearray": bytearray(b"\x00\x01"),
        "memoryview": memoryview(b"xyz"),
        "nan": float("nan"),
        "inf": float("inf"),
        "int_key": {1: "one", (1, 2): "tuple"},
        "bool_subclass_of_int": True,
    }
    return values[expr]


def sleep(seconds):
    global _running, _max_running
    with _lock:
        _running += 1
        _max_running = max(_max_running, _running)
        _lock.notify_all()
    try:
        time.sleep(seconds)
    finally:
        with _lock:
            _running -= 1
    return seconds


def wait_running(count, timeout):
    """Blocks until `count` sleeps run at once (call it as an exclusive task)."""
    with _lock:
        if not _lock.wait_for(lambda: _running >= count, timeout):
            raise TimeoutError(f"only {_running} of {count} sleeps running after {timeout} s")
        return _running


def max_running():
    with _lock:
        return _max_running


def record(tag):
    """Remembers `tag` (for no_wait and cancellation tests)."""
    with _lock:
        _records.append(tag)
        _lock.notify_all()


def sleep_then_record(seconds, tag):
    sleep(seconds)
    record(tag)
    return tag


def records():
    with _lock:
        return list(_records)


def wait_records(count, timeout):
    """Blocks until `count` records exist (a notification, not a poll)."""
    with _lock:
        if not _lock.wait_for(lambda: len(_records) >= count, timeout):
            raise TimeoutError(f"only {len(_records)} of {count} records after {timeout} s")
        return len(_records)


def hold(payload, seconds, started):
    """Says it has started (creates the file `started`), then sleeps `seconds` while
    `payload` is alive; returns its length."""
    with open(started, "w"):
        pass
    time.sleep(seconds)
    return len(payload)


async def hold_async(payload, seconds, started):
    """`hold` as a coroutine."""
    with open(started, "w"):
        pass
    await asyncio.sleep(seconds)
    return len(payload)


def hold_stream(payload, seconds, started):
    """`hold` as a generator of one item."""
    with open(started, "w"):
        pass
    time.sleep(seconds)
    yield len(payload)


def thread_ident():
    return threading.get_ident()


def object_count():
    gc.collect()
    return len(gc.get_objects())


def log(logger, message):
    logging.getLogger(logger).warning(message)


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")


def raise_(kind, message):
    errors = {
        "ValueError": ValueError,
        "KeyError": KeyError,
        "ZeroDivisionError": ZeroDivisionError,
        "SystemExit": SystemExit,
        "KeyboardInterrupt": KeyboardInterrupt,
        "CancelledError": asyncio.CancelledError,
        "GeneratorExit": GeneratorExit,
        "Unprintable": _Unprintable,
    }
    raise errors[kind](message)


def none():
    return None


def sigint_handler():
    """Imports `signal`, as many libraries do, and names Python's SIGINT record."""
    import signal

    return repr(signal.getsignal(signal.SIGINT))


COMMANDS = {
    name.rstrip("_"): fn
    for name, fn in dict(globals()).items()
    if callable(fn) and not name.startswith("_") and fn.__module__ == __name__
}


def broker(command, params):
    """`command` names a function above; `params` are its keyword arguments."""
    return COMMANDS[command](**(params or {}))

