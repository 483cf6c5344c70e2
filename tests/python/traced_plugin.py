"""A plugin whose log lines and host calls must land in the caller's trace."""

import asyncio
import logging

import pime
import traced_host

broker = pime.Broker()
log = logging.getLogger("plugin.traced")
log.setLevel(logging.INFO)


@broker.command
def log_sync(text):
    log.info("sync line %s", text)  # LINE_SYNC
    return text


@broker.command
async def log_async(text):
    await asyncio.sleep(0)
    log.warning("async line %s", text)  # LINE_ASYNC
    return text


@broker.command
def host_sync(key):
    return traced_host.lookup(key=key)


@broker.command
async def host_async(key):
    return await traced_host.aio.lookup(key=key)


@broker.command
def nested(text):
    return traced_host.call_back(text=text)
