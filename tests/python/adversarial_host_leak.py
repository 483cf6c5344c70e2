"""Plugin for `tests/tests/adversarial_host_leak.rs`."""

import gc

import leak_app as app
import pime

broker = pime.Broker()

PAYLOAD = {"name": "x" * 100, "items": list(range(50)), "nested": {"a": [1.5, None, True]}}


@broker.command
def sync_round(n):
    for i in range(n):
        app.echo(v=PAYLOAD)
        try:
            app.echo(v=object())
        except TypeError:
            pass
        try:
            app.fail(message="m" * 50)
        except pime.HostError:
            pass
        try:
            app.echo(v=PAYLOAD, extra=1)
        except TypeError:
            pass
    gc.collect()
    return len(gc.get_objects())


@broker.command
async def aio_round(n):
    for i in range(n):
        await app.aio.echo(v=PAYLOAD)
        try:
            await app.aio.fail(message="m" * 50)
        except pime.HostError:
            pass
        try:
            await app.aio.echo(v=object())
        except TypeError:
            pass
    gc.collect()
    return len(gc.get_objects())
