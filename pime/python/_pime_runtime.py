"""Internal runtime of the PIME engine (embedded into the Rust crate; not a public API).

The engine loads this module when it starts. It names the engine's worker threads
for `threading`, bridges Python `logging` to Rust's `log` facade, and helps with
venvs, coroutines and async generators.
"""

import contextvars
import logging
import sys
import threading

#: The tracing span of the call running in this context (the Rust `pime.call` span,
#: with the `tracing` feature), for log records and host calls made on its behalf.
CALL_SPAN = contextvars.ContextVar("pime_call_span", default=None)


def name_worker_thread(name):
    """Gives the calling thread (a PIME pool worker, started in Rust) its name in Python.

    Python sees a thread it did not start as a daemon "dummy" thread, and threads that
    a broker starts inherit the daemon flag of the thread that starts them. A worker is
    marked non-daemon, as a ``ThreadPoolExecutor`` worker would be, so that a broker's
    ``threading.Thread(...)`` is non-daemon by default, as in ordinary Python code.
    """
    thread = threading.current_thread()
    thread.name = name
    if hasattr(thread, "_daemonic"):
        thread._daemonic = False


def forget_worker_thread():
    """Removes the calling pool worker, which is ending, from `threading`'s table.

    A thread started outside Python appears there as a dummy thread that Python 3.11
    never removes, so `threading.enumerate()` would list ended workers forever.
    """
    lock = getattr(threading, "_active_limbo_lock", None)
    active = getattr(threading, "_active", None)
    if lock is None or active is None:
        return
    with lock:
        active.pop(threading.get_ident(), None)


def install_log_bridge(host_handler_class):
    """Sends records of the root logger (so of every logger) to Rust's `log`, once."""
    root = logging.getLogger()
    if not any(isinstance(h, host_handler_class) for h in root.handlers):
        root.addHandler(host_handler_class())


class TracingHandler(logging.Handler):
    """Sends each record to Rust with the span of the call it was emitted in."""

    def __init__(self, emit):
        super().__init__()
        self._emit = emit

    def emit(self, record):
        try:
            self._emit(
                record.levelno, record.name, record.pathname, record.lineno, self.format(record), CALL_SPAN.get()
            )
        except Exception:  # noqa: BLE001 - logging must not raise
            self.handleError(record)


def install_tracing_bridge(emit):
    """Like `install_log_bridge`, for the `tracing` feature: records go to `emit`."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, TracingHandler)]
    root.addHandler(TracingHandler(emit))


def run_in_call(values, span, fn, *args):
    """Calls `fn(*args)` in a copy of the current context with the call's context
    values (for `pime.context()`) and tracing span set."""
    return contextvars.copy_context().run(_call_in_call, values, span, fn, args)


def _call_in_call(values, span, fn, args):
    import types

    import pime

    pime._CONTEXT.set(types.MappingProxyType(dict(values)) if values else None)
    CALL_SPAN.set(span)
    return fn(*args)


def activate_venv(venv_dir, site_packages, include_system_site_packages):
    """Makes the virtual environment at `venv_dir` the one imports come from.

    Without system site packages, the base interpreter's site dirs leave `sys.path`.
    `site.addsitedir` (not a plain insert) runs the venv's `.pth` files, so editable
    installs work.
    """
    import site
    import sys

    if not include_system_site_packages:
        system_dirs = set(site.getsitepackages())
        user_site = site.getusersitepackages()
        if isinstance(user_site, str):
            system_dirs.add(user_site)
        sys.path[:] = [p for p in sys.path if p not in system_dirs]
    site.addsitedir(site_packages)
    sys.prefix = sys.exec_prefix = venv_dir


class BrokerRaised(Exception):
    """Carries, as its cause, a `BaseException` that is not an `Exception` which an
    async command raised: `CancelledError`, `SystemExit`, `KeyboardInterrupt`.

    Left alone, asyncio would mark the command's future cancelled (for a
    `CancelledError`: only a cancellation PIME made, because the caller went away, may
    do that) or stop the engine's event loop (`SystemExit`, `KeyboardInterrupt`).
    Carried, it reaches the caller like any other exception, with its class, message
    and traceback, as it would from a sync broker.
    """


def schedule(coroutine, context, span=None):
    """Runs `coroutine` on the engine's event loop; returns a concurrent future.

    With a `context` dict, `pime.context()` inside the coroutine returns it; with a
    `span`, log records and host calls inside it belong to that call.
    """
    import asyncio
    import types

    import pime

    if context is not None:
        coroutine = pime._with_context(types.MappingProxyType(dict(context)), coroutine)
    if span is not None:
        coroutine = _in_span(span, coroutine)
    scheduled = []
    future = asyncio.run_coroutine_threadsafe(_own_cancellations(coroutine, scheduled), pime.event_loop())
    scheduled.append(future)
    return future


async def _in_span(span, coroutine):
    CALL_SPAN.set(span)
    return await coroutine


def cancel(future):
    """Cancels a scheduled coroutine whose caller went away: PIME's own cancellation."""
    future.pime_cancelled = True
    future.cancel()


async def _own_cancellations(coroutine, scheduled):
    import asyncio

    try:
        return await coroutine
    except Exception:
        raise
    except BaseException as error:
        pime_cancelled = scheduled and getattr(scheduled[0], "pime_cancelled", False)
        if isinstance(error, asyncio.CancelledError) and pime_cancelled:
            raise
        raise BrokerRaised(str(error)) from error


def next_async(agen):
    """The next item of an async generator, from a worker thread: (done, item)."""
    import asyncio
    import pime

    future = asyncio.run_coroutine_threadsafe(_own_cancellations(agen.__anext__(), []), pime.event_loop())
    try:
        return False, future.result()
    except StopAsyncIteration:
        return True, None
    except BrokerRaised as carried:
        # Raised in this thread, the worker's, the original is safe to re-raise.
        raise carried.__cause__ from None
    finally:
        # The exception's traceback holds this frame; dropping `future` (which holds
        # the exception) breaks the cycle so nothing waits for the garbage collector.
        del future


def close_async(agen):
    """Closes an async generator early, from a worker thread."""
    import asyncio
    import pime

    asyncio.run_coroutine_threadsafe(agen.aclose(), pime.event_loop()).result()


def settle_host_call(loop, future, ok, value):
    """Settles the asyncio `future` of an awaitable host call, from a Rust thread."""
    try:
        loop.call_soon_threadsafe(_settle, future, ok, value)
    except RuntimeError:
        pass  # The loop has closed: nobody awaits the call any more.


def _settle(future, ok, value):
    if future.done():
        return  # Cancelled meanwhile.
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def configure_multiprocessing():
    """Makes process pools start a real Python interpreter, not this Rust program.

    Embedded, `sys.executable` names whatever `python3` was first on PATH (or the Rust
    binary), so children started with the "spawn" or "forkserver" method would run the
    wrong program. The interpreter is, in order: $PIME_PYTHON; the active venv's
    `bin/python`; `python<major>.<minor>` beside the embedded library's prefix.
    """
    import multiprocessing
    import os
    import sys

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        os.environ.get("PIME_PYTHON"),
        os.path.join(sys.prefix, "bin", "python") if sys.prefix != sys.base_prefix else None,
        os.path.join(sys.base_exec_prefix, "bin", version),
        os.path.join(sys.base_exec_prefix, "bin", "python3"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            multiprocessing.set_executable(candidate)
            return candidate
    return None


def find_origin(obj):
    """``(module, attribute)`` of a loaded module that holds ``obj`` itself, or None: its
    ``__module__`` and ``__name__`` when they lead back to it, else the first module
    attribute that is this very object (a ``pime.Broker`` instance, a function bound
    under another name)."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", None)
    if isinstance(module, str) and isinstance(name, str):
        if getattr(sys.modules.get(module), name, None) is obj:
            return module, name
    for module_name, loaded in list(sys.modules.items()):
        if module_name in ("pime", "_pime_runtime", "__main__"):
            continue
        namespace = getattr(loaded, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attribute, value in list(namespace.items()):
            if value is obj and isinstance(attribute, str):
                return module_name, attribute
    return None

