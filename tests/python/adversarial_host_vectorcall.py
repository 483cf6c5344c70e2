"""Plugin for `tests/tests/adversarial_host_vectorcall.rs`: a hostile plugin against the
host functions as C functions (vectorcall, `METH_FASTCALL | METH_KEYWORDS`, `__self__`
a `pime.host_function`)."""

import asyncio
import copy
import functools
import gc
import inspect
import json
import operator
import pickle
import pydoc
import sys
import threading
import time
import types
import weakref

import pime
import vc_app as app

broker = pime.Broker()


def outcome(thunk):
    """`ok: <repr>` or `<ExceptionType>: <message>` (never raises)."""
    try:
        return "ok: " + repr(thunk())
    except BaseException as error:  # noqa: BLE001 - reported to the test
        return f"{type(error).__name__}: {error}"


async def aoutcome(thunk):
    try:
        return "ok: " + repr(await thunk())
    except BaseException as error:  # noqa: BLE001 - reported to the test
        return f"{type(error).__name__}: {error}"


class LyingStr(str):
    """A str subclass whose hash and equality lie."""

    def __hash__(self):
        return 7

    def __eq__(self, other):
        return True

    def __str__(self):
        return "b"


# --------------------------------------------------------------------------
# Arguments: positional, keyword, duplicates, hostile keys, many of them.
# --------------------------------------------------------------------------


def _argument_cases():
    yield "pos", lambda: app.add(1, 2)
    yield "kw", lambda: app.add(a=1, b=2)
    yield "kw_swapped", lambda: app.add(b=2, a=40)
    yield "pos_then_kw", lambda: app.add(5, b=6)
    yield "star_args", lambda: app.add(*[3, 4])
    yield "star_kwargs", lambda: app.add(**{"a": 3, "b": 4})
    yield "both_star", lambda: app.add(*[1], **{"b": 9})
    yield "too_many", lambda: app.add(1, 2, 3)
    yield "too_many_huge", lambda: app.add(*range(100_000))
    yield "missing_b", lambda: app.add(1)
    yield "missing_all", lambda: app.add()
    yield "dup_pos_kw", lambda: app.add(1, a=2)
    yield "dup_via_star", lambda: app.add(1, 2, **{"b": 3})
    yield "unknown_kw", lambda: app.add(1, 2, c=3)
    yield "empty_kw", lambda: app.add(1, 2, **{"": 3})
    yield "nul_kw", lambda: app.add(1, **{"b\0": 3})
    yield "lying_str_key", lambda: app.add(1, **{LyingStr("b"): 2})
    yield "lying_str_unknown_key", lambda: app.add(1, **{LyingStr("zz"): 2})
    yield "surrogate_key", lambda: app.add(1, **{"\ud800": 2})
    yield "surrogate_key_only", lambda: app.noargs(**{"\udfff": 2})
    yield "fullwidth_key", lambda: app.add(1, **{"\uff42": 2})
    yield "huge_kwargs_unknown", lambda: app.add(**{f"k{i}": i for i in range(100_000)})
    yield "huge_kwargs_after_valid", lambda: app.add(a=1, b=2, **{f"k{i}": i for i in range(100_000)})
    yield "noargs", lambda: app.noargs()
    yield "noargs_empty_stars", lambda: app.noargs(*(), **{})
    yield "noargs_pos", lambda: app.noargs(1)
    yield "noargs_kw", lambda: app.noargs(x=1)
    yield "opt_left_out", lambda: app.opt(1)
    yield "opt_none", lambda: app.opt(1, b=None)
    yield "opt_given", lambda: app.opt(a=1, b="x")
    yield "none_for_u32", lambda: app.opt(None)
    yield "str_for_i64", lambda: app.add("1", 2)
    yield "bool_for_i64", lambda: app.add(True, 2)
    yield "float_for_i64", lambda: app.add(1.5, 2)
    yield "huge_int", lambda: app.add(2**70, 1)
    yield "surrogate_value", lambda: app.string(s="\ud800")
    yield "async_pos", lambda: app.get_user(7)
    yield "async_kw", lambda: app.get_user(id=7)
    yield "async_missing", lambda: app.get_user()
    yield "async_wrong_type", lambda: app.get_user(id="seven")
    yield "async_neg", lambda: app.get_user(id=-1)
    yield "async_unknown_kw", lambda: app.get_user(id=1, extra=2)
    yield "anoargs", lambda: app.anoargs()
    yield "anoargs_pos", lambda: app.anoargs(1)
    yield "big_list", lambda: app.count(v=list(range(1_000_000)))
    yield "echo_nested", lambda: app.echo(v={"a": [1, 2, {"b": (3, 4.5, None, True, b"x")}]})
    yield "deep_100000", lambda: app.echo(v=_deep(100_000))
    yield "recursive", lambda: app.echo(v=_recursive())
    yield "echo_object", lambda: app.echo(v=object())
    yield "echo_none", lambda: app.echo(v=None)
    yield "echo_missing", lambda: app.echo()


def _in_threads(n, run, timeout):
    """Runs `run(i)` for i in range(n), each in a thread of its own, all at once; waits
    up to `timeout` s for each and returns how many are still alive."""
    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout)
    return sum(w.is_alive() for w in workers)


def _deep(n):
    v = 0
    for _ in range(n):
        v = [v]
    return v


def _recursive():
    a = []
    a.append(a)
    return a


@broker.command
def arguments():
    return {name: outcome(thunk) for name, thunk in _argument_cases()}


# --------------------------------------------------------------------------
# Calling through other callables.
# --------------------------------------------------------------------------


def _indirect_cases():
    yield "partial_kw", lambda: functools.partial(app.add, b=10)(a=1)
    yield "partial_pos", lambda: functools.partial(app.add, 10)(5)
    yield "partial_dup", lambda: functools.partial(app.add, a=10)(5)
    yield "partial_async", lambda: functools.partial(app.get_user, id=3)()["name"]
    yield "map", lambda: list(map(app.add, [1, 2, 3], [10, 20, 30]))
    yield "map_async", lambda: [u["name"] for u in map(app.get_user, [1, 2])]
    yield "methodcaller", lambda: operator.methodcaller("add", 2, b=3)(app)
    yield "methodcaller_async", lambda: operator.methodcaller("get_user", id=4)(app)["name"]
    yield "getattr", lambda: getattr(app, "add")(a=2, b=2)
    yield "getattr_aio_sync", lambda: getattr(app.aio, "add")(1, 2)
    yield "sorted_key", lambda: sorted([3, 1, 2], key=functools.partial(app.add, b=0))
    yield "method_type", lambda: types.MethodType(app.add, 100)(1)
    yield "dunder_call", lambda: app.add.__call__(1, b=1)
    yield "self_attr", lambda: type(app.add.__self__).__name__
    yield "same_self", lambda: app.add.__self__ is app.aio.add.__self__
    yield "eq_sync_aio", lambda: app.add == app.aio.add
    yield "eq_self", lambda: app.add == app.add
    yield "hashable", lambda: len({app.add, app.aio.add, app.get_user, app.aio.get_user})
    yield "construct_self_type", lambda: type(app.add.__self__)()
    yield "new_self_type", lambda: type(app.add.__self__).__new__(type(app.add.__self__))
    yield "object_new_self_type", lambda: object.__new__(type(app.add.__self__))
    yield "subclass_self_type", lambda: type("X", (type(app.add.__self__),), {})
    yield "builtin_with_other_self", lambda: types.BuiltinMethodType(app.add)
    yield "pickle", lambda: pickle.dumps(app.add)
    yield "pickle_p0", lambda: pickle.loads(pickle.dumps(app.add, protocol=0))(1, 2)
    yield "pickle_aio", lambda: pickle.dumps(app.aio.add)
    yield "pickle_self", lambda: pickle.dumps(app.add.__self__)
    yield "copy", lambda: copy.copy(app.add)(1, 1)
    yield "deepcopy", lambda: copy.deepcopy(app.add)(2, 2)
    yield "copy_self", lambda: copy.copy(app.add.__self__)
    yield "deepcopy_self", lambda: copy.deepcopy(app.add.__self__)
    yield "reduce", lambda: app.add.__reduce__()[0].__name__
    yield "weakref", lambda: weakref.ref(app.add)()(3, 3)
    yield "weakref_self", lambda: weakref.ref(app.add.__self__)
    yield "weak_method", lambda: weakref.WeakMethod(app.add)
    yield "name", lambda: (app.add.__name__, app.aio.add.__name__)
    yield "qualname", lambda: (app.add.__qualname__, app.aio.add.__qualname__)
    yield "module", lambda: (app.add.__module__, app.aio.add.__module__)
    yield "doc", lambda: (app.add.__doc__, app.aio.add.__doc__)
    yield "doc_empty", lambda: app.noargs.__doc__
    yield "text_signature", lambda: app.add.__text_signature__
    yield "repr", lambda: (repr(app.add), repr(app.aio.add))
    yield "signature", lambda: str(inspect.signature(app.add))
    yield "signature_aio", lambda: str(inspect.signature(app.aio.add))
    yield "signature_async", lambda: str(inspect.signature(app.get_user))
    yield "signature_optional", lambda: str(inspect.signature(app.opt))
    yield "signature_none", lambda: str(inspect.signature(app.noargs))
    yield "isbuiltin", lambda: inspect.isbuiltin(app.add)
    yield "help", lambda: "add" in pydoc.render_doc(app.add)
    yield "help_module", lambda: "get_user" in pydoc.render_doc(app)
    yield "set_name", lambda: setattr(app.add, "__name__", "x")
    yield "set_attr", lambda: setattr(app.add, "x", 1)
    yield "vars", lambda: vars(app.add)
    yield "dir_self", lambda: [n for n in dir(app.add.__self__) if not n.startswith("__")]


@broker.command
def indirect():
    return {name: outcome(thunk) for name, thunk in _indirect_cases()}


# --------------------------------------------------------------------------
# Errors from the host.
# --------------------------------------------------------------------------


def _describe_host_error(thunk):
    try:
        return "ok: " + repr(thunk())
    except pime.HostError as error:
        return f"HostError[{error.kind}]: {error.message}"
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


async def _adescribe_host_error(thunk):
    try:
        return "ok: " + repr(await thunk())
    except pime.HostError as error:
        return f"HostError[{error.kind}]: {error.message}"
    except BaseException as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"


@broker.command
def host_errors():
    out = {}
    for round_ in range(3):  # the engine keeps serving after each
        out[f"panics_{round_}"] = _describe_host_error(lambda: app.panics())
        out[f"apanics_{round_}"] = _describe_host_error(lambda: app.apanics(after_ms=0))
        out[f"apanics_late_{round_}"] = _describe_host_error(lambda: app.apanics(after_ms=20))
        out[f"fails_{round_}"] = _describe_host_error(lambda: app.fails())
        out[f"afails_{round_}"] = _describe_host_error(lambda: app.afails())
        out[f"unconvertible_{round_}"] = _describe_host_error(lambda: app.unconvertible())
        out[f"after_{round_}"] = _describe_host_error(lambda: app.add(1, 1))
    return out


@broker.command
async def aio_host_errors():
    out = {}
    for round_ in range(3):
        out[f"panics_{round_}"] = await _adescribe_host_error(lambda: app.aio.panics())
        out[f"apanics_{round_}"] = await _adescribe_host_error(lambda: app.aio.apanics(after_ms=0))
        out[f"apanics_late_{round_}"] = await _adescribe_host_error(lambda: app.aio.apanics(after_ms=20))
        out[f"fails_{round_}"] = await _adescribe_host_error(lambda: app.aio.fails())
        out[f"afails_{round_}"] = await _adescribe_host_error(lambda: app.aio.afails())
        out[f"unconvertible_{round_}"] = await _adescribe_host_error(lambda: app.aio.unconvertible())
        out[f"bad_args_{round_}"] = await _adescribe_host_error(lambda: app.aio.get_user(id="x"))
        out[f"after_{round_}"] = await _adescribe_host_error(lambda: app.aio.add(1, 1))
    return out


# --------------------------------------------------------------------------
# Where a call comes from: the event loop, sync code, threads, generators.
# --------------------------------------------------------------------------


@broker.command
async def on_loop():
    out = {}
    out["sync_async_fn_on_loop"] = outcome(lambda: app.get_user(id=1))
    out["sync_plain_fn_on_loop"] = outcome(lambda: app.add(1, 2))
    out["aio_async"] = await aoutcome(lambda: app.aio.get_user(id=5))
    out["aio_plain"] = await aoutcome(lambda: app.aio.add(2, b=3))
    out["aio_noargs"] = await aoutcome(lambda: app.aio.anoargs())
    out["aio_bad_kw"] = await aoutcome(lambda: app.aio.add(1, c=2))
    out["aio_surrogate_kw"] = await aoutcome(lambda: app.aio.add(1, **{"\ud800": 2}))
    out["aio_partial"] = await aoutcome(functools.partial(app.aio.add, b=1, a=1))
    out["aio_getattr"] = await aoutcome(lambda: getattr(app.aio, "aadd")(a=4, b=4))

    fut = app.aio.aadd(20, 22)
    first = await fut
    second = await fut
    out["await_twice"] = [first, second, inspect.isawaitable(fut)]

    results = await asyncio.gather(*[app.aio.aadd(i, i) for i in range(1000)])
    out["gather_1000"] = results == [2 * i for i in range(1000)]
    plain = await asyncio.gather(*[app.aio.add(i, 1) for i in range(1000)])
    out["gather_plain_1000"] = plain == [i + 1 for i in range(1000)]

    out["to_thread"] = await aoutcome(lambda: asyncio.to_thread(app.get_user, id=9))
    loop = asyncio.get_running_loop()
    out["run_in_executor"] = await aoutcome(
        lambda: loop.run_in_executor(None, functools.partial(app.aadd, 1, b=2))
    )

    started = time.monotonic()
    out["wait_for_timeout"] = await aoutcome(lambda: asyncio.wait_for(app.aio.slow(ms=5000, tag="t"), 0.05))
    out["wait_for_took_s"] = round(time.monotonic() - started)
    out["after_timeout"] = await aoutcome(lambda: app.aio.slow(ms=1, tag="after"))

    async def agen():
        for i in range(5):
            yield await app.aio.aadd(i, 100)

    out["async_gen"] = [x async for x in agen()]

    async def coro():
        return await app.aio.get_user(id=77)

    out["create_task"] = (await asyncio.create_task(coro()))["name"]
    out["shield"] = await asyncio.shield(app.aio.aadd(1, 1))
    # Never awaited: collected, its Rust future dropped.
    for _ in range(100):
        app.aio.slow(ms=10_000, tag="dropped")
    gc.collect()
    return out


@broker.command
def sync_side():
    out = {}
    out["aio_from_sync"] = outcome(lambda: app.aio.get_user(id=1))
    out["aio_plain_from_sync"] = outcome(lambda: app.aio.add(1, 2))
    out["aio_bad_args_from_sync"] = outcome(lambda: app.aio.add(1, 2, 3))

    def gen():
        for i in range(5):
            yield app.add(i, 1000)
            yield app.get_user(id=i)["name"]

    out["generator"] = list(gen())

    async def awaits_aio():
        return await app.aio.get_user(id=42)

    out["own_asyncio_run"] = outcome(lambda: asyncio.run(awaits_aio())["name"])
    coro = awaits_aio()
    out["coroutine_send_without_loop"] = outcome(lambda: coro.send(None))
    coro.close()
    loop = asyncio.new_event_loop()
    try:
        async def gather():
            return await asyncio.gather(*[app.aio.aadd(i, 1) for i in range(200)])

        out["own_loop_gather"] = outcome(
            lambda: loop.run_until_complete(gather()) == [i + 1 for i in range(200)]
        )
        # A loop that stopped (not running) is not a running loop.
        asyncio.set_event_loop(loop)
        out["aio_with_set_but_idle_loop"] = outcome(lambda: app.aio.add(1, 2))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return out


@broker.command
def stream_sync(n):
    for i in range(n):
        yield app.add(i, 1)
        yield app.get_user(id=i)["name"]


@broker.command
async def stream_async(n):
    for i in range(n):
        yield await app.aio.aadd(i, 1)
        yield (await app.aio.get_user(id=i))["name"]


@broker.command
def threads(n, ms):
    """`n` threads of Python's own, each a sync call of an `async fn` that takes `ms`
    plus a plain call and an `async fn` call: results per thread, and the wall time."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(10)
            tag = app.slow(ms=ms, tag=f"t{i}")
            total = app.add(i, b=i)
            user = app.get_user(i)["name"]
            results[i] = [tag, total, user]
        except BaseException as error:  # noqa: BLE001
            results[i] = f"{type(error).__name__}: {error}"

    started = time.monotonic()
    alive = _in_threads(n, run, 60)
    took = time.monotonic() - started
    bad = [(i, r) for i, r in enumerate(results) if r != [f"t{i}", 2 * i, f"user {i}"]]
    return {"bad": repr(bad[:5]), "bad_count": len(bad), "alive": alive, "took_ms": int(took * 1000)}


@broker.command
def threads_aio(n):
    """`n` threads each running `asyncio.run` over 50 `aio` calls."""
    results = [None] * n

    def run(i):
        async def main():
            return await asyncio.gather(*[app.aio.aadd(i, k) for k in range(50)])

        try:
            results[i] = asyncio.run(main()) == [i + k for k in range(50)]
        except BaseException as error:  # noqa: BLE001
            results[i] = f"{type(error).__name__}: {error}"

    alive = _in_threads(n, run, 60)
    return {"alive": alive, "bad": [r for r in results if r is not True][:5]}


# --------------------------------------------------------------------------
# Garbage collection, finalizers, the module itself.
# --------------------------------------------------------------------------

_finalized = []


class CallsHostWhenCollected:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it

    def __del__(self):
        try:
            _finalized.append(app.add(20, 22))
        except BaseException as error:  # noqa: BLE001
            _finalized.append(f"{type(error).__name__}: {error}")


@broker.command
def gc_stress(n):
    stop = threading.Event()
    collections = [0]

    def collector():
        while not stop.is_set():
            gc.collect()
            collections[0] += 1

    thread = threading.Thread(target=collector, daemon=True)
    thread.start()
    bad = []
    try:
        for i in range(n):
            CallsHostWhenCollected()
            if app.add(i, b=1) != i + 1:
                bad.append(("add", i))
            if app.get_user(id=i)["name"] != f"user {i}":
                bad.append(("get_user", i))
            if app.echo(v=[i, {"k": [i]}]) != [i, {"k": [i]}]:
                bad.append(("echo", i))
    finally:
        stop.set()
        thread.join(30)
    gc.collect()
    finalized = list(_finalized)
    _finalized.clear()
    return {
        "bad": bad[:5],
        "collections_positive": collections[0] > 0,
        "finalized_all_42": all(f == 42 for f in finalized),
        "finalized_count": len(finalized),
        "finalized_sample": finalized[:3],
    }


@broker.command
async def gc_stress_aio(n):
    stop = threading.Event()

    def collector():
        while not stop.is_set():
            gc.collect()
            time.sleep(0.001)

    thread = threading.Thread(target=collector, daemon=True)
    thread.start()
    try:
        batches = []
        for i in range(n):
            CallsHostWhenCollected()
            batches.append(await asyncio.gather(*[app.aio.aadd(i, k) for k in range(20)]))
        ok = all(batch == [i + k for k in range(20)] for i, batch in enumerate(batches))
    finally:
        stop.set()
        thread.join(30)
    gc.collect()
    _finalized.clear()
    return ok


@broker.command
def module_games():
    out = {}
    kept_add = app.add
    kept_aio = app.aio
    module = sys.modules.pop("vc_app")
    try:
        gc.collect()
        out["kept_after_pop"] = outcome(lambda: kept_add(1, 2))
        out["global_after_pop"] = outcome(lambda: app.get_user(id=2)["name"])

        def reimport():
            import vc_app  # noqa: F401

        out["import_after_pop"] = outcome(reimport)
    finally:
        sys.modules["vc_app"] = module
    del module
    out["kept_aio_after_restore"] = outcome(lambda: kept_aio.add.__name__)
    # Rebinding a module attribute does not change kept objects.
    original = app.version
    try:
        app.version = app.noargs
        out["kept_original_version"] = outcome(lambda: original())
    finally:
        app.version = original
    return out


# --------------------------------------------------------------------------
# Across launches.
# --------------------------------------------------------------------------

_captured = {}


@broker.command
def capture():
    """Keeps this launch's objects, as `from vc_app import ...` at import would."""
    from vc_app import get_user, version

    _captured.clear()
    _captured.update(
        get_user=get_user,
        version=version,
        aio_version=app.aio.version,
        partial=functools.partial(app.add, b=1000),
    )
    return True


@broker.command
def call_captured():
    return {
        "version": outcome(_captured["version"]),
        "get_user": outcome(lambda: _captured["get_user"](id=5)["name"]),
    }


@broker.command
def kept():
    return {
        "version": outcome(_captured["version"]),
        "module_version": outcome(lambda: app.version()),
        "get_user": outcome(lambda: _captured["get_user"](id=5)["name"]),
        "partial": outcome(lambda: _captured["partial"](1)),
    }


@broker.command
async def kept_aio():
    return await aoutcome(lambda: _captured["aio_version"]())


def between_launches():
    """Called by the test itself while no engine runs."""
    return {
        "version": _describe_host_error(_captured["version"]),
        "get_user": _describe_host_error(lambda: _captured["get_user"](id=1)),
        "module_version": _describe_host_error(lambda: app.version()),
    }


@broker.command
def alias_attribute():
    """Hostile: the module's attribute `get_user` now holds the `version` function."""
    sys.modules["vc_app"].get_user = sys.modules["vc_app"].version
    return True


@broker.command
def delete_attribute():
    """Hostile: the module's attribute `get_user` is gone."""
    del sys.modules["vc_app"].get_user
    return True


_in_flight = []


@broker.command
async def leave_in_flight(ms):
    """An `aio` call and a task that awaits it, left running when the engine stops."""
    fut = app.aio.slow(ms=ms, tag="in flight")
    _in_flight.append(fut)
    _in_flight.append(asyncio.ensure_future(fut))
    return True


@broker.command
def in_flight_report():
    out = []
    for fut in _in_flight:
        if not fut.done():
            out.append("pending")
        elif fut.cancelled():
            out.append("cancelled")
        elif fut.exception() is not None:
            out.append(f"{type(fut.exception()).__name__}: {fut.exception()}")
        else:
            out.append("ok: " + repr(fut.result()))
    _in_flight.clear()
    return out


# --------------------------------------------------------------------------
# Calling back into Python.
# --------------------------------------------------------------------------


@broker.command
def inner(n):
    # A nested call that calls the host again (a plain fn and an async fn).
    return app.add(n, 1) + app.aadd(0, 0)


@broker.command
def outer_sync(n):
    return [app.call_back(command="inner", n=i) for i in range(n)]


@broker.command
async def outer_aio(n):
    return await asyncio.gather(*[app.aio.call_back(command="inner", n=i) for i in range(n)])


@broker.command
def outer_threads(n):
    results = [None] * n

    def run(i):
        try:
            results[i] = app.call_back(command="inner", n=i)
        except BaseException as error:  # noqa: BLE001
            results[i] = f"{type(error).__name__}: {error}"

    _in_threads(n, run, 30)
    return results


@broker.command
def alive():
    return [app.add(1, 1), app.get_user(id=1)["name"]]


# --------------------------------------------------------------------------
# Finalizers wherever the collector runs (any thread that allocates, the runtime's
# threads settling `aio` calls included), and hostile contexts.
# --------------------------------------------------------------------------

_where = []


class RecordsWhereCollected:
    def __init__(self):
        self.me = self

    def __del__(self):
        name = threading.current_thread().name
        try:
            got = "ok: " + repr(app.get_user(id=1))
        except BaseException as error:  # noqa: BLE001
            got = f"{type(error).__name__}: {error}"
        try:
            plain = "ok: " + repr(app.add(1, 1))
        except BaseException as error:  # noqa: BLE001
            plain = f"{type(error).__name__}: {error}"
        _where.append((name, got, plain))


@broker.command
async def finalizers_everywhere(n):
    old = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for i in range(n):
            RecordsWhereCollected()
            await asyncio.gather(*[app.aio.get_user(id=k) for k in range(10)])
    finally:
        gc.set_threshold(*old)
    gc.collect()
    out = {}
    for name, got, plain in _where:
        kind = "loop" if name == "pime-asyncio" else ("main" if name == "MainThread" else name.split("-")[0])
        out.setdefault(f"{kind}: {got[:120]} | {plain[:60]}", 0)
        out[f"{kind}: {got[:120]} | {plain[:60]}"] += 1
    _where.clear()
    return out


class _InterruptingMapping:
    """A mapping whose own code raises while the context is read."""

    def keys(self):
        raise KeyboardInterrupt("from keys()")

    def __getitem__(self, key):
        return "v"


@broker.command
def context_games():
    out = {}
    for name, value in [
        ("object_value", {"k": object()}),
        ("int_key", {1: "x"}),
        ("not_a_mapping", 5),
        ("interrupting_mapping", _InterruptingMapping()),
        ("fine", {"k": "v"}),
    ]:
        token = pime._CONTEXT.set(value)
        try:
            out[name] = outcome(lambda: app.add(1, 2))
        finally:
            pime._CONTEXT.reset(token)
    return out


# --------------------------------------------------------------------------
# Python code that runs inside a call: converters of arguments, profilers;
# function objects as class attributes; the last reference dropped mid-call.
# --------------------------------------------------------------------------


class Reentrant:
    pass


class Raising:
    pass


class SelfReturning:
    pass


class Unhinged:
    """Its converter tears down the module and calls the host itself."""


class Interrupting:
    pass


pime.register_converter(Reentrant, lambda obj: app.add(1, 2))
pime.register_converter(SelfReturning, lambda obj: SelfReturning())


def _raise(obj):
    raise ValueError("converter refuses")


pime.register_converter(Raising, _raise)


def _unhinged(obj):
    module = sys.modules.pop("vc_app")
    try:
        saved = module.echo
        del module.echo
        gc.collect()
        return [app.get_user(id=3)["name"], saved(v="inner")]
    finally:
        module.echo = saved
        sys.modules["vc_app"] = module


pime.register_converter(Unhinged, _unhinged)


def _interrupt(obj):
    raise KeyboardInterrupt


pime.register_converter(Interrupting, _interrupt)


class Holder:
    plain = app.add
    static = staticmethod(app.add)
    klass = classmethod(app.add)


def _inner_cases():
    yield "converter_reentrant", lambda: app.echo(v=[Reentrant(), Reentrant()])
    yield "converter_raises", lambda: app.echo(v=Raising())
    yield "converter_self_returning", lambda: app.echo(v=SelfReturning())
    yield "converter_unhinged", lambda: app.echo(v={"x": Unhinged()})
    yield "converter_keyboard_interrupt", lambda: app.echo(v=Interrupting())
    yield "converter_in_async_fn_arg", lambda: app.get_user(id=Reentrant())
    yield "class_attr", lambda: Holder().plain(1, 2)
    yield "staticmethod", lambda: Holder().static(2, 3)
    yield "classmethod", lambda: Holder.klass(1)


@broker.command
def inside_calls():
    out = {name: outcome(thunk) for name, thunk in _inner_cases()}

    seen = []

    def profiler(frame, event, arg):
        if event == "c_call" and getattr(arg, "__module__", None) == "vc_app":
            seen.append(app.noargs())

    sys.setprofile(profiler)
    try:
        results = [app.add(1, 1), app.get_user(id=2)["name"]]
    finally:
        sys.setprofile(None)
    out["profiler"] = repr([results, seen])

    # The last strong reference to a function object dropped while it runs.
    module = sys.modules["vc_app"]
    f = module.slow
    aio_f = module.aio.slow
    proxy = weakref.proxy(f)
    ref = weakref.ref(f)
    result = []
    started = threading.Event()

    def run():
        started.set()
        result.append(outcome(lambda: proxy(ms=300, tag="survived")))

    try:
        del module.slow
        del module.aio.slow
        del aio_f
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        started.wait(10)
        time.sleep(0.05)
        del f
        gc.collect()
        thread.join(10)
        gc.collect()
        out["last_reference"] = repr([result, ref() is None, outcome(lambda: proxy(ms=1, tag="x"))])
    finally:
        pass  # the next launch fills the module again
    return out


@broker.command
async def inner_async(n):
    return await app.aio.aadd(n, 1)


@broker.command
def outer_sync_to_async(n):
    return [app.call_back(command="inner_async", n=i) for i in range(n)]


class Recursing:
    """Its converter calls the host with another one: unbounded recursion through
    `enter` -> argument collection -> the converter -> `enter` ..."""


_DEPTH = [0]


def _recursing(obj):
    _DEPTH[0] += 1
    try:
        return app.echo(v=Recursing())
    finally:
        _DEPTH[0] -= 1


pime.register_converter(Recursing, _recursing)


def _recurse_summary(thunk):
    text = outcome(thunk)
    # The innermost error repeated along the chain: keep the head and the tail.
    return text[:160] + " ... " + text[-160:] if len(text) > 400 else text


@broker.command
def recursion_cost():
    """How deep the recursion gets under a limit of 300."""
    old = sys.getrecursionlimit()
    deepest = [0]

    def measure(obj):
        _DEPTH[0] += 1
        deepest[0] = max(deepest[0], _DEPTH[0])
        try:
            return app.echo(v=Measured())
        finally:
            _DEPTH[0] -= 1

    pime.register_converter(Measured, measure)
    sys.setrecursionlimit(300)
    try:
        text = outcome(lambda: app.echo(v=Measured()))
    finally:
        sys.setrecursionlimit(old)
    return {"deepest": deepest[0], "outcome": text[:200]}


class Measured:
    pass


@broker.command
def recursive_converter():
    out = {"worker": _recurse_summary(lambda: app.echo(v=Recursing()))}
    box = []
    thread = threading.Thread(target=lambda: box.append(_recurse_summary(lambda: app.echo(v=Recursing()))))
    thread.start()
    thread.join(60)
    out["thread"] = box[0] if box else "no answer"
    out["after"] = outcome(lambda: app.add(1, 1))
    return out


@broker.command
async def recursive_converter_aio():
    return {
        "aio": _recurse_summary(lambda: app.aio.echo(v=Recursing())),
        "after": await aoutcome(lambda: app.aio.add(1, 1)),
    }


@broker.command
def small_stacks(kib):
    """Host calls from a Python thread with a stack of `kib` KiB
    (`threading.stack_size`), as plugins that start many threads set: a nested
    argument converts while the stack holds it, and one deeper is a clear TypeError
    (never a crash)."""
    results = {}
    steps = [
        ("plain", lambda: app.add(1, 2)),
        ("async_ready", lambda: app.get_user(id=1)["name"]),
        ("async_waits", lambda: app.slow(ms=10, tag="slept")),
        ("pure_python_json", lambda: len(json.dumps(_deep(150)))),
        ("deep_arg_20", lambda: len(str(app.echo(v=_deep(20))))),
        ("deep_arg_150", lambda: len(str(app.echo(v=_deep(150))))),
        ("deep_count_150", lambda: app.count(v=_deep(150))),
        ("error", lambda: app.add(1, c=2)),
    ]

    def run():
        for name, thunk in steps:
            # The last step reached, should the process die.
            print("STEP", kib, name, file=sys.stderr, flush=True)
            results[name] = outcome(thunk)

    old = threading.stack_size(kib * 1024)
    try:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
    finally:
        threading.stack_size(old)
    thread.join(30)
    return results
