"""What PIME runs inside each subinterpreter worker (``.interpreters(n)``).

The Rust side (``pime/src/interpreters``) only calls the functions here and converts
plain values; everything that needs Python's own machinery (the task's context, running
a coroutine, formatting an exception, converting what libraries return) is done here, in
the worker's own interpreter. Nothing in this module is shared with another interpreter.
"""

import asyncio
import contextvars
import dataclasses
import importlib
import logging
import sys
import threading
import traceback
import types

import pime

# Brokers here return coroutines and async generators to PIME, which runs them to their
# end on the worker's own event loop (``pime.Broker`` would otherwise start a thread).
pime.ENGINE_AWAITS_COROUTINES = True

_loop = None


def _event_loop():
    """The worker's event loop, made on first use (a worker runs one task at a time)."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


def setup(paths, thread_name, emit, level):
    """The main interpreter's ``sys.path`` (import paths, a venv's site-packages), the
    worker thread's name for ``threading`` (else ``MainThread``), and ``logging`` records
    to Rust through ``emit(level, logger, file, line, message)``, with the main
    interpreter's root level."""
    sys.path[:] = list(paths)
    threading.current_thread().name = thread_name
    root = logging.getLogger()
    root.addHandler(_RustHandler(emit))
    root.setLevel(level)


class _RustHandler(logging.Handler):
    """Sends each record to Rust (``pime/src/interpreters/log_bridge.rs``)."""

    def __init__(self, emit):
        super().__init__()
        self._emit = emit

    def emit(self, record):
        try:
            self._emit(record.levelno, record.name, record.pathname, record.lineno, self.format(record))
        except Exception:  # noqa: BLE001 - logging must not raise
            self.handleError(record)


def load(module, attribute, reload):
    """``module.attribute``, imported (or reloaded) in this interpreter, and callable."""
    loaded = importlib.import_module(module)
    if reload:
        loaded = importlib.reload(loaded)
    broker = getattr(loaded, attribute)
    if not callable(broker):
        raise TypeError(f"{module}.{attribute} is not callable: it is a {type(broker).__name__}")
    return broker


def call(broker, command, params, context):
    """``broker(command, params)``, with ``context`` for ``pime.context()``; a coroutine it
    returns is run to its end here."""
    if context is None:
        return _call(broker, command, params)
    frozen = types.MappingProxyType(context)
    return contextvars.copy_context().run(_call_in_context, frozen, broker, command, params)


def _call_in_context(frozen, broker, command, params):
    pime._CONTEXT.set(frozen)
    return _call(broker, command, params)


def _call(broker, command, params):
    result = broker(command, params)
    if type(result) is types.CoroutineType:
        # In the current context: the task the loop makes copies it.
        return _event_loop().run_until_complete(result)
    return result


def stream(result):
    """An iterator over what a broker returned for ``call_stream``, or ``TypeError``."""
    if isinstance(result, (str, bytes)) or not (
        hasattr(result, "__anext__") or hasattr(result, "__iter__")
    ):
        raise TypeError(
            "call_stream needs the broker to return a generator or iterable, not "
            + _type_name(result)
        )
    if hasattr(result, "__anext__"):
        return _AsyncItems(result, contextvars.copy_context())
    return iter(result)


class _AsyncItems:
    """An async generator stepped on the worker's event loop, in the call's context."""

    def __init__(self, generator, context):
        self._generator = generator
        self._context = context

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self._context.run(
                _event_loop().run_until_complete, self._generator.__anext__()
            )
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self):
        self._context.run(_event_loop().run_until_complete, self._generator.aclose())


def close(iterator):
    """Closes a stream's generator early, so its ``finally`` blocks run."""
    closer = getattr(iterator, "close", None)
    if closer is not None:
        closer()


def describe(exception):
    """``(class name, message, traceback)`` of an exception, as the main interpreter's
    path reports them."""
    name = type(exception).__name__
    try:
        message = str(exception)
    except BaseException:
        message = f"<unprintable {name} object>"
    # PIME's own frames (this module's) first are not the broker's: left out, as the
    # main interpreter's path shows none of its own.
    tb = exception.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _OWN_FILE:
        tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(exception), exception, tb))
    except BaseException:
        text = None
    return name, message, text


_OWN_FILE = describe.__code__.co_filename


def _type_name(obj):
    ty = type(obj)
    if ty.__module__ == "builtins":
        return ty.__qualname__
    return f"{ty.__module__}.{ty.__qualname__}"


# What ``plain`` returns: the object converts as ``LEAF`` (a plain value), ``REPLACED``
# (another object, converted in its place), ``FIELDS`` (a dict of str keys) or ``ITEMS``
# (a list) — the same order and the same results as ``pime/src/value/library.rs``.
LEAF, REPLACED, FIELDS, ITEMS = 0, 1, 2, 3


def plain(obj):
    """How an object the Rust fast path did not take converts, or ``TypeError`` saying why."""
    if isinstance(obj, tuple):
        # A tuple subclass (the Rust side takes plain tuples): a NamedTuple is a map of
        # its fields, any other a sequence, as for a plain tuple.
        fields = getattr(type(obj), "_fields", None)
        if isinstance(fields, tuple) and len(fields) == len(obj):
            return FIELDS, dict(zip(fields, obj))
        return ITEMS, list(obj)
    name = _type_name(obj)
    converters = pime._CONVERTERS
    if converters:
        for base in type(obj).__mro__:
            if base is object:
                break
            if base in converters:
                return REPLACED, _convert_with(obj, base, converters[base])
    if isinstance(obj, (set, frozenset)):
        items = _raising(obj, "iterating it", list, obj)
        try:
            items.sort()
        except Exception:
            items = _raising(obj, "iterating it", list, obj)
        return ITEMS, items
    if isinstance(obj, memoryview):
        return LEAF, _raising(obj, "tobytes()", obj.tobytes)
    enum = sys.modules.get("enum")
    if enum is not None and isinstance(obj, enum.Enum):
        return REPLACED, _raising(obj, "its value", getattr, obj, "value")
    if hasattr(type(obj), "__dataclass_fields__"):
        return FIELDS, _raising(
            obj,
            "reading its fields",
            lambda: {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)},
        )
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(obj, (datetime.date, datetime.time)):
        return LEAF, _raising(obj, "isoformat()", obj.isoformat)
    if any(
        module is not None and isinstance(obj, getattr(module, attribute))
        for module, attribute in (
            (sys.modules.get("decimal"), "Decimal"),
            (sys.modules.get("uuid"), "UUID"),
            (sys.modules.get("pathlib"), "PurePath"),
        )
    ):
        return LEAF, _raising(obj, "str()", str, obj)
    ty = type(obj)
    if hasattr(ty, "__array__") and hasattr(ty, "tolist"):
        listed = _raising(obj, "tolist()", obj.tolist)
        if type(listed) is ty:
            raise TypeError(f"cannot convert {name}: its tolist() returned a {name} again")
        return REPLACED, listed
    if name in ("numpy.bool_", "numpy.bool"):
        return LEAF, _raising(obj, "bool()", bool, obj)
    if hasattr(ty, "__index__"):
        return LEAF, _raising(obj, "__index__()", ty.__index__, obj)
    numbers = sys.modules.get("numbers")
    if numbers is not None and isinstance(obj, numbers.Real):
        return LEAF, _raising(obj, "float()", float, obj)
    if converters and object in converters:
        return REPLACED, _convert_with(obj, object, converters[object])
    raise TypeError(
        f"cannot convert {name} (convert it in the broker, or register a converter: "
        f"pime.register_converter({name}, fn))"
    )


def _convert_with(obj, registered_for, converter):
    name = _type_name(obj)
    registered = (
        registered_for.__qualname__
        if registered_for.__module__ == "builtins"
        else f"{registered_for.__module__}.{registered_for.__qualname__}"
    )
    try:
        converted = converter(obj)
    except Exception as error:
        raise TypeError(
            f"cannot convert {name}: the converter registered for {registered} raised "
            f"{type(error).__name__}: {error}"
        ) from None
    if type(converted) is type(obj):
        raise TypeError(
            f"cannot convert {name}: the converter registered for {registered} returned "
            f"a {name} again (it must return a value the table converts)"
        )
    return converted


def _raising(obj, what, fn, *args):
    try:
        return fn(*args)
    except Exception as error:
        raise TypeError(
            f"cannot convert {_type_name(obj)}: {what} raised {type(error).__name__}: {error}"
        ) from None


def finish():
    """The worker ends: closes its event loop, waits for the threads the broker started
    and runs its ``atexit`` functions — what ending the interpreter would do, but here,
    before PIME ends it (one at a time), so that a thread that never ends holds up this
    worker only."""
    import atexit

    if _loop is not None and not _loop.is_closed():
        _loop.close()
    # Not this thread, nor the interpreter's "main thread" (from 3.13 the process's,
    # which runs elsewhere): the ones the broker started.
    skipped = (threading.current_thread(), threading.main_thread())
    for thread in threading.enumerate():
        if thread not in skipped and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    # From 3.13 this thread is a dummy thread to `threading`, forgotten by a finalizer
    # on a thread-local: run it now, while the module still has its globals (ending
    # the interpreter would run it after, and print an ignored TypeError).
    local = getattr(threading, "_thread_local_info", None)
    if local is not None and hasattr(local, "_track_dummy_thread_ref"):
        del local._track_dummy_thread_ref
