"""Plugin for `tests/tests/adversarial_host_admin.rs`: host functions that reload or
stop the engine that is running them."""

import admin_app as app
import pime

broker = pime.Broker()

LOADS = globals().get("LOADS", 0) + 1


@broker.command
def loads():
    return LOADS


@broker.command
def reload_via_host():
    try:
        return app.reload()
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


@broker.command
async def reload_via_host_async():
    try:
        return await app.aio.reload()
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


@broker.command
def stop_via_host():
    try:
        return app.stop()
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"
