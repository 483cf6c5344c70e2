"""A broker that replaces the functions of PIME's own per-interpreter module
(`_pime_interpreter`) with ones returning junk."""

import sys

import pime

broker = pime.Broker()


class WeirdLen(tuple):
    def __len__(self):
        raise RuntimeError("len")


JUNK = {
    "none": lambda *a, **k: None,
    "int": lambda *a, **k: 42,
    "short_tuple": lambda *a, **k: (1,),
    "long_tuple": lambda *a, **k: (1, 2, 3, 4, 5, 6, 7),
    "str": lambda *a, **k: "junk",
    "list": lambda *a, **k: [None, None, None],
    "raises": lambda *a, **k: (_ for _ in ()).throw(SystemExit(9)),
    "weird": lambda *a, **k: WeirdLen((None, None)),
    "dict": lambda *a, **k: {"a": 1},
}


@broker.command
def names():
    module = sys.modules.get("_pime_interpreter")
    if module is None:
        return []
    return sorted(n for n in vars(module) if callable(getattr(module, n)) and not n.startswith("__"))


@broker.command
def sabotage(name, kind):
    module = sys.modules["_pime_interpreter"]
    setattr(module, name, JUNK[kind])
    return "done"


@broker.command
def echo(value):
    return value


@broker.command
def fail():
    raise ValueError("x")


@broker.command
def gen():
    yield 1
    yield 2


@broker.command
async def coro():
    return 5


@broker.command
def odd():
    return {1, 2}
