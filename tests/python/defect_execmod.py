"""A `pime.Broker` and a user's `ThreadPoolExecutor(2)`, for the regression test of
what tasks on a user's executor get: async commands, per-task context, timings."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pime

broker = pime.Broker()


def thread_pool():
    """The executor factory: a user-owned pool of two threads."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="defect-pool")


@broker.command
def where():
    return threading.current_thread().name


@broker.command
async def anap(value):
    await asyncio.sleep(0.01)
    return value


@broker.command
def ctx():
    return pime.context()


@broker.command
async def actx():
    await asyncio.sleep(0)
    return pime.context()


@broker.command
def slow():
    time.sleep(0.1)
    return "slept"
