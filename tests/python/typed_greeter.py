"""The broker behind the typed-layer integration tests (tests/tests/typed_*.rs)."""

import threading
import time

import pime

broker = pime.Broker()

_lock = threading.Condition()
_log = []


@broker.command
def hello(name: str) -> str:
    return f"Hello, {name}!"


@broker.command("bye")
async def goodbye() -> str:
    return "Bye!"


@broker.command
def log(line: str) -> None:
    with _lock:
        _log.append(line)
        _lock.notify_all()


@broker.command
def logged(count: int, timeout: float) -> list:
    """The log lines, once there are at least `count` of them."""
    with _lock:
        _lock.wait_for(lambda: len(_log) >= count, timeout)
        return list(_log)


@broker.command
def add(a: int, type: str) -> int:
    if type == "double":
        return 2 * a
    return a


@broker.command
def search(q: str, limit: int = 3) -> list:
    return [f"{q}{i}" for i in range(limit)]


@broker.command
def echo(value=None):
    return value


@broker.command
def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


@broker.command
def fail(message: str) -> None:
    raise ValueError(message)


@broker.command
def params_of(**params) -> dict:
    """What arrived, so a test can see which keys were left out."""
    return {key: repr(value) for key, value in params.items()}


@broker.command("greeter.hello")
def namespaced_hello(name: str) -> str:
    return f"Hello from the namespace, {name}!"
