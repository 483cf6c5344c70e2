"""The broker behind tests/tests/typed_streams.rs: generators read from Rust as typed
`pime::PyStream`s. Every generator records its tag when it is closed, so the test can
see that an early end (a drop, a decode error) closes it."""

import asyncio
import threading

import pime

broker = pime.Broker()

_lock = threading.Condition()
_closed = []


def _record_closed(tag):
    with _lock:
        _closed.append(tag)
        _lock.notify_all()


@broker.command
def points(n: int, tag: str):
    """`n` points as dicts; every other one has a label."""
    try:
        for i in range(n):
            yield {"x": float(i), "y": -0.5 * i, "label": f"p{i}" if i % 2 else None}
    finally:
        _record_closed(tag)


@broker.command
def mixed(good: int, tag: str):
    """`good` ints, then a str, then ints without end (only a close stops it)."""
    try:
        i = 0
        while True:
            yield "not a number" if i == good else i
            i += 1
    finally:
        _record_closed(tag)


@broker.command
def failing(n: int, fail_at: int, tag: str):
    """0..n, raising ValueError at `fail_at`."""
    try:
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"failed at {i}")
            yield i
    finally:
        _record_closed(tag)


@broker.command
async def words(text: str):
    """An async generator of the words of `text`."""
    for word in text.split():
        await asyncio.sleep(0)
        yield word


@broker.command
def scalar() -> int:
    """Not a generator: reading it as a stream is an error."""
    return 7


@broker.command
def wait_closed(tag: str, timeout: float) -> list:
    """Blocks until the generator tagged `tag` was closed; returns every closed tag."""
    with _lock:
        if not _lock.wait_for(lambda: tag in _closed, timeout):
            raise TimeoutError(f"generator {tag!r} not closed after {timeout} s")
        return list(_closed)
