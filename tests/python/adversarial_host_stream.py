"""Plugin for `tests/tests/adversarial_host_stream.rs`."""

import stream_app as app
import pime

broker = pime.Broker()


@broker.command
def rows(n):
    for i in range(n):
        yield i


@broker.command
def collect_sync(n):
    return app.collect(n=n)


@broker.command
async def collect_async(n):
    return await app.aio.collect(n=n)
