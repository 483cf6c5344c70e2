"""Builds arbitrary Python objects from bytes, deterministically, for the fuzz-style
property test of result conversion; and predicts, per the README's value table, whether PIME can
convert each object and how many `Value` nodes the conversion yields.

Objects: ints of any size, floats (nan, inf, -0.0), str with lone surrogates, bytes,
bytearray, memoryview, lists, tuples, namedtuples, dicts (keys of many hashable
kinds), sets, frozensets, None, bools, complex, datetime, Decimal, object(), instances
of a plain class, int/str/tuple/dict subclasses, shared sub-objects, cycles, and
chains of nested lists up to 510 levels.
"""

import collections
import datetime
import decimal
import enum
import struct

MAX_DEPTH = 200  # pime::MAX_DEPTH
_MAX_NODES = 3000
_MAX_RECURSION = 40
_MAX_EXPANDED = 20000


class _Plain:
    pass


class _Color(enum.IntEnum):
    RED = 1
    BLUE = 300


class _Str(str):
    pass


_Point = collections.namedtuple("_Point", "x y")

_EDGE_INTS = [
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64), 2**200, 0, -1,
]


_COMMON_TAGS = [2, 2, 5, 6, 8, 11, 11, 12, 13, 13, 0, 1, 4, 9, 10, 22, 2, 5, 6, 11, 13, 8, 3, 21]


class _Reader:
    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def exhausted(self):
        return self.pos >= len(self.data)

    def byte(self):
        if self.pos >= len(self.data):
            return 0
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n):
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


# Tags that make something PIME cannot convert (or may not: big ints, surrogates,
# cycles, deep chains); a "clean" build never uses them as is.
_UNCLEAN_TAGS = {3, 4, 6, 7, 14, 15, 16, 17, 18, 20}


class _Builder:
    def __init__(self, data, clean):
        self.clean = clean
        self.r = _Reader(data)
        self.nodes = 0
        self.expanded = 0
        self.open = []  # containers being built (their ancestors chain), for cycles
        self.done = []  # finished containers, for shared references

    def value(self, depth):
        self.nodes += 1
        r = self.r
        if r.exhausted() or self.nodes > _MAX_NODES:
            return None
        tag = r.byte() % 48
        if tag >= 24:
            # Half of the tags make plain convertible values, so convertible results
            # of some size are common too.
            tag = _COMMON_TAGS[tag - 24]
        if depth >= _MAX_RECURSION and tag in (11, 12, 13, 20):
            tag = 2
        if self.clean and tag in _UNCLEAN_TAGS:
            return self.clean_value(tag, depth)
        if tag == 0:
            return None
        if tag == 1:
            return bool(r.byte() & 1)
        if tag == 2:
            return r.byte() - 128
        if tag == 3:
            return int.from_bytes(r.take(r.byte() % 40), "little", signed=bool(r.byte() & 1))
        if tag == 4:
            return _EDGE_INTS[r.byte() % len(_EDGE_INTS)]
        if tag == 5:
            return struct.unpack("<d", r.take(8).ljust(8, b"\x00"))[0]
        if tag == 6:
            n = r.byte() % 12
            return "".join(chr(int.from_bytes(r.take(3), "little") % 0x110000) for _ in range(n))
        if tag == 7:
            return "".join(chr(0xD800 + r.byte() * 8) if r.byte() & 1 else "a" for _ in range(r.byte() % 4))
        if tag == 8:
            return r.take(r.byte() % 32)
        if tag == 9:
            return bytearray(r.take(r.byte() % 16))
        if tag == 10:
            return memoryview(r.take(r.byte() % 16))
        if tag in (11, 12):
            items = []
            self.open.append(items)
            for _ in range(r.byte() % 6):
                items.append(self.value(depth + 1))
            self.open.pop()
            if tag == 12:
                items = tuple(items) if r.byte() & 1 else _Point(*(items + [None, None])[:2])
            self.done.append(items)
            return items
        if tag == 13:
            d = {} if r.byte() & 1 else collections.OrderedDict()
            self.open.append(d)
            for _ in range(r.byte() % 6):
                key = self.key(depth + 1)
                d[key] = self.value(depth + 1)
            self.open.pop()
            self.done.append(d)
            return d
        if tag == 14:
            return {self.key(depth + 1) for _ in range(r.byte() % 4)}
        if tag == 15:
            return frozenset(self.key(depth + 1) for _ in range(r.byte() % 4))
        if tag == 16:
            return [object(), _Plain(), complex(1, 2), datetime.datetime(2020, 1, 1),
                    decimal.Decimal("1.5"), range(3), len, Ellipsis][r.byte() % 8]
        if tag == 17:
            return [_Color.RED, _Color.BLUE, _Str("sub"), _Str("\udc80")][r.byte() % 4]
        if tag == 18:
            # A reference to a container still being built: a cycle.
            if self.open:
                return self.open[r.byte() % len(self.open)]
            return None
        if tag == 19:
            # A shared reference to a finished container (a DAG), within a budget.
            if self.done:
                shared = self.done[r.byte() % len(self.done)]
                size = _size(shared)
                if self.expanded + size <= _MAX_EXPANDED:
                    self.expanded += size
                    return shared
            return None
        if tag == 20:
            levels = r.byte() + (r.byte() & 1) * 255
            value = self.value(depth + 1)
            for _ in range(levels):
                value = [value]
            return value
        if tag == 21:
            return float("nan") if r.byte() & 1 else float("-inf")
        if tag == 22:
            return -0.0
        return True

    def clean_value(self, tag, depth):
        """What an unclean tag makes in a clean build: the convertible kind of it."""
        r = self.r
        if tag == 3:
            return int.from_bytes(r.take(8), "little", signed=bool(r.byte() & 1))
        if tag == 4:
            return [2**63 - 1, -(2**63), 2**64 - 1, 2**63, 0, -1][r.byte() % 6]
        if tag == 6:
            points = (int.from_bytes(r.take(3), "little") % 0x110000 for _ in range(r.byte() % 12))
            return "".join("x" if 0xD800 <= p < 0xE000 else chr(p) for p in points)
        if tag == 17:
            return [_Color.RED, _Color.BLUE, _Str("sub")][r.byte() % 3]
        if tag == 20 and depth < MAX_DEPTH - 10:
            levels = r.byte() % (MAX_DEPTH - 10 - depth)
            value = r.byte() - 128
            for _ in range(levels):
                value = [value]
            return value
        return r.byte()

    def key(self, depth):
        """A hashable key, never nan (nan != nan would make two equal-looking keys)."""
        kind = self.r.byte() % 8
        if kind == 0:
            return None
        if kind == 1:
            return self.r.byte() - 128
        if kind == 2:
            return int.from_bytes(self.r.take(self.r.byte() % (8 if self.clean else 12)), "little")
        if kind == 3:
            return self.r.take(self.r.byte() % 4).decode("latin-1")
        if kind == 4:
            return self.r.take(self.r.byte() % 4)
        if kind == 5:
            return tuple(self.key(depth + 1) for _ in range(self.r.byte() % 3)) if depth < _MAX_RECURSION else ()
        if kind == 6:
            x = struct.unpack("<d", self.r.take(8).ljust(8, b"\x00"))[0]
            return 0.5 if x != x else x
        if self.clean:
            return "clean"
        # Unconvertible keys (a frozenset would convert, and could equal a tuple key).
        return complex(1, 1) if self.r.byte() & 1 else "\udcff"


def _size(obj):
    """Nodes in `obj` expanded as a tree, counted without recursion; stops early past
    the sharing budget (a cycle expands without end, so it always goes past)."""
    total = 0
    stack = [obj]
    while stack and total <= _MAX_EXPANDED:
        item = stack.pop()
        total += 1
        if isinstance(item, dict):
            for k, v in item.items():
                stack.append(k)
                stack.append(v)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


def build(data):
    """One value, or (three times in four) a list of values using up all the bytes; a
    "clean" build (every other first byte) makes only values PIME can convert."""
    first = data[0] if data else 0
    builder = _Builder(data[1:], clean=bool(first & 1))
    if first & 6 == 0:
        return builder.value(0)
    items = []
    builder.open.append(items)
    while not builder.r.exhausted() and builder.nodes <= _MAX_NODES:
        items.append(builder.value(1))
    builder.open.pop()
    return items


class _Unconvertible(Exception):
    pass


def _count(obj, open_ids):
    """Value nodes PIME makes of `obj` (the README's value table), or _Unconvertible."""
    if obj is None or isinstance(obj, (bool, float, bytes, bytearray, memoryview)):
        return 1
    if isinstance(obj, int):
        if not -(2**63) <= obj < 2**64:
            raise _Unconvertible("int out of range")
        return 1
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            raise _Unconvertible("surrogate")
        return 1
    if isinstance(obj, (list, tuple, dict, set, frozenset)):
        if id(obj) in open_ids:
            raise _Unconvertible("cycle")
        if len(open_ids) >= MAX_DEPTH:
            raise _Unconvertible("too deep")
        open_ids.append(id(obj))
        if isinstance(obj, dict):
            total = 1 + sum(_count(k, open_ids) + _count(v, open_ids) for k, v in obj.items())
        elif isinstance(obj, (set, frozenset)):
            # Converted in sorted order when the items sort, else in iteration order:
            # the first item that fails is the one the error names.
            total = 1 + sum(_count(v, open_ids) for v in _sorted_or_not(obj))
        elif type(obj) is not tuple and hasattr(type(obj), "_fields"):
            # A namedtuple is a map: a str key per field.
            total = 1 + sum(1 + _count(v, open_ids) for v in obj)
        else:
            total = 1 + sum(_count(v, open_ids) for v in obj)
        open_ids.pop()
        return total
    if isinstance(obj, (datetime.date, datetime.time, decimal.Decimal)):
        return 1  # an ISO 8601 string, str(obj)
    raise _Unconvertible(type(obj).__qualname__)


def _sorted_or_not(items):
    try:
        return sorted(items)
    except Exception:  # noqa: BLE001 - as PIME: a set that does not sort keeps its order
        return list(items)


def predict(data):
    """[convertible, nodes, is_none, reason] for the object `build(data)` makes."""
    obj = build(data)
    try:
        return [True, _count(obj, []), obj is None, ""]
    except _Unconvertible as e:
        return [False, 0, False, str(e)]


def broker(command, params):
    if command == "build":
        return build(params["data"])
    if command == "predict":
        return predict(params["data"])
    raise KeyError(command)
