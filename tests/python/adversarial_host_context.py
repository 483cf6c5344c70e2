"""Plugin for `tests/tests/adversarial_host_context.rs`."""

import ctx_app as app
import pime

broker = pime.Broker()


def _rid():
    return pime.context().get("request_id")


@broker.command
def ctx_wait(gate):
    before = _rid()
    host = app.around(gate=gate)
    return {"py_before": before, "host": host, "py_after": _rid()}


@broker.command
async def ctx_wait_async(gate):
    before = _rid()
    host = await app.aio.around(gate=gate)
    return {"py_before": before, "host": host, "py_after": _rid()}


@broker.command
def ctx_read():
    return {"py": _rid(), "host": app.read()}


@broker.command
def poison_context():
    ctx = pime.context()
    try:
        ctx["bad"] = object()
    except Exception as error:  # noqa: BLE001
        return f"read-only: {type(error).__name__}"
    out = {}
    for name, fn in [("read", app.read), ("nested", app.nested_read)]:
        try:
            out[name] = fn()
        except BaseException as error:  # noqa: BLE001
            out[name] = f"{type(error).__name__}: {error}"
    return out
