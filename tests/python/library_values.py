"""The broker behind tests/tests/library_values*.rs: results holding what Python
libraries return (dataclasses, Enums, datetimes, Decimal, UUID, paths, sets,
NamedTuples, numpy-like scalars and arrays), converters registered with
`pime.register_converter`, and a seeded generator of random nestings of all of them
together with `expect`, a reference of what PIME must make of them.

numpy is not installed for the embedded Python, so small stand-ins play its part:
`Int64` has `__index__` (and is no int), `Float32` is a `numbers.Real` with
`__float__` (and is no float), `NDArray` has `__array__` and `tolist` (and an
`__index__` that raises, as a numpy array of many items does), and `numpy_bool` is a
class named `numpy.bool_`.

Standard library only; runs on CPython 3.9 and later.
"""

import collections
import dataclasses
import datetime
import decimal
import enum
import numbers
import operator
import pathlib
import random
import string
import typing
import uuid

import pime

broker = pime.Broker()


# ---------------------------------------------------------------- numpy stand-ins


class Int64:
    """Like `numpy.int64`: converts through `__index__`."""

    def __init__(self, n):
        self.n = n

    def __index__(self):
        return self.n

    def __eq__(self, other):
        return isinstance(other, Int64) and other.n == self.n

    def __hash__(self):
        return hash(("Int64", self.n))

    def __lt__(self, other):
        return self.n < other.n if isinstance(other, Int64) else NotImplemented


class Float32:
    """Like `numpy.float32`: a `numbers.Real` that is not a `float`."""

    def __init__(self, x):
        self.x = x

    def __float__(self):
        return self.x


numbers.Real.register(Float32)


class NDArray:
    """Like `numpy.ndarray`: `tolist()` gives its items."""

    def __init__(self, items):
        self.items = items

    def __array__(self, dtype=None):
        raise NotImplementedError("a stand-in")

    def tolist(self):
        return list(self.items)

    def __index__(self):
        raise TypeError("only integer scalar arrays can be converted to a scalar index")


numpy_bool = type("bool_", (), {"__module__": "numpy", "__bool__": lambda self: self.value})


def np_bool(value):
    b = numpy_bool()
    b.value = value
    return b


# ---------------------------------------------------------------- stdlib kinds


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


@dataclasses.dataclass
class Event:
    name: str
    when: datetime.datetime
    where: Point
    tags: set
    color: "Color"
    price: decimal.Decimal
    id: uuid.UUID
    path: pathlib.PurePath


@dataclasses.dataclass(frozen=True)
class Key:
    a: int
    b: str


@dataclasses.dataclass
class Node:
    a: typing.Any = None
    b: typing.Any = None


class Color(enum.Enum):
    RED = 1
    GREEN = "green"
    BLUE = (0, 0, 255)


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 300


class Shade(enum.Enum):
    DARK = Color.BLUE  # an Enum whose value is another Enum's member


class Pair(typing.NamedTuple):
    left: typing.Any
    right: typing.Any


OldPair = collections.namedtuple("OldPair", "first second")


# ---------------------------------------------------------------- converters


class Celsius:
    def __init__(self, degrees):
        self.degrees = degrees


pime.register_converter(Celsius, lambda c: {"celsius": c.degrees})


class Base:
    pass


class Derived(Base):
    pass


pime.register_converter(Base, lambda b: ["base", type(b).__name__])


class Stamp(datetime.datetime):
    """A datetime with a converter of its own: the converter wins over the ISO rule."""


pime.register_converter(Stamp, lambda s: s.replace(tzinfo=datetime.timezone.utc).timestamp())


class Wrapper:
    """Converted to its payload, whatever that is."""

    def __init__(self, payload):
        self.payload = payload


@pime.register_converter(Wrapper)
def _unwrap(wrapper):
    return wrapper.payload


class Stubborn:
    pass


pime.register_converter(Stubborn, lambda s: Stubborn())


class Failing:
    pass


def _refuse(obj):
    raise ValueError("no")


pime.register_converter(Failing, _refuse)


class Ping:
    pass


class Pong:
    pass


pime.register_converter(Ping, lambda p: Pong())
pime.register_converter(Pong, lambda p: Ping())


class Opaque:
    """Nothing converts it (while no converter for `object` is registered)."""


# ---------------------------------------------------------------- the kinds, by name


def _kinds():
    tz = datetime.timezone(datetime.timedelta(hours=2))
    self_node = Node()
    self_node.a = self_node
    deep, shallow = Node(), Node()
    for _ in range(250):
        deep = Node(a=deep)
    for _ in range(150):
        shallow = Node(a=shallow)
    mixed = {1, "a"}
    looped = Wrapper(None)
    looped.payload = [looped]
    return {
        "int64": Int64(7),
        "int64_u64": Int64(2**64 - 1),
        "int64_big": Int64(2**70),
        "float32": Float32(1.5),
        "numpy_bool": [np_bool(True), np_bool(False)],
        "ndarray": NDArray([NDArray([Int64(1), Int64(2)]), NDArray([Float32(3.5), 4])]),
        "point": Point(1, 2.5),
        "event": Event(
            name="launch",
            when=datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=tz),
            where=Point(3, -1.0, "pad"),
            tags={"b", "a", "c"},
            color=Color.GREEN,
            price=decimal.Decimal("19.90"),
            id=uuid.UUID("6fa459ea-ee8a-3ca4-894e-db77e160355e"),
            path=pathlib.PurePosixPath("/srv/launch.toml"),
        ),
        "enums": [Color.RED, Color.GREEN, Color.BLUE, Level.HIGH, Shade.DARK],
        "datetimes": [
            datetime.datetime(2020, 1, 2, 3, 4, 5),
            datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
            datetime.date(1999, 12, 31),
            datetime.time(23, 59, 1, 500),
        ],
        "strings": [
            decimal.Decimal("1.10"),
            decimal.Decimal("NaN"),
            decimal.Decimal("-1E+3"),
            uuid.UUID(int=1),
            pathlib.PurePosixPath("a/b"),
            pathlib.Path("/tmp/x"),
        ],
        "sets": [{3, 1, 2}, frozenset({"b", "a"}), set(), {(2, "b"), (1, "z")}],
        "mixed_set": [mixed, list(mixed)],
        "tuples": [Pair(1, "x"), OldPair(first=[1], second=None), (1, 2), ()],
        "keys": {
            Color.RED: "enum",
            datetime.date(2020, 1, 1): "date",
            frozenset({1}): "frozenset",
            Pair(1, "x"): "namedtuple",
            Key(1, "k"): "dataclass",
            decimal.Decimal("2.5"): "decimal",
            Int64(9): "int64",
        },
        "colliding_keys": {Color.RED: "member", 1: "value"},
        "celsius": Celsius(21.5),
        "derived": [Derived(), Base()],
        "stamp": Stamp(2020, 1, 1),
        "stubborn": Stubborn(),
        "failing": [0, Failing()],
        "ping": Ping(),
        "opaque": {"list": [1, 2, Opaque()]},
        "opaque_key": {"fine": 1, Opaque(): 2},
        "timedelta": [1, {"when": datetime.timedelta(days=1)}],
        "complex_in_set": {complex(1, 2)},
        "cyclic_node": self_node,
        "cyclic_converter": looped,
        "deep_nodes": deep,
        "shallow_nodes": shallow,
    }


@broker.command
def kind(name):
    """One value of each kind, by name."""
    return _kinds()[name]


@broker.command
def stream_kinds():
    """A generator of library values: stream items convert the same way."""
    yield Point(1, 2.0)
    yield datetime.date(2021, 2, 3)
    yield Color.BLUE
    yield {2, 1}


@broker.command
def set_fallback(on):
    """Registers (or removes) a converter for `object`: `repr` for whatever nothing else converts."""
    if on:
        pime.register_converter(object, lambda obj: f"<{type(obj).__name__}>")
    else:
        pime.unregister_converter(object)


@broker.command
def register(cls_name):
    """`pime.register_converter` for a type by name; returns the error it raises."""
    cls = {"int": int, "Pair": Pair, "Opaque": Opaque, "number": 3}[cls_name]
    try:
        pime.register_converter(cls, repr)
    except (TypeError, ValueError) as error:
        return [type(error).__name__, str(error)]
    pime.unregister_converter(cls)
    return None


# ---------------------------------------------------------------- the reference


class Unconvertible(Exception):
    """What `expect` raises for an object PIME cannot convert."""


def _converter_for(cls):
    """The converter PIME uses before its library rules, or None (as `value/library.rs`)."""
    for base in cls.__mro__:
        if base is not object and base in pime._CONVERTERS:
            return pime._CONVERTERS[base]
    return None


def _sorted_or_not(items):
    try:
        return sorted(items)
    except Exception:  # noqa: BLE001 - any failure to sort: the set's own order
        return list(items)


def expect(obj):
    """What PIME makes of `obj`, per the README's value tables, as a tagged tree:
    ["unit"], ["bool", b], ["i64", n], ["u64", n], ["f64", x], ["str", s],
    ["bytes", b], ["seq", [...]], ["map", [[key, value], ...]]."""
    if obj is None:
        return ["unit"]
    if isinstance(obj, bool):
        return ["bool", obj]
    if isinstance(obj, int):
        return _int(int(obj))
    if isinstance(obj, float):
        return ["f64", float(obj)]
    if isinstance(obj, str):
        return ["str", str(obj)]
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return ["bytes", bytes(obj)]
    if isinstance(obj, list):
        return ["seq", [expect(item) for item in obj]]
    if isinstance(obj, tuple):
        if type(obj) is not tuple and hasattr(type(obj), "_fields"):
            return ["map", [[["str", f], expect(v)] for f, v in zip(type(obj)._fields, obj)]]
        return ["seq", [expect(item) for item in obj]]
    if isinstance(obj, dict):
        return ["map", [[expect(k), expect(v)] for k, v in obj.items()]]
    converter = _converter_for(type(obj))
    if converter is not None:
        converted = converter(obj)
        if type(converted) is type(obj):
            raise Unconvertible("a converter returned its own type")
        return expect(converted)
    if isinstance(obj, (set, frozenset)):
        return ["seq", [expect(item) for item in _sorted_or_not(obj)]]
    if isinstance(obj, enum.Enum):
        return expect(obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return ["map", [[["str", f.name], expect(getattr(obj, f.name))] for f in dataclasses.fields(obj)]]
    if isinstance(obj, (datetime.date, datetime.time)):
        return ["str", obj.isoformat()]
    if isinstance(obj, (decimal.Decimal, uuid.UUID, pathlib.PurePath)):
        return ["str", str(obj)]
    if hasattr(type(obj), "__array__") and hasattr(type(obj), "tolist"):
        return expect(obj.tolist())
    if type(obj).__module__ == "numpy" and type(obj).__qualname__ in ("bool_", "bool"):
        return ["bool", bool(obj)]
    if hasattr(type(obj), "__index__"):
        return _int(operator.index(obj))
    if isinstance(obj, numbers.Real):
        return ["f64", float(obj)]
    raise Unconvertible(type(obj).__qualname__)


def _int(n):
    if -(2**63) <= n < 2**63:
        return ["i64", n]
    if n < 2**64:
        return ["u64", n]
    raise Unconvertible("int out of range")


def _frozen(tagged):
    return repr(tagged)


# ---------------------------------------------------------------- the generator


class _Gen:
    """Random nestings of every kind PIME converts, from one seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.budget = 200  # nodes, so that a case stays small

    def value(self, depth):
        rng = self.rng
        self.budget -= 1
        if depth >= 6 or self.budget <= 0 or rng.random() < 0.25:
            return self.leaf()
        kind = rng.randrange(10)
        width = rng.randrange(5)
        if kind == 0:
            return [self.value(depth + 1) for _ in range(width)]
        if kind == 1:
            return tuple(self.value(depth + 1) for _ in range(width))
        if kind == 2:
            return self.dict(depth, width)
        if kind == 3:
            items = {self.key(depth + 1) for _ in range(width)}
            return items if rng.random() < 0.5 else frozenset(items)
        if kind == 4:
            return Node(self.value(depth + 1), self.value(depth + 1))
        if kind == 5:
            return Pair(self.value(depth + 1), self.value(depth + 1))
        if kind == 6:
            return NDArray([self.value(depth + 1) for _ in range(width)])
        if kind == 7:
            payload = self.value(depth + 1)
            # A Wrapper's converter returning a Wrapper would be an error.
            return Wrapper([payload] if isinstance(payload, Wrapper) else payload)
        if kind == 8:
            return OldPair(self.value(depth + 1), self.leaf())
        return [self.leaf() for _ in range(width)]

    def dict(self, depth, width):
        d, seen = {}, set()
        for _ in range(width):
            key = self.key(depth + 1)
            tag = _frozen(expect(key))
            # No two keys that are one in Python, nor two that become one `Value`.
            if key in d or tag in seen:
                continue
            seen.add(tag)
            d[key] = self.value(depth + 1)
        return d

    def leaf(self):
        rng = self.rng
        kind = rng.randrange(22)
        if kind == 0:
            return None
        if kind == 1:
            return rng.random() < 0.5
        if kind == 2:
            return rng.randrange(-(2**63), 2**64)
        if kind == 3:
            return rng.choice([rng.uniform(-1e9, 1e9), float("inf"), -0.0, 5e-324])
        if kind == 4:
            return self.text()
        if kind == 5:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(6)))
        if kind == 6:
            return Int64(rng.randrange(-(2**63), 2**64))
        if kind == 7:
            return Float32(rng.uniform(-100, 100))
        if kind == 8:
            return np_bool(rng.random() < 0.5)
        if kind == 9:
            return rng.choice([Color.RED, Color.GREEN, Color.BLUE, Level.LOW, Level.HIGH, Shade.DARK])
        if kind == 10:
            return self.datetime()
        if kind == 11:
            return self.datetime().date()
        if kind == 12:
            return self.datetime().timetz()
        if kind == 13:
            return decimal.Decimal(rng.randrange(-(10**12), 10**12)).scaleb(rng.randrange(-8, 8))
        if kind == 14:
            return rng.choice([decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("0.000")])
        if kind == 15:
            return uuid.UUID(int=rng.getrandbits(128))
        if kind == 16:
            parts = [self.word() or "x" for _ in range(rng.randrange(1, 4))]
            return pathlib.PurePosixPath(*parts) if rng.random() < 0.5 else pathlib.Path("/", *parts)
        if kind == 17:
            return Celsius(rng.uniform(-40, 40))
        if kind == 18:
            return rng.choice([Derived(), Base()])
        if kind == 19:
            return Stamp(2000 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
        if kind == 20:
            return Key(rng.randrange(100), self.word())
        return self.word()

    def key(self, depth):
        """Something hashable, of every kind that may be a dict key or set item."""
        rng = self.rng
        kind = rng.randrange(12)
        if kind == 0:
            return rng.randrange(-1000, 1000)
        if kind == 1:
            return self.word()
        if kind == 2:
            return rng.choice([Color.RED, Color.GREEN, Level.LOW, Level.HIGH])
        if kind == 3:
            return self.datetime()
        if kind == 4:
            return self.datetime().date()
        if kind == 5:
            return decimal.Decimal(rng.randrange(-1000, 1000)).scaleb(-2)
        if kind == 6:
            return uuid.UUID(int=rng.getrandbits(128))
        if kind == 7 and depth < 6:
            return frozenset(self.key(depth + 1) for _ in range(rng.randrange(3)))
        if kind == 8 and depth < 6:
            return Pair(self.key(depth + 1), self.key(depth + 1))
        if kind == 9:
            return Key(rng.randrange(10), self.word())
        if kind == 10:
            return Int64(rng.randrange(-1000, 1000))
        return pathlib.PurePosixPath(self.word() or "k")

    def datetime(self):
        rng = self.rng
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
            seconds=rng.randrange(0, 4 * 10**9), microseconds=rng.choice([0, rng.randrange(10**6)])
        )
        zone = rng.choice([None, datetime.timezone.utc, datetime.timezone(datetime.timedelta(minutes=-330))])
        return moment.replace(tzinfo=zone)

    def word(self):
        return "".join(self.rng.choice(string.ascii_lowercase) for _ in range(self.rng.randrange(6)))

    def text(self):
        rng = self.rng
        points = (rng.choice([rng.randrange(32, 127), rng.randrange(0x20, 0xD800), rng.randrange(0xE000, 0x110000)])
                  for _ in range(rng.randrange(8)))
        return "".join(map(chr, points))


@broker.command
def generated(seed):
    """A random nesting and what PIME must make of it: [object, expect(object)]."""
    obj = _Gen(seed).value(0)
    return [obj, expect(obj)]


# A failing case: convertible siblings, and on one path from the root an object PIME
# cannot convert. `failing(seed)` builds it, `failing_expected(seed)` says where and why.

_BAD = [
    (lambda: complex(1, 2), "cannot convert complex (convert it in the broker"),
    (lambda: Opaque(), "cannot convert library_values.Opaque (convert it in the broker, or register "
                       "a converter: pime.register_converter(library_values.Opaque, fn))"),
    (lambda: datetime.timedelta(seconds=3), "cannot convert datetime.timedelta"),
    (lambda: Stubborn(), "cannot convert library_values.Stubborn: the converter registered for "
                         "library_values.Stubborn returned a library_values.Stubborn again"),
    (lambda: Failing(), "cannot convert library_values.Failing: the converter registered for "
                        "library_values.Failing raised ValueError: no"),
    (lambda: 2**70, "int of 71 bits does not fit in i64 or u64"),
    (lambda: Int64(-(2**65)), "int of 66 bits does not fit in i64 or u64"),
    (lambda: "a\udcffb", "str is not valid Unicode"),
]


def _failing(seed):
    gen = _Gen(seed)
    rng = gen.rng
    make_bad, reason = _BAD[rng.randrange(len(_BAD))]
    # The spine, built from the inside out: each step wraps `obj` and says its segment.
    obj = make_bad()
    segments = []
    for step in [rng.randrange(9) for _ in range(rng.randrange(8))]:
        siblings = [gen.value(3) for _ in range(rng.randrange(3))]
        at = rng.randrange(len(siblings) + 1)
        if step == 0:
            obj = siblings[:at] + [obj] + siblings[at:]
            segments.append(f"[{at}]")
        elif step == 1:
            obj = tuple(siblings[:at] + [obj] + siblings[at:])
            segments.append(f"[{at}]")
        elif step == 2:
            name = "k" + gen.word()
            d = {}
            for sibling in siblings:
                key = "s" + gen.word()
                d[key] = sibling
            d[name] = obj
            obj = d
            segments.append(f'["{name}"]')
        elif step == 3:
            number = rng.randrange(-50, 50)
            obj = {number: obj}
            segments.append(f"[I64({number})]")
        elif step == 4:
            sibling = siblings[0] if siblings else None
            if rng.random() < 0.5:
                obj = Node(a=sibling, b=obj)
                segments.append('["b"]')
            else:
                obj = Node(a=obj, b=sibling)
                segments.append('["a"]')
        elif step == 5:
            obj = Pair(obj, gen.leaf())
            segments.append('["left"]')
        elif step == 6:
            obj = NDArray(siblings[:at] + [obj] + siblings[at:])
            segments.append(f"[{at}]")
        elif step == 7 and not isinstance(obj, Wrapper):
            obj = Wrapper(obj)
        else:
            obj = Wrapper([obj])
            segments.append("[0]")
    return obj, "result" + "".join(reversed(segments)) + ": " + reason


@broker.command
def failing(seed):
    """An object PIME cannot convert somewhere inside."""
    return _failing(seed)[0]


@broker.command
def failing_expected(seed):
    """Where and why `failing(seed)` fails: "result[2]["k"]: cannot convert ..."."""
    return _failing(seed)[1]
