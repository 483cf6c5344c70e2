"""Hostile coroutines in subinterpreters."""

import asyncio
import sys

import pime

broker = pime.Broker()
_background = []


@broker.command
async def ok(x):
    await asyncio.sleep(0)
    return x


@broker.command
async def stop_loop():
    asyncio.get_running_loop().stop()
    await asyncio.sleep(0.01)
    return "after stop"


@broker.command
async def close_loop():
    asyncio.get_running_loop().close()
    return "closed?"


@broker.command
async def exit_in_coroutine():
    await asyncio.sleep(0)
    sys.exit(4)


@broker.command
async def keyboard_in_coroutine():
    await asyncio.sleep(0)
    raise KeyboardInterrupt("kbd")


@broker.command
async def own_cancel():
    raise asyncio.CancelledError("mine")


@broker.command
async def leave_background():
    async def forever():
        while True:
            await asyncio.sleep(0.01)
    _background.append(asyncio.get_running_loop().create_task(forever()))
    return len(_background)


@broker.command
async def slow(seconds):
    await asyncio.sleep(seconds)
    return seconds


@broker.command
def sync_asyncio_run():
    async def inner():
        await asyncio.sleep(0)
        return "ran"
    return asyncio.run(inner())


@broker.command
def sync_close_current_loop():
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError as e:
        return f"no loop: {e}"
    loop.close()
    return "closed"


@broker.command
async def agen_exit():
    yield 1
    raise SystemExit(5)


@broker.command
async def agen_cancel():
    yield 1
    raise asyncio.CancelledError()
