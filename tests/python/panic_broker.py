"""A broker that meets PyO3 `PanicException`s: `rust_panicky.boom(message)` is a Rust
function (registered by the test before the engine starts) that panics."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import rust_panicky


def _panic_exception_class():
    """PyO3's PanicException, as Python code meets it: the type of what a panicking
    Rust function raises."""
    try:
        rust_panicky.boom("probe")
    except BaseException as e:  # PanicException derives from BaseException
        return type(e)
    raise AssertionError("rust_panicky.boom returned")


PanicException = _panic_exception_class()


class SubclassedPanic(PanicException):
    """Not PyO3's own class, so PyO3 does not resume it as a panic."""


def _rust_panic(message):
    rust_panicky.boom(message)


def _raise(kind, message):
    classes = {
        "PanicException": PanicException,
        "SubclassedPanic": SubclassedPanic,
        "CancelledError": asyncio.CancelledError,
        "GeneratorExit": GeneratorExit,
    }
    raise classes[kind](message)


def _swallow(message):
    """Catches the panic of a Rust function and carries on."""
    try:
        rust_panicky.boom(message)
    except PanicException as e:
        return f"caught {type(e).__name__}: {e}"


def broker(command, params):
    if command == "rust_panic":
        return _rust_panic(**params)
    if command == "raise":
        return _raise(**params)
    if command == "swallow":
        return _swallow(**params)
    if command == "echo":
        return params["value"]
    if command == "class_name":
        return f"{PanicException.__module__}.{PanicException.__qualname__}"
    raise KeyError(command)


def make_executor():
    """A user executor: tasks then come back through the future's done-callback."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="user-executor")
