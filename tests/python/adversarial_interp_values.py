"""Values and exceptions both ways inside an own-GIL subinterpreter."""

import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import pathlib
import sys
import typing
import uuid

import pime

broker = pime.Broker()


def _interp_id():
    try:
        import _interpreters as interpreters  # 3.13
    except ImportError:
        import _xxsubinterpreters as interpreters  # 3.12
    current = interpreters.get_current()
    return int(current[0] if isinstance(current, tuple) else current)


class Money:
    def __init__(self, amount, code):
        self.amount = amount
        self.code = code


class Same:
    pass


class Boom:
    pass


pime.register_converter(Money, lambda m: {"amount": str(m.amount), "currency": m.code})
pime.register_converter(Same, lambda s: Same())
pime.register_converter(Boom, lambda b: 1 / 0)
pime.register_converter(datetime.timedelta, lambda d: d.total_seconds())


class Color(enum.Enum):
    RED = "red"
    ONE = 1


class Level(enum.IntEnum):
    LOW = 1


class Pt(typing.NamedTuple):
    x: int
    y: int


@dataclasses.dataclass
class Point:
    x: int
    inner: object


class BadStr(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")


class BadRepr(BaseException):
    def __str__(self):
        raise BadStr()


@broker.command
def interp():
    return _interp_id()


@broker.command
def echo(value):
    return value


@broker.command
def kinds(value):
    """The Python type names of a value's items, to see what params arrive as."""
    if isinstance(value, dict):
        return {str(k): type(v).__name__ for k, v in value.items()}
    return type(value).__name__


@broker.command
def build(name):
    if name == "huge_int":
        return 2 ** 64
    if name == "neg_huge_int":
        return -(2 ** 63) - 1
    if name == "u64_max":
        return 2 ** 64 - 1
    if name == "i64_min":
        return -(2 ** 63)
    if name == "nan_keys":
        return {float("nan"): 1, float("nan"): 2}
    if name == "one_nan_key":
        return {float("nan"): 1}
    if name == "enum_key_collision":
        return {Color.ONE: "a", 1: "b"}
    if name == "surrogate":
        return "a\udc80b"
    if name == "surrogate_key":
        return {"\ud800": 1}
    if name == "bytes_kinds":
        return [b"\x00\xff", bytearray(b"ab"), memoryview(b"cd")]
    if name == "cyclic_list":
        x = []
        x.append(x)
        return x
    if name == "cyclic_dict":
        d = {}
        d["self"] = d
        return d
    if name == "deep_200":
        v = 1
        for _ in range(199):
            v = [v]
        return v
    if name == "deep_201":
        v = 1
        for _ in range(201):
            v = [v]
        return v
    if name == "deep_100k":
        v = 1
        for _ in range(100_000):
            v = [v]
        return v
    if name == "deep_dataclass":
        v = 1
        for _ in range(300):
            v = Point(1, v)
        return v
    if name == "library":
        return {
            "color": Color.RED,
            "level": Level.LOW,
            "pt": Pt(1, 2),
            "point": Point(3, "x"),
            "set": {3, 1, 2},
            "frozen": frozenset({"b", "a"}),
            "mixed_set": {1, "a"},
            "tuple": (1, "a"),
            "date": datetime.date(2024, 1, 2),
            "decimal": decimal.Decimal("1.10"),
            "nan_decimal": decimal.Decimal("NaN"),
            "uuid": uuid.UUID("6fa459ea-ee8a-3ca4-894e-db77e160355e"),
            "path": pathlib.PurePosixPath("/tmp/x"),
            "fraction": fractions.Fraction(1, 4),
            "money": Money(decimal.Decimal("2.50"), "EUR"),
            "delta": datetime.timedelta(seconds=90),
            "enum_key": {Color.RED: 1},
            "inf": float("inf"),
            "bool": True,
            "none": None,
        }
    if name == "same":
        return [Same()]
    if name == "boom":
        return {"k": Boom()}
    if name == "complex":
        return [1, complex(1, 2)]
    if name == "generator_value":
        return {"g": (i for i in range(3))}
    if name == "big_string":
        return "x" * (20 * 1024 * 1024)
    if name == "big_list":
        return list(range(1_000_000))
    if name == "int_subclass":
        class MyInt(int):
            pass
        return [MyInt(5), True]
    if name == "str_subclass":
        class MyStr(str):
            pass
        return MyStr("sub")
    if name == "dict_subclass":
        return collections.OrderedDict([("b", 1), ("a", 2)])
    if name == "defaultdict":
        d = collections.defaultdict(list)
        d["x"].append(1)
        return d
    raise ValueError(name)


@broker.command
def fail(kind):
    if kind == "badstr":
        raise BadStr()
    if kind == "badrepr":
        raise BadRepr()
    if kind == "system_exit":
        sys.exit(7)
    if kind == "keyboard":
        raise KeyboardInterrupt()
    if kind == "generator_exit":
        raise GeneratorExit()
    if kind == "recursion":
        def f(n):
            return f(n + 1)
        return f(0)
    if kind == "chained":
        try:
            raise KeyError("inner")
        except KeyError as e:
            raise ValueError("outer") from e
    if kind == "memory":
        raise MemoryError()
    if kind == "exception_group":
        raise ExceptionGroup("group", [ValueError("a"), KeyError("b")])
    raise ValueError(kind)


@broker.command
def context():
    return pime.context()
