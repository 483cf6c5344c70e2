"""The broker of the matrix tests: one command of every kind for every event.

A plain module-level function, so process pools can pickle it by reference. It never
imports `pime` at module level: a process pool's children do not have it.
"""

import asyncio
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

_lock = threading.Condition()
_log = []
_gate = threading.Event()
_running = 0


def thread_pool():
    return ThreadPoolExecutor(max_workers=3, thread_name_prefix="matrix-pool")


def process_pool():
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


def release():
    """Opens the gate `hold` waits on (called by the test through the GIL)."""
    _gate.set()


def reset():
    _gate.clear()
    with _lock:
        _log.clear()


def logged():
    with _lock:
        return list(_log)


def _record(tag):
    with _lock:
        _log.append(tag)
        _lock.notify_all()


def _raise(kind):
    if kind == "Exception":
        raise ValueError("boom")
    if kind == "SystemExit":
        raise SystemExit("exit requested")
    if kind == "KeyboardInterrupt":
        raise KeyboardInterrupt("interrupted")
    if kind == "CancelledError":
        raise asyncio.CancelledError("cancelled by the broker")
    raise AssertionError(kind)


def _context():
    try:
        import pime
    except ImportError:  # a process pool's child
        return None
    return dict(pime.context())


def _deep(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def _sleep(seconds, tag):
    global _running
    with _lock:
        _running += 1
        _lock.notify_all()
    try:
        time.sleep(seconds)
    finally:
        with _lock:
            _running -= 1
        if tag is not None:
            _record(tag)
    return seconds


def wait_running(count, timeout):
    with _lock:
        return _lock.wait_for(lambda: _running >= count, timeout)


async def _asleep(seconds, tag):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        _record(f"{tag}:cancelled")
        raise
    _record(tag)
    return seconds


def _gen(n, tag):
    try:
        for i in range(n):
            yield i
    finally:
        _record(f"{tag}:closed")


async def _agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


def _graise(kind):
    yield 0
    _raise(kind)


async def _agraise(kind):
    yield 0
    _raise(kind)


async def _araise(kind):
    await asyncio.sleep(0)
    _raise(kind)


async def _avalue(x):
    await asyncio.sleep(0)
    return x


async def _aunconvertible():
    return object()


async def _acontext():
    return _context()


def _gcontext():
    yield _context()


def broker(command, params):
    p = params or {}
    tag = p.get("tag")
    if command == "value":
        if tag is not None:
            _record(tag)
        return p["x"]
    if command == "avalue":
        return _avalue(p["x"])
    if command == "gen":
        return _gen(p["n"], tag)
    if command == "agen":
        return _agen(p["n"])
    if command == "fail":
        _raise(p["kind"])
    if command == "afail":
        return _araise(p["kind"])
    if command == "gfail":
        return _graise(p["kind"])
    if command == "agfail":
        return _agraise(p["kind"])
    if command == "unconvertible":
        return object()
    if command == "aunconvertible":
        return _aunconvertible()
    if command == "gunconvertible":
        return iter([1, object()])
    if command == "echo":
        return p["value"]
    if command == "deep_result":
        return _deep(p["depth"])
    if command == "context":
        return _context()
    if command == "acontext":
        return _acontext()
    if command == "gcontext":
        return _gcontext()
    if command == "sleep":
        return _sleep(p["seconds"], tag)
    if command == "asleep":
        return _asleep(p["seconds"], tag)
    if command == "hold":
        if not _gate.wait(30):
            raise TimeoutError("nobody released the gate")
        return "released"
    if command == "wait_running":
        return wait_running(p["count"], p["timeout"])
    raise KeyError(command)
