"""A plugin that calls its host: the Rust functions of `tests/tests/host_modules.rs`."""

import asyncio

import app
import pime
import store

broker = pime.Broker()


@broker.command
def user_name(id):
    return app.get_user(id=id)["name"]


@broker.command
async def user_name_async(id):
    user = await app.aio.get_user(id)
    return user["name"]


@broker.command
def versions():
    return [app.version(), store.get(key="answer"), store.get("missing")]


@broker.command
async def version_async():
    return await app.aio.version()


@broker.command
def shift(point):
    return app.shift(point=point, dx=1.5)


@broker.command
def call_host(name, args, kwargs):
    """Calls `app.<name>(*args, **kwargs)` and reports how it went."""
    function = getattr(app, name)
    try:
        return {"ok": function(*args, **kwargs)}
    except Exception as error:  # noqa: BLE001 - reported to the test
        return {
            "error": type(error).__name__,
            "message": str(error),
            "kind": getattr(error, "kind", None),
            "is_exception": isinstance(error, Exception),
        }


@broker.command
async def call_host_async(name, args, kwargs):
    function = getattr(app.aio, name)
    try:
        return {"ok": await function(*args, **kwargs)}
    except Exception as error:  # noqa: BLE001 - reported to the test
        return {"error": type(error).__name__, "message": str(error), "kind": getattr(error, "kind", None)}


@broker.command
def fail_escapes():
    app.fail(message="no such user")


@broker.command
async def cancel_aio():
    """Starts a long host call, then cancels it."""
    pending = asyncio.ensure_future(app.aio.sleep(ms=60_000))
    await asyncio.sleep(0.2)
    pending.cancel()
    try:
        await pending
    except asyncio.CancelledError:
        return "cancelled"
    return "not cancelled"


@broker.command
def nested(depth):
    if depth == 0:
        return "bottom"
    return app.nest(depth=depth - 1, asynchronous=False)


@broker.command
async def nested_async(depth):
    if depth == 0:
        return "bottom"
    return await app.aio.nest(depth=depth - 1, asynchronous=True)


@broker.command
def request_id():
    return app.request_id()


@broker.command
async def request_id_async():
    return await app.aio.request_id()


@broker.command
async def sync_call_on_the_loop():
    try:
        app.get_user(id=1)
    except RuntimeError as error:
        return str(error)
    return "no error"


@broker.command
def aio_without_a_loop():
    try:
        app.aio.get_user(id=1)
    except RuntimeError as error:
        return str(error)
    return "no error"


@broker.command
def check_stub(name, stub):
    """Parses a host module's generated `.pyi` and compares its names with the module's."""
    import ast
    import sys

    module = sys.modules[name]
    tree = ast.parse(stub)
    functions = sorted(node.name for node in tree.body if isinstance(node, ast.FunctionDef))
    aio_class = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "aio"]
    awaitables = sorted(
        node.name for node in aio_class[0].body if isinstance(node, ast.AsyncFunctionDef)
    )
    public = lambda names: sorted(n for n in names if not n.startswith("_") and n != "aio")  # noqa: E731
    return {
        "functions": functions,
        "module": public(vars(module)),
        "awaitables": awaitables,
        "aio": public(vars(module.aio)),
        "docstring": ast.get_docstring(tree),
        "doc": module.__doc__,
        "function_docs": {n: getattr(module, n).__doc__ for n in functions},
        "aio_docs": {n: getattr(module.aio, n).__doc__ for n in awaitables},
        # What introspection sees: each function's name and module.
        "names": {
            n: [getattr(module, n).__name__, getattr(module, n).__module__, callable(getattr(module, n))]
            for n in functions
        },
        "aio_names": {n: [getattr(module.aio, n).__name__, getattr(module.aio, n).__module__] for n in awaitables},
    }


@broker.command
def users(n):
    """A generator that calls the host between items (on the thread that pumps it)."""
    for i in range(n):
        yield app.get_user(id=i)["name"]


@broker.command
async def users_async(n):
    """An async generator that awaits the host between items."""
    for i in range(n):
        user = await app.aio.get_user(id=i)
        yield user["name"]


NOTES = []


@broker.command
def note_version():
    """For a no_wait task: calls the host and keeps what it said."""
    NOTES.append(app.version())


@broker.command
def notes():
    return NOTES
