"""Plugin for `tests/tests/adversarial_host_panics.rs`."""

import panic_app as app
import pime

broker = pime.Broker()

NAMES = [
    "panic_first_poll",
    "panic_after_await",
    "panic_plain",
    "panic_in_serialize",
    "panic_in_deserialize",
    "panic_in_result_drop",
    "panic_in_spawned_task",
]


def _describe(error):
    return f"{type(error).__name__} (Exception: {isinstance(error, Exception)}): {str(error)[:150]}"


@broker.command
def sync_all():
    out = {}
    for name in NAMES:
        try:
            kwargs = {"arg": 1} if name == "panic_in_deserialize" else {}
            out[name] = "ok: " + repr(getattr(app, name)(**kwargs))
        except BaseException as error:  # noqa: BLE001
            out[name] = _describe(error)
    return out


@broker.command
async def aio_all():
    out = {}
    for name in NAMES:
        try:
            kwargs = {"arg": 1} if name == "panic_in_deserialize" else {}
            out[name] = "ok: " + repr(await getattr(app.aio, name)(**kwargs))
        except BaseException as error:  # noqa: BLE001
            out[name] = _describe(error)
    return out


@broker.command
def alive():
    return app.fine()
