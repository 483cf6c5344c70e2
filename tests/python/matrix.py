"""The broker of the matrix tests: one command of every kind for every event.

A plain module-level function, so process pools can pickle it by reference. It never
imports `pime` at module level: a process pool's children do not have it.

With `PIME_MATRIX_DIR` set (the subinterpreter matrix), the log, the gate and the count
of running sleeps live in files there, so that every interpreter of the process — the
workers' and the main one the test inspects through — sees the same state.
"""

import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

_lock = threading.Condition()
_log = []
_gate = threading.Event()
_running = 0


def thread_pool():
    return ThreadPoolExecutor(max_workers=3, thread_name_prefix="matrix-pool")


def process_pool():
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


_SHARED = os.environ.get("PIME_MATRIX_DIR")


def _shared(name):
    return os.path.join(_SHARED, name)


def release():
    """Opens the gate `hold` waits on (called by the test through the GIL)."""
    if _SHARED:
        open(_shared("gate"), "w").close()
    _gate.set()


def reset():
    _gate.clear()
    if _SHARED:
        for name in ("gate", "log"):
            if os.path.exists(_shared(name)):
                os.remove(_shared(name))
        os.makedirs(_shared("running"), exist_ok=True)
    with _lock:
        _log.clear()


def logged():
    if _SHARED:
        if not os.path.exists(_shared("log")):
            return []
        with open(_shared("log")) as log:
            return log.read().splitlines()
    with _lock:
        return list(_log)


def _record(tag):
    if _SHARED:
        # One small O_APPEND write: whole lines, whichever interpreter writes.
        fd = os.open(_shared("log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, (f"{tag}\n").encode())
        finally:
            os.close(fd)
        return
    with _lock:
        _log.append(tag)
        _lock.notify_all()


def _poll(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


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
    marker = _shared(os.path.join("running", uuid.uuid4().hex)) if _SHARED else None
    if marker:
        os.makedirs(_shared("running"), exist_ok=True)
        open(marker, "w").close()
    with _lock:
        _running += 1
        _lock.notify_all()
    try:
        time.sleep(seconds)
    finally:
        with _lock:
            _running -= 1
        if marker:
            os.remove(marker)
        if tag is not None:
            _record(tag)
    return seconds


def wait_running(count, timeout):
    if _SHARED:
        os.makedirs(_shared("running"), exist_ok=True)
        return _poll(lambda: len(os.listdir(_shared("running"))) >= count, timeout)
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
        opened = _poll(lambda: os.path.exists(_shared("gate")), 30) if _SHARED else _gate.wait(30)
        if not opened:
            raise TimeoutError("nobody released the gate")
        return "released"
    if command == "wait_running":
        return wait_running(p["count"], p["timeout"])
    raise KeyError(command)
