"""The broker module that the `source = "greeter.py"` UI cases check against."""

import pime

broker = pime.Broker()


@broker.command
def hello(name: str) -> str:
    return f"Hello, {name}!"


@broker.command("bye")
async def goodbye() -> str:
    return "Bye!"


@broker.command
def log(line: str, **extra) -> None:
    print(line, extra)


@broker.command
def add(a: int, b: int = 0) -> int:
    return a + b
