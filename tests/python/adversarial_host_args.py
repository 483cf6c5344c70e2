"""Plugin for `tests/tests/adversarial_host_args.rs`: hostile arguments and results."""

import socket
import sys

import args_app as app
import pime

broker = pime.Broker()


class S(str):
    """A str subclass whose hash and equality lie."""

    def __hash__(self):
        return 1

    def __eq__(self, other):
        return True


class Weird:
    pass


def _recursive_list():
    a = []
    a.append(a)
    return a


def _deep(n):
    v = 0
    for _ in range(n):
        v = [v]
    return v


def _cases():
    sock = socket.socket()
    yield "set_of_objects", lambda: app.takes_value(v={Weird(), Weird()})
    yield "socket", lambda: app.takes_value(v=sock)
    yield "recursive_list", lambda: app.takes_value(v=_recursive_list())
    yield "deep_list_300", lambda: app.takes_value(v=_deep(300))
    yield "deep_list_100000", lambda: app.takes_value(v=_deep(100_000))
    yield "int_2_100", lambda: app.takes_u64(id=2**100)
    yield "bool_for_u64", lambda: app.takes_u64(id=True)
    yield "float_for_u64", lambda: app.takes_u64(id=1.0)
    yield "none_for_u64", lambda: app.takes_u64(id=None)
    yield "nan_for_f64", lambda: app.takes_f64(x=float("nan"))
    yield "int_for_f64", lambda: app.takes_f64(x=3)
    yield "str_for_vec", lambda: app.takes_vec(v="abc")
    yield "tuple_for_vec", lambda: app.takes_vec(v=("a", "b"))
    yield "none_for_option", lambda: app.takes_opt(1, None)
    yield "positional_then_kw_same", lambda: app.takes_opt(1, a=2)
    yield "kw_only_b", lambda: app.takes_opt(b="x")
    yield "too_many_positional", lambda: app.takes_opt(1, "x", 3)
    yield "str_subclass_key", lambda: app.takes_u64(**{S("id"): 5})
    yield "surrogate_key", lambda: app.takes_u64(**{"\ud800": 5})
    yield "surrogate_str_arg", lambda: app.echo_len(s="\ud800")
    yield "dunder_kw", lambda: app.takes_u64(**{"__class__": 5})
    yield "dict_with_list_key_arg", lambda: app.takes_value(v={(1, [2]): 3} if False else {frozenset([1]): 2})
    yield "bytes_for_string", lambda: app.echo_len(s=b"abc")
    yield "bytes_invalid_utf8_for_string", lambda: app.echo_len(s=b"\xff\xfe")
    yield "call_module_attr_aio_sync", lambda: app.aio.takes_u64(1)
    yield "getattr_missing", lambda: app.no_such_function()
    yield "nan_result", lambda: app.nan()
    yield "int_keys_result", lambda: app.int_keys()
    yield "seq_keys_result", lambda: app.seq_keys()
    yield "u128_result", lambda: app.u128_max()
    yield "bad_serialize_result", lambda: app.bad_serialize()
    yield "deep_result_300", lambda: type(app.deep(n=300)).__name__
    yield "deep_result_5000", lambda: type(app.deep(n=5000)).__name__
    yield "char_result", lambda: app.char_out()
    yield "unit_result", lambda: app.unit()
    yield "panic_any_int", lambda: app.panic_any_int()
    yield "err_with_empty_message", lambda: app.empty_error()


@broker.command
def attack():
    out = {}
    for name, case in _cases():
        try:
            out[name] = "ok: " + repr(case())[:200]
        except BaseException as error:  # noqa: BLE001 - reported to the test
            out[name] = f"{type(error).__name__}: {str(error)[:300]}"
    return out


@broker.command
def big_roundtrip(n):
    text = "x" * n
    got = app.echo_len(s=text)
    back = app.big_string(n=n)
    return [got, len(back)]


@broker.command
def refcount_check(n):
    """Calls with the same argument objects `n` times; returns their refcounts before
    and after (a leak of the argument shows as growth)."""
    arg = "some argument string " * 10
    obj = {"k": [1, 2, 3]}
    before = (sys.getrefcount(arg), sys.getrefcount(obj))
    for _ in range(n):
        app.echo_len(s=arg)
        app.takes_value(v=obj)
        try:
            app.takes_u64(id=arg)
        except TypeError:
            pass
    after = (sys.getrefcount(arg), sys.getrefcount(obj))
    return [list(before), list(after)]
