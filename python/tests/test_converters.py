"""Tests for pime.register_converter and pime.unregister_converter, the Python half of
the converter hook (the engine reads pime._CONVERTERS when a result holds an object
the value table does not convert; tests/tests/library_values*.rs test that half).

Run with: cd python && python3 -m unittest discover -s tests -v
"""

import collections
import collections.abc
import datetime
import decimal
import enum
import sys
import typing
import unittest
from pathlib import Path

# Import the package from this checkout, whatever the working directory.
PYTHON_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIR))

import pime  # noqa: E402


class Money:
    def __init__(self, amount, code):
        self.amount = amount
        self.code = code


class Euro(Money):
    pass


class _Level(enum.IntEnum):
    LOW = 1


class _Pair(typing.NamedTuple):
    left: int
    right: int


class _Str(str):
    pass


class ConverterRegistryTest(unittest.TestCase):
    def setUp(self):
        self.saved = dict(pime._CONVERTERS)
        pime._CONVERTERS.clear()

    def tearDown(self):
        pime._CONVERTERS.clear()
        pime._CONVERTERS.update(self.saved)

    def test_register_returns_the_function_and_records_it(self):
        def convert(m):
            return {"amount": str(m.amount), "currency": m.code}

        self.assertIs(pime.register_converter(Money, convert), convert)
        self.assertIs(pime._CONVERTERS[Money], convert)
        self.assertEqual(convert(Money(decimal.Decimal("1.5"), "EUR")), {"amount": "1.5", "currency": "EUR"})

    def test_decorator_form(self):
        @pime.register_converter(Money)
        def convert(m):
            return m.code

        self.assertEqual(convert(Money(1, "EUR")), "EUR")  # returned unchanged
        self.assertIs(pime._CONVERTERS[Money], convert)

    def test_registering_again_replaces(self):
        first, second = (lambda m: 1), (lambda m: 2)
        pime.register_converter(Money, first)
        pime.register_converter(Money, second)
        self.assertIs(pime._CONVERTERS[Money], second)
        self.assertEqual(len(pime._CONVERTERS), 1)

    def test_a_subclass_has_its_own_entry(self):
        # The engine walks the MRO: a converter for Money serves Euro too, and one for
        # Euro itself comes first.
        pime.register_converter(Money, str)
        pime.register_converter(Euro, repr)
        self.assertIs(pime._CONVERTERS[Money], str)
        self.assertIs(pime._CONVERTERS[Euro], repr)

    def test_library_types_abcs_and_object_may_have_converters(self):
        for cls in (datetime.datetime, datetime.timedelta, decimal.Decimal, complex, set,
                    range, collections.abc.Mapping, collections.deque, object):
            with self.subTest(cls=cls):
                self.assertIs(pime.register_converter(cls, repr), repr)
        self.assertEqual(len(pime._CONVERTERS), 9)

    def test_unregister(self):
        pime.register_converter(Money, str)
        self.assertIs(pime.unregister_converter(Money), str)
        self.assertNotIn(Money, pime._CONVERTERS)
        self.assertIsNone(pime.unregister_converter(Money))
        self.assertIsNone(pime.unregister_converter(Euro))

    def test_not_a_class_is_a_type_error(self):
        for cls in (Money(1, "EUR"), "Money", 3, None, [Money]):
            with self.subTest(cls=cls):
                with self.assertRaises(TypeError) as caught:
                    pime.register_converter(cls, str)
                self.assertIn("register_converter takes a class", str(caught.exception))
                with self.assertRaises(TypeError):
                    pime.register_converter(cls)  # the decorator form checks at once
        self.assertEqual(pime._CONVERTERS, {})

    def test_not_callable_is_a_type_error(self):
        for fn in ("str", 3, Money(1, "EUR")):
            with self.subTest(fn=fn):
                with self.assertRaises(TypeError) as caught:
                    pime.register_converter(Money, fn)
                self.assertIn("a converter must be callable", str(caught.exception))
        decorator = pime.register_converter(Money)
        with self.assertRaises(TypeError):
            decorator("not callable")
        self.assertEqual(pime._CONVERTERS, {})

    def test_plain_types_and_their_subclasses_are_refused(self):
        # The engine converts these before it looks for a converter: one would never run.
        cases = [
            (type(None), "NoneType"), (bool, "bool"), (int, "int"), (_Level, "int"),
            (float, "float"), (str, "str"), (_Str, "str"), (bytes, "bytes"),
            (bytearray, "bytearray"), (memoryview, "memoryview"), (list, "list"),
            (tuple, "tuple"), (_Pair, "tuple"), (dict, "dict"),
            (collections.OrderedDict, "dict"), (collections.defaultdict, "dict"),
        ]
        for cls, plain in cases:
            with self.subTest(cls=cls):
                with self.assertRaises(ValueError) as caught:
                    pime.register_converter(cls, str)
                message = str(caught.exception)
                self.assertIn(f"cannot register a converter for {cls.__qualname__}", message)
                self.assertIn(f"PIME converts {plain} and its subclasses itself", message)
        self.assertEqual(pime._CONVERTERS, {})

    def test_registry_is_one_dict_for_the_process(self):
        # The engine keeps a reference to the dict: it must never be replaced.
        registry = pime._CONVERTERS
        pime.register_converter(Money, str)
        pime.unregister_converter(Money)
        self.assertIs(pime._CONVERTERS, registry)
        self.assertIs(type(registry), dict)

    def test_exported(self):
        self.assertIn("register_converter", pime.__all__)
        self.assertIn("unregister_converter", pime.__all__)
        self.assertTrue(pime.register_converter.__doc__)
        self.assertTrue(pime.unregister_converter.__doc__)


if __name__ == "__main__":
    unittest.main()
