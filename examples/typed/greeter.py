"""The broker of the typed example, written with the `pime` helper package.

The Rust side declares the same commands as the trait `Greeter` in src/main.rs;
`#[pime::python_module(source = "greeter.py")]` checks this file while compiling.
"""

import sys
import threading
import time

import pime

broker = pime.Broker()


@broker.command
def hello(name: str) -> str:
    """Greets `name`, saying which Python thread answered."""
    if not name:
        raise ValueError("hello needs a name")
    return f"Hello, {name}! (from {threading.current_thread().name})"


@broker.command
def sleep(seconds: float) -> float:
    """Blocks a worker thread; the GIL is free meanwhile, so sleeps overlap."""
    time.sleep(seconds)
    return seconds


@broker.command
def add(a: int, b: int) -> int:
    return a + b


@broker.command
def log(line: str, level: str = "info") -> None:
    # One write per line, so lines from parallel calls do not interleave.
    sys.stdout.write(f"[python {level}] {line}\n")
    sys.stdout.flush()


@broker.command
def countdown(start: int):
    """A generator: each number reaches Rust as soon as it is yielded."""
    for number in range(start, 0, -1):
        time.sleep(0.1)
        yield number


@broker.command("bye")
async def goodbye() -> str:
    """Async commands run on the helper's event loop."""
    return "Bye from Python!"
