"""Plugin for `adversarial_host_stop*.rs` and `adversarial_host_cancel.rs`: host calls
that never end, host calls from the broker's own threads, across stop and relaunch."""

import asyncio
import concurrent.futures
import threading
import time

import pime
import stop_app as app

broker = pime.Broker()

# What the background thread saw, kept across launches (the module stays imported).
seen = []
_thread = None
_stop_thread = threading.Event()
stored_sync = app.version
stored_aio = app.aio.version


def _loop():
    while not _stop_thread.is_set():
        try:
            seen.append(("ok", app.version()))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            seen.append((type(error).__name__, str(error)))
        time.sleep(0.01)


@broker.command
def start_thread():
    global _thread
    _stop_thread.clear()
    _thread = threading.Thread(target=_loop, daemon=True)
    _thread.start()
    return True


@broker.command
def thread_report():
    """Distinct outcomes the background thread saw, in order of first appearance."""
    _stop_thread.set()
    _thread.join(5)
    out = []
    for kind, text in seen:
        key = f"{kind}: {text}"
        if key not in out:
            out.append(key)
    seen.clear()
    return out


@broker.command
def forever():
    app.forever()
    return "ended"


@broker.command
async def forever_async():
    await app.aio.forever()
    return "ended"


@broker.command
def quick():
    return app.version()


@broker.command
def stored():
    out = {}
    try:
        out["sync"] = stored_sync()
    except BaseException as error:  # noqa: BLE001
        out["sync"] = f"{type(error).__name__}: {error}"
    return out


@broker.command
async def stored_async():
    try:
        return await stored_aio()
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


def _start_filling(fill):
    """Starts a threading.Thread running `fill(result)`; the thread and `result` (a
    dict, with "error" when `fill` raised)."""
    result = {}

    def run():
        try:
            fill(result)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            result["error"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _joined(fill, seconds):
    """`fill(result)` in a threading.Thread joined for at most `seconds`: `result`."""
    thread, result = _start_filling(fill)
    thread.join(seconds)
    return result if not thread.is_alive() else f"thread still running after {seconds} s"


@broker.command
def from_thread():
    """Calls the host from a threading.Thread the broker starts."""

    def fill(result):
        result["v"] = app.version()
        result["ctx"] = app.context_keys()
        result["u"] = app.slow_echo(text="t")

    return _joined(fill, 10)


@broker.command
def from_executor(n):
    """Calls the host from a ThreadPoolExecutor inside the broker."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(app.slow_echo, text=str(i)) for i in range(n)]
        return [f.result(timeout=10) for f in futures]


@broker.command
def nested_from_thread():
    """A broker thread's host call that calls back into Python, while this (the only)
    pool worker waits for the thread in `join` - not in a host call."""

    def fill(result):
        result["v"] = app.call_quick()

    return _joined(fill, 8)


@broker.command
async def aio_from_other_loop():
    """`aio` awaited in a fresh event loop of a broker thread."""

    async def go():
        return await app.aio.slow_echo(text="x")

    def fill(result):
        result["v"] = asyncio.run(go())

    thread, result = _start_filling(fill)
    await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
    return result


async def _cancel_each(n, turn_first):
    """Starts `n` aio `forever` host calls one after the other and cancels each (after
    one loop turn when `turn_first`); returns how many ended cancelled."""
    cancelled = 0
    for _ in range(n):
        pending = asyncio.ensure_future(app.aio.forever())
        if turn_first:
            await asyncio.sleep(0)
        pending.cancel()
        try:
            await pending
        except asyncio.CancelledError:
            cancelled += 1
    return cancelled


@broker.command
async def cancel_many(n):
    """Starts and cancels `n` aio host calls; returns how many ended cancelled."""
    return await _cancel_each(n, turn_first=True)


@broker.command
async def cancel_before_start(n):
    """Cancels `n` aio host calls before the loop ever ran them."""
    return await _cancel_each(n, turn_first=False)


@broker.command
async def aio_not_awaited(n):
    """Creates `n` aio awaitables and drops them without awaiting."""
    for _ in range(n):
        app.aio.forever()
    return n


@broker.command
async def timeout_aio():
    try:
        await asyncio.wait_for(app.aio.forever(), 0.05)
    except asyncio.TimeoutError:
        return "timed out"
    return "no timeout"


@broker.command
async def panic_in_drop():
    pending = asyncio.ensure_future(app.aio.panics_when_dropped())
    await asyncio.sleep(0.05)
    pending.cancel()
    try:
        await pending
    except asyncio.CancelledError:
        return "cancelled"
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"
    return "no error"
