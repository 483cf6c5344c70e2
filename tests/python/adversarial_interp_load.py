"""Load on many subinterpreters: identity calls, CPU loops, a no_wait sink, sleeps,
streams that record their closing in $PIME_ADV_DIR."""

import asyncio
import os
import time

import pime
from adversarial_interp_common import interp_id

broker = pime.Broker()
_DIR = os.environ["PIME_ADV_DIR"]
_TICKS = os.open(os.path.join(_DIR, "ticks"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)


@broker.command
def ident(i):
    return i


@broker.command
def spin(n):
    total = 0
    for i in range(n):
        total += i % 7
    return [total, interp_id()]


@broker.command
def tick():
    os.write(_TICKS, b"x")


@broker.command
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@broker.command
async def asleep(seconds):
    await asyncio.sleep(seconds)
    return seconds


def _mark(tag):
    with open(os.path.join(_DIR, f"closed-{tag}"), "w") as f:
        f.write(str(interp_id()))


@broker.command
def gen(n, tag):
    try:
        for i in range(n):
            yield i
    finally:
        _mark(tag)


@broker.command
async def agen(n, tag):
    try:
        for i in range(n):
            await asyncio.sleep(0)
            yield i
    finally:
        _mark(tag)


@broker.command
def bad_gen():
    yield 1
    yield complex(1, 1)
    yield 3


@broker.command
def raising_gen():
    yield 1
    raise KeyError("mid-stream")
