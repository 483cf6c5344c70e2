"""Plugin for `tests/tests/adversarial_host_exclusive.rs`."""

import excl_app as app
import pime

broker = pime.Broker()


@broker.command
def send(exclusive, no_wait, timeout_ms):
    try:
        return app.send(exclusive=exclusive, no_wait=no_wait, timeout_ms=timeout_ms)
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


@broker.command
async def send_async(exclusive, no_wait, timeout_ms):
    try:
        return await app.aio.send(exclusive=exclusive, no_wait=no_wait, timeout_ms=timeout_ms)
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


@broker.command
def leaf():
    return "leaf"


@broker.command
def forever():
    app.forever()
    return "ended"
