"""A `pime.Broker` with async commands, for the `defect_*` regression tests.

Unknown commands are an `UnknownCommandError` (the per-command stats test relies on
it). Waits are `threading.Condition` notifications with a timeout, never polls.
"""

import asyncio
import threading

import pime

broker = pime.Broker()

_lock = threading.Condition()
# (event, tag) pairs in the order they happened.
_events = []


def _record(event, tag):
    with _lock:
        _events.append((event, tag))
        _lock.notify_all()


@broker.command
def echo(value):
    return value


@broker.command
async def nap(seconds):
    """Holds no worker thread while it sleeps, only its place under the engine's bound."""
    await asyncio.sleep(seconds)


async def _raise_mine():
    await asyncio.sleep(0)
    raise asyncio.CancelledError("mine")


@broker.command
async def own_cancel():
    """Raises CancelledError from its own code: not a cancellation of the task."""
    await _raise_mine()


@broker.command
async def inner_cancelled():
    """Awaits an inner task that something else (a timer here) cancels."""
    inner = asyncio.ensure_future(asyncio.sleep(60))
    asyncio.get_running_loop().call_later(0.05, inner.cancel)
    await inner


@broker.command
def sync_cancel():
    """A sync command raising CancelledError."""
    raise asyncio.CancelledError("sync")


@broker.command
async def guarded(tag):
    """Sleeps for a minute, recording its start, a CancelledError and its `finally`."""
    _record("started", tag)
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        _record("cancelled", tag)
        raise
    finally:
        _record("finally", tag)
    return tag


@broker.command
def wait_event(event, tag, timeout):
    """Blocks until (event, tag) happened; returns every event of `tag` so far."""
    with _lock:
        if not _lock.wait_for(lambda: (event, tag) in _events, timeout):
            raise TimeoutError(f"{event} {tag!r} not seen after {timeout} s: {_events}")
        return [name for name, seen in _events if seen == tag]
