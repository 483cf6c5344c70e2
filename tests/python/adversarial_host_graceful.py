"""Plugin for `tests/tests/adversarial_host_graceful.rs`."""

import graceful_app as app
import pime

broker = pime.Broker()


@broker.command
def slow_sync(ms):
    return app.slow(ms=ms)


@broker.command
async def slow_async(ms):
    return await app.aio.slow(ms=ms)


@broker.command
def chain(ms, n):
    """n sequential host calls of `ms` each: the later ones start after stop() began."""
    return [app.slow(ms=ms) for _ in range(n)]


@broker.command
async def forever_async():
    await app.aio.forever()
