"""The broker module that the streaming UI cases check against (`source = "streams.py"`)."""

import pime

broker = pime.Broker()


@broker.command
def count(n: int, step: int = 1):
    """A generator: the Rust side reads its items as a `pime::PyStream<u32>`."""
    yield from range(0, n, step)


@broker.command("lines")
async def read_lines(path: str):
    """An async generator works the same way."""
    with open(path) as lines:
        for line in lines:
            yield line.rstrip("\n")


@broker.command
def raw_lines(path: str):
    with open(path) as lines:
        yield from lines


@broker.command
def total(n: int) -> int:
    return sum(range(n))
