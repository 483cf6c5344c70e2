"""Helpers for writing PIME brokers.

A PIME engine calls one Python callable, the *broker*, as
``broker(command, params)`` from its worker threads, where ``command`` is a
``str`` and ``params`` is a ``dict`` of keyword arguments or ``None``.
:class:`Broker` builds such a callable from decorated functions::

    import pime

    broker = pime.Broker()

    @broker.command
    def hello(name: str) -> str:
        return f"Hello, {name}!"

    @broker.command("bye")
    async def goodbye() -> str:
        return "Bye!"

Only registered functions can be reached: a command name coming from the Rust
side is looked up in the broker's own table and nowhere else (never with
``getattr``, never with ``eval``), and parameters are passed as plain keyword
arguments. Async commands run on one shared asyncio event loop that this module
owns (see :func:`event_loop`); the calling worker thread waits for the result.

``broker("__pime_commands__", None)`` returns the registered command names, so
the Rust side can check that a module provides the commands it expects.

Results that are not plain values (``None``, ``bool``, ``int``, ``float``, ``str``,
``bytes``, lists, tuples and dicts of them) convert by the README's value table
(numpy scalars and arrays, dataclasses, ``Enum`` members, ``datetime``s,
``Decimal``, ``UUID``, paths, sets); :func:`register_converter` adds more::

    pime.register_converter(Money, lambda m: {"amount": m.amount, "currency": m.code})

This file is standard-library only and self-contained: the Rust crate embeds it
and registers it as the module ``pime``.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
import threading
import types
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple, TypeVar, Union, overload

__all__ = [
    "Broker",
    "HostError",
    "UnknownCommandError",
    "VERIFY_COMMAND",
    "context",
    "event_loop",
    "register_converter",
    "unregister_converter",
]

#: The reserved command that returns the list of registered command names.
VERIFY_COMMAND: str = "__pime_commands__"

#: Set by the PIME engine when it loads this module: the engine runs a coroutine that
#: a broker returns on its event loop without holding a worker thread, so
#: :class:`Broker` hands coroutines back instead of waiting for them. Elsewhere
#: (plain Python, tests, a process-pool child) the broker waits for them itself.
ENGINE_AWAITS_COROUTINES: bool = False

F = TypeVar("F", bound=Callable[..., Any])

# Limits for error messages: a hostile caller must not be able to make us build
# huge strings.
_MAX_NAME_IN_MESSAGE = 100
_MAX_COMMANDS_IN_MESSAGE = 20


class UnknownCommandError(LookupError):
    """Raised when a broker is asked for a command that was not registered."""


class HostError(Exception):
    """Raised by a host function (a Rust function registered with
    ``#[pime::host_module]``) that returned an error or panicked.

    ``message`` is the Rust error's message; ``kind`` names its ``pime::ErrorKind``
    (``"ExecError"``, ``"PyException"`` for a Python error of a nested call, ...).
    """

    def __init__(self, message: str, kind: str = "ExecError") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


# --------------------------------------------------------------------------
# Per-call context
# --------------------------------------------------------------------------

# Holds a read-only mapping for the current call, or None outside any call
# that carries context.
_CONTEXT: contextvars.ContextVar[Optional[Mapping[str, Any]]] = contextvars.ContextVar(
    "pime_context", default=None
)


def context() -> Dict[str, Any]:
    """Return the context values of the current call as a new dict.

    The dict is a copy: changing it does not change what other code sees. It is
    empty when the current call carries no context. Works in sync and async
    commands alike.
    """
    values = _CONTEXT.get()
    return dict(values) if values else {}


def _run_with_context(values: Optional[Mapping[str, Any]], fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` in a copy of the current context with ``values`` set.

    The Rust engine submits this to the executor when a task carries context,
    for example ``_run_with_context({"request_id": "7"}, broker, "hello", {...})``.
    Each call gets its own copied context, so concurrent calls never see each
    other's values.
    """
    frozen = types.MappingProxyType(dict(values)) if values else None
    return contextvars.copy_context().run(_call_with_values, frozen, fn, args)


def _call_with_values(values: Optional[Mapping[str, Any]], fn: Callable[..., Any], args: Tuple[Any, ...]) -> Any:
    _CONTEXT.set(values)
    return fn(*args)


# --------------------------------------------------------------------------
# The shared event loop for async commands
# --------------------------------------------------------------------------

_loop: Optional[asyncio.AbstractEventLoop] = None
_loop_thread: Optional[threading.Thread] = None
_loop_lock = threading.Lock()


def event_loop() -> asyncio.AbstractEventLoop:
    """Return the asyncio event loop that runs async commands.

    The loop runs forever in a daemon thread named ``"pime-asyncio"``, started
    on first use (thread-safe). Submit work to it from other threads with
    ``asyncio.run_coroutine_threadsafe(coro, pime.event_loop())``. Do not stop
    or close it.
    """
    global _loop, _loop_thread
    loop, thread = _loop, _loop_thread
    if loop is not None and thread is not None and thread.is_alive():
        return loop  # fast path, no lock
    with _loop_lock:
        if _loop is None or _loop_thread is None or not _loop_thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_run_loop_forever, args=(loop,), name="pime-asyncio", daemon=True
            )
            thread.start()
            _loop, _loop_thread = loop, thread
        return _loop


#: Called (with no arguments) on the event loop's thread before the loop runs; the
#: PIME engine sets it to learn which thread that is.
_ON_LOOP_THREAD: Optional[Callable[[], None]] = None


def _run_loop_forever(loop: asyncio.AbstractEventLoop) -> None:
    if _ON_LOOP_THREAD is not None:
        _ON_LOOP_THREAD()
    asyncio.set_event_loop(loop)
    loop.run_forever()


def _wait_for_coroutine(coro: Awaitable[Any]) -> Any:
    """Run ``coro`` on the shared loop and block the calling thread until it ends."""
    loop = event_loop()
    if threading.current_thread() is _loop_thread:
        # Blocking here would stop the very loop that has to finish the coroutine.
        coro.close()  # type: ignore[attr-defined]
        raise RuntimeError(
            "an async command was called synchronously from the pime event loop thread; "
            "await the function directly instead"
        )
    # run_coroutine_threadsafe takes no context in 3.11, so the outer coroutine
    # sets the caller's context values before the command's body runs.
    future = asyncio.run_coroutine_threadsafe(_with_context(_CONTEXT.get(), coro), loop)
    try:
        return future.result()
    except BaseException:
        # If we were interrupted while waiting, don't leave the coroutine running.
        future.cancel()
        raise


async def _with_context(values: Optional[Mapping[str, Any]], coro: Awaitable[Any]) -> Any:
    _CONTEXT.set(values)
    return await coro


# --------------------------------------------------------------------------
# Converters for results
# --------------------------------------------------------------------------

#: type -> function, read by the engine (``pime/src/value``) for an object in a
#: result that the value table does not convert itself. One dict for the life of
#: the process: the engine keeps a reference to it.
_CONVERTERS: Dict[type, Callable[[Any], Any]] = {}

# What the engine converts before it looks for a converter, subclasses included: a
# converter for one of these would never run.
_PLAIN_TYPES = (type(None), bool, int, float, str, bytes, bytearray, memoryview, list, tuple, dict)

C = TypeVar("C", bound=Callable[[Any], Any])


@overload
def register_converter(cls: type, fn: C, /) -> C: ...


@overload
def register_converter(cls: type, /) -> Callable[[C], C]: ...


def register_converter(cls: type, fn: Optional[Callable[[Any], Any]] = None, /) -> Any:
    """Convert instances of ``cls`` in results with ``fn``; returns ``fn``.

    When a result holds an object the value table does not convert, the engine
    looks for a converter registered for its type, then for the classes of its
    ``__mro__`` in order (real base classes; ``abc`` registrations do not count),
    and calls ``fn(obj)``: what it returns is converted in turn (it may hold other
    objects that need converters). These converters come before the table's own
    rules for library types, so one for ``datetime.datetime`` replaces the ISO
    string. A converter registered for ``object`` is the last resort instead: it
    runs only for objects nothing else converts.

    ``fn`` must return something other than another ``cls`` instance (that is an
    error, not a loop); an exception it raises is an ``UnpackError`` for the
    caller. Registering again for ``cls`` replaces its converter. Without ``fn``,
    returns a decorator::

        @pime.register_converter(Money)
        def _money(m):
            return {"amount": m.amount, "currency": m.code}

    Raises TypeError when ``cls`` is not a class or ``fn`` is not callable, and
    ValueError for ``None``'s type, ``bool``, ``int``, ``float``, ``str``,
    ``bytes``, ``bytearray``, ``memoryview``, ``list``, ``tuple``, ``dict`` and
    their subclasses (the engine converts them itself, before any converter).
    """
    _check_convertible_class(cls)
    if fn is None:

        def decorator(fn: C) -> C:
            return register_converter(cls, fn)

        return decorator
    if not callable(fn):
        raise TypeError(f"a converter must be callable, got {type(fn).__name__}")
    _CONVERTERS[cls] = fn
    return fn


def unregister_converter(cls: type) -> Optional[Callable[[Any], Any]]:
    """Remove the converter registered for ``cls``; return it, or None if there was none."""
    return _CONVERTERS.pop(cls, None)


def _check_convertible_class(cls: Any) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"register_converter takes a class, got {type(cls).__name__}")
    if issubclass(cls, _PLAIN_TYPES):
        plain = next(base for base in _PLAIN_TYPES if issubclass(cls, base))
        raise ValueError(
            f"cannot register a converter for {cls.__qualname__}: PIME converts "
            f"{plain.__qualname__} and its subclasses itself, so the converter would never run"
        )


# --------------------------------------------------------------------------
# Broker
# --------------------------------------------------------------------------


def _check_command_name(name: Any) -> str:
    """Return ``name`` if it is a valid command name, else raise ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"command name must be a str, got {type(name).__name__}")
    for segment in name.split("."):
        # isidentifier() rejects "", "a..b", "../x", "-x"; the "_" rule keeps
        # private and dunder names (and the reserved verify command) out.
        if not segment.isidentifier() or segment.startswith("_"):
            raise ValueError(
                f"invalid command name {_shorten(name)!r}: it must be one or more Python "
                "identifiers separated by dots, none starting with '_'"
            )
    return name


def _is_coroutine(obj: Any) -> bool:
    # Not asyncio.iscoroutine: in 3.11 it also accepts plain generators, which
    # must be returned as they are. The exact type test is the cheap common case.
    return type(obj) is types.CoroutineType or isinstance(obj, collections.abc.Coroutine)


def _shorten(name: str) -> str:
    if len(name) > _MAX_NAME_IN_MESSAGE:
        return name[:_MAX_NAME_IN_MESSAGE] + "..."
    return name


class Broker:
    """A registry of command functions that is itself a PIME broker.

    Register functions with :meth:`command`, then hand the instance to the
    engine: ``broker(command, params)`` calls the function registered under
    ``command`` with ``params`` as keyword arguments and returns its result.
    """

    def __init__(self) -> None:
        """Create an empty broker."""
        # Insertion-ordered, so the verify query lists commands in registration order.
        self._functions: Dict[str, Callable[..., Any]] = {}

    @property
    def commands(self) -> Tuple[str, ...]:
        """The registered command names, in registration order."""
        return tuple(self._functions)

    @overload
    def command(self, fn: F, /) -> F: ...

    @overload
    def command(self, name: str, /) -> Callable[[F], F]: ...

    @overload
    def command(self, *, name: Optional[str] = None) -> Callable[[F], F]: ...

    def command(
        self, fn_or_name: Union[Callable[..., Any], str, None] = None, /, *, name: Optional[str] = None
    ) -> Any:
        """Register a function as a command; use as a decorator.

        ``@broker.command`` registers under the function's ``__name__``;
        ``@broker.command("name")`` and ``@broker.command(name="name")`` under an
        explicit name, which may contain dots (``"greeter.hello"``). The function
        is returned unchanged. Raises ValueError for an invalid or already
        registered name.
        """
        if isinstance(fn_or_name, str):
            if name is not None:
                raise TypeError("give the command name once, positionally or as name=")
            name, fn_or_name = fn_or_name, None
        if fn_or_name is None:
            explicit = name

            def decorator(fn: F) -> F:
                return self._register(fn, explicit)

            return decorator
        return self._register(fn_or_name, name)

    def _register(self, fn: F, name: Optional[str]) -> F:
        if not callable(fn):
            raise TypeError(f"a command must be callable, got {type(fn).__name__}")
        if name is None:
            name = getattr(fn, "__name__", None)
            if name is None:
                raise ValueError("this callable has no __name__; pass the command name explicitly")
        _check_command_name(name)
        if name in self._functions:
            raise ValueError(f"command {name!r} is already registered")
        self._functions[name] = fn
        return fn

    def __call__(self, command: str, params: Optional[Dict[str, Any]] = None) -> Any:
        """Run ``command`` with ``params`` as keyword arguments and return its result.

        ``params`` is a dict or None (no arguments). A coroutine result is run
        on the shared event loop and waited for; its result or exception is
        returned or raised here. ``command == "__pime_commands__"`` returns the
        list of registered command names instead.

        Raises UnknownCommandError for a command that is not registered, and
        TypeError for bad params (not a dict, a key that is not an identifier
        or starts with ``__``, a missing or unexpected argument).
        """
        if type(command) is str and command == VERIFY_COMMAND:
            return list(self._functions)
        # A plain dict lookup: only registered functions can ever be found.
        fn = self._functions.get(command) if isinstance(command, str) else None
        if fn is None:
            raise UnknownCommandError(self._unknown_message(command))
        if params is None:
            result = fn()
        elif isinstance(params, dict):
            for key in params:
                if type(key) is not str or not key.isidentifier() or key.startswith("__"):
                    raise TypeError(
                        f"command {command!r}: invalid parameter name {_shorten(repr(key))}: "
                        "parameter names must be identifiers not starting with '__'"
                    )
            result = fn(**params)
        else:
            raise TypeError(
                f"command {command!r}: params must be a dict or None, got {type(params).__name__}"
            )
        if _is_coroutine(result) and not ENGINE_AWAITS_COROUTINES:
            return _wait_for_coroutine(result)
        return result

    def _unknown_message(self, command: Any) -> str:
        if isinstance(command, str):
            what = f"unknown command {_shorten(command)!r}"
        else:
            what = f"command must be a str, got {type(command).__name__}"
        names = list(self._functions)
        shown = ", ".join(names[:_MAX_COMMANDS_IN_MESSAGE]) or "(none)"
        if len(names) > _MAX_COMMANDS_IN_MESSAGE:
            shown += f", ... ({len(names) - _MAX_COMMANDS_IN_MESSAGE} more)"
        return f"{what}; available commands: {shown}"

    def __repr__(self) -> str:
        """Show the registered command names."""
        return f"<pime.Broker commands={list(self._functions)!r}>"
