"""Brokers for async commands, generators, context."""

import asyncio
import threading

import pime

broker = pime.Broker()

_lock = threading.Condition()
_closed = []
_cancelled = []


@broker.command
async def nap(seconds, tag=None):
    """An async command: awaits on the engine's event loop, holds no worker thread."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        with _lock:
            _cancelled.append(tag)
            _lock.notify_all()
        raise
    return tag


@broker.command
def sync_echo(value):
    return value


@broker.command
def count(n, fail_at=None, tag=None):
    """A generator of 0..n; raises ValueError at `fail_at`; records when closed."""
    try:
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"failed at {i}")
            yield i
    finally:
        with _lock:
            _closed.append(tag)
            _lock.notify_all()


@broker.command
async def acount(n):
    """An async generator of 0..n."""
    for i in range(n):
        await asyncio.sleep(0)
        yield {"i": i}


def _wait_for_tag(tags, tag, what, timeout):
    """Blocks until `tag` is in `tags` (a notification, not a poll); returns them all."""
    with _lock:
        if not _lock.wait_for(lambda: tag in tags, timeout):
            raise TimeoutError(f"{tag!r} not {what} after {timeout} s")
        return list(tags)


@broker.command
def wait_closed(tag, timeout):
    """Blocks until the generator tagged `tag` was closed; returns all closed tags."""
    return _wait_for_tag(_closed, tag, "closed", timeout)


@broker.command
def wait_cancelled(tag, timeout):
    """Blocks until the coroutine tagged `tag` saw CancelledError."""
    return _wait_for_tag(_cancelled, tag, "cancelled", timeout)


@broker.command
def whoami():
    """The per-call context this task sees."""
    return pime.context()


@broker.command
async def whoami_async(seconds):
    await asyncio.sleep(seconds)
    return pime.context()


_kept = []


@broker.command
def fail_and_keep():
    """Raises, keeping the exception (and so its traceback and frames) alive."""
    try:
        raise RuntimeError("kept")
    except RuntimeError as error:
        _kept.append(error)
        raise
