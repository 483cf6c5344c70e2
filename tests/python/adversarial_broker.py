"""Adversarial broker for the adversarial_* tests: sleeps, busy loops, coroutines, generators."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pime

# Kept across importlib.reload (it re-executes the module in place).
_lock = globals().get("_lock") or threading.Condition()
_started = globals().get("_started", {})
_done = globals().get("_done", {})
_interrupts = globals().get("_interrupts", [])
_LOADS = globals().get("_LOADS", 0) + 1  # commands that saw a KeyboardInterrupt they should not have
_executor = None


def one_thread():
    global _executor
    _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adv-user")
    return _executor


def two_threads():
    global _executor
    _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="adv-user")
    return _executor


def _mark_started(tag):
    with _lock:
        _started[tag] = _started.get(tag, 0) + 1
        _lock.notify_all()


def _mark_done(tag):
    with _lock:
        _done[tag] = True
        _lock.notify_all()


def _busy(tag):
    _mark_started(tag)
    try:
        while True:
            pass
    finally:
        _mark_done(tag)


def _sleep(tag, seconds):
    _mark_started(tag)
    try:
        time.sleep(seconds)
    finally:
        _mark_done(tag)
    return seconds


def _guarded_sleep(seconds):
    # Must never see a KeyboardInterrupt: it has no timeout.
    try:
        time.sleep(seconds)
        x = 0
        for i in range(20000):
            x += i
        return x
    except KeyboardInterrupt:
        _interrupts.append("guarded_sleep")
        raise


def _wait_started(tag, timeout, count=1):
    with _lock:
        if not _lock.wait_for(lambda: _started.get(tag, 0) >= count, timeout):
            raise TimeoutError(f"{tag} not started")
    return tag


def _wait_done(tag, timeout):
    with _lock:
        return _lock.wait_for(lambda: _done.get(tag, False), timeout)


async def _async_sleep(tag, seconds):
    _mark_started(tag)
    try:
        await asyncio.sleep(seconds)
    finally:
        _mark_done(tag)
    return seconds


async def _async_busy(tag, seconds):
    _mark_started(tag)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
    finally:
        _mark_done(tag)
    return "async busy done"


def _gen(n, delay):
    for i in range(n):
        if delay:
            time.sleep(delay)
        yield i


def _gen_stuck(tag):
    yield 1
    _mark_started(tag)
    try:
        time.sleep(10**6)
    finally:
        _mark_done(tag)
    yield 2


def _gen_busy(tag):
    yield 1
    _mark_started(tag)
    try:
        while True:
            pass
    finally:
        _mark_done(tag)


def _gen_forever():
    i = 0
    while True:
        yield i
        i += 1





def broker(command, params):
    p = params or {}
    if command == "echo":
        return p.get("value")
    if command == "sleep":
        return _sleep(p.get("tag", "sleep"), p["seconds"])
    if command == "guarded_sleep":
        return _guarded_sleep(p["seconds"])
    if command == "busy":
        return _busy(p["tag"])
    if command == "wait_started":
        return _wait_started(p["tag"], p.get("timeout", 10.0), p.get("count", 1))
    if command == "wait_done":
        return _wait_done(p["tag"], p.get("timeout", 10.0))
    if command == "async_sleep":
        return _async_sleep(p.get("tag", "async_sleep"), p["seconds"])
    if command == "async_busy":
        return _async_busy(p["tag"], p["seconds"])
    if command == "gen":
        return _gen(p["n"], p.get("delay", 0))
    if command == "gen_stuck":
        return _gen_stuck(p["tag"])
    if command == "gen_busy":
        return _gen_busy(p["tag"])
    if command == "gen_forever":
        return _gen_forever()
    if command == "loads":
        return _LOADS
    if command == "started":
        return _started.get(p["tag"], 0)
    if command == "interrupts":
        return list(_interrupts)
    if command == "threads":
        return sorted(t.name for t in threading.enumerate())
    raise KeyError(command)



NOT_CALLABLE = 42
