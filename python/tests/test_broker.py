"""Tests for the pime helper package (python/pime/__init__.py).

Run with: cd python && python3 -m unittest discover -s tests -v
"""

import ast
import asyncio
import os
import sys
import threading
import time
import types
import unittest
from pathlib import Path
from unittest import mock

# Import the package from this checkout, whatever the working directory.
PYTHON_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIR))

import pime  # noqa: E402


def run_in_threads(n, fn):
    """Call fn(i) for i in range(n) from n threads at once; return results in order."""
    results = [None] * n
    errors = []
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if errors:
        raise errors[0]
    return results


class RegistrationTest(unittest.TestCase):
    def test_bare_decorator_uses_function_name_and_returns_function(self):
        broker = pime.Broker()

        def hello(name):
            return f"Hello, {name}!"

        self.assertIs(broker.command(hello), hello)
        self.assertEqual(broker.commands, ("hello",))
        self.assertEqual(hello("direct"), "Hello, direct!")

    def test_positional_and_keyword_names(self):
        broker = pime.Broker()

        @broker.command("bye")
        def goodbye():
            return "bye"

        @broker.command(name="greeter.hello")
        def greet():
            return "hi"

        @broker.command()
        def plain():
            return "plain"

        self.assertEqual(broker.commands, ("bye", "greeter.hello", "plain"))
        self.assertEqual(goodbye(), "bye")  # still callable directly
        self.assertEqual(broker("greeter.hello", None), "hi")
        self.assertEqual(broker("bye", None), "bye")

    def test_commands_property_is_tuple_in_registration_order(self):
        broker = pime.Broker()
        for name in ["z", "a", "m.n"]:
            broker.command(name)(lambda: None)
        self.assertEqual(broker.commands, ("z", "a", "m.n"))
        self.assertIsInstance(broker.commands, tuple)

    def test_duplicate_name_rejected(self):
        broker = pime.Broker()
        broker.command("x")(lambda: 1)
        with self.assertRaises(ValueError):
            broker.command("x")(lambda: 2)
        self.assertEqual(broker("x", None), 1)

    def test_invalid_names_rejected_at_registration(self):
        bad = ["", "__class__", "_private", "a._b", "../x", "a..b", ".a", "a.", "1abc",
               "a b", "a-b", "__pime_commands__", "x" * 10_000 + "-"]
        for name in bad:
            with self.subTest(name=name[:20]):
                broker = pime.Broker()
                with self.assertRaises(ValueError):
                    broker.command(name)(lambda: None)
                self.assertEqual(broker.commands, ())

    def test_non_str_name_rejected(self):
        broker = pime.Broker()
        with self.assertRaises(ValueError):
            broker.command(name=5)(lambda: None)

    def test_lambda_without_explicit_name_rejected(self):
        broker = pime.Broker()
        with self.assertRaises(ValueError):
            broker.command(lambda: None)

    def test_name_given_twice_rejected(self):
        broker = pime.Broker()
        with self.assertRaises(TypeError):
            broker.command("a", name="b")

    def test_non_callable_rejected(self):
        broker = pime.Broker()
        with self.assertRaises(TypeError):
            broker.command("a")(42)


class DispatchTest(unittest.TestCase):
    def setUp(self):
        self.broker = broker = pime.Broker()

        @broker.command
        def hello(name: str) -> str:
            return f"Hello, {name}!"

        @broker.command
        def add(a: int, b: int = 10) -> int:
            return a + b

        @broker.command
        def nothing():
            return None

        @broker.command
        def kwargs(**kw):
            return sorted(kw)

        @broker.command
        def gen():
            yield 1

    def test_kwargs(self):
        self.assertEqual(self.broker("hello", {"name": "Rust"}), "Hello, Rust!")
        self.assertEqual(self.broker("add", {"a": 1, "b": 2}), 3)
        self.assertEqual(self.broker("add", {"a": 1}), 11)

    def test_none_params_for_zero_arg_command(self):
        self.assertIsNone(self.broker("nothing", None))
        self.assertIsNone(self.broker("nothing", {}))
        self.assertIsNone(self.broker("nothing"))

    def test_missing_argument_names_it(self):
        with self.assertRaisesRegex(TypeError, "name"):
            self.broker("hello", {})
        with self.assertRaisesRegex(TypeError, "name"):
            self.broker("hello", None)

    def test_extra_argument_names_it(self):
        with self.assertRaisesRegex(TypeError, "surplus"):
            self.broker("hello", {"name": "x", "surplus": 1})

    def test_params_must_be_dict_or_none(self):
        for params in (["Rust"], ("Rust",), "Rust", 5, {"name"}):
            with self.subTest(params=params):
                with self.assertRaises(TypeError):
                    self.broker("hello", params)

    def test_verify_query(self):
        self.assertEqual(self.broker(pime.VERIFY_COMMAND, None),
                         ["hello", "add", "nothing", "kwargs", "gen"])
        self.assertEqual(self.broker("__pime_commands__", None), list(self.broker.commands))
        self.assertEqual(pime.Broker()("__pime_commands__", None), [])

    def test_generator_returned_as_is(self):
        result = self.broker("gen", None)
        self.assertIsInstance(result, types.GeneratorType)
        self.assertEqual(list(result), [1])

    def test_exception_propagates(self):
        broker = pime.Broker()

        @broker.command
        def boom():
            raise KeyError("boom")

        with self.assertRaises(KeyError):
            broker("boom", None)


class HostileInputTest(unittest.TestCase):
    """Only registered functions are reachable (the security rule: only registered commands)."""

    def setUp(self):
        # A broker module as a user would write it: it imports os, registers one
        # harmless command, and has other module-level names nearby.
        source = (
            "import os\n"
            "from os import system\n"
            "import pime\n"
            "calls = []\n"
            "broker = pime.Broker()\n"
            "@broker.command\n"
            "def hello(name='x'):\n"
            "    calls.append(name)\n"
            "    return 'hi ' + name\n"
            "def _private():\n"
            "    calls.append('_private')\n"
            "def helper():\n"
            "    calls.append('helper')\n"
        )
        self.module = types.ModuleType("hostile_target")
        exec(compile(source, "hostile_target.py", "exec"), self.module.__dict__)
        self.broker = self.module.broker

    def test_hostile_commands_are_unknown_and_call_nothing(self):
        hostile = ["__class__", "__init__", "__call__", "_private", "_functions", "helper",
                   "os", "system", "os.system", "eval", "exec", "__import__", "calls",
                   "../x", "a.b", "hello.__class__", "", "x" * 10_000, " hello", "hello ",
                   "HELLO", "__pime_commands__ ", 5, None, b"hello", ("hello",), ["hello"]]
        with mock.patch.object(os, "system") as system:
            for command in hostile:
                with self.subTest(command=repr(command)[:30]):
                    with self.assertRaises(pime.UnknownCommandError) as cm:
                        self.broker(command, {"name": "x"} if command != "x" * 10_000 else None)
                    self.assertIsInstance(cm.exception, LookupError)
                    message = str(cm.exception)
                    self.assertIn("hello", message)  # lists what is available
                    self.assertLess(len(message), 400)  # long names are truncated
            system.assert_not_called()
        self.assertEqual(self.module.calls, [])
        self.assertEqual(self.broker("hello", {"name": "ok"}), "hi ok")

    def test_unknown_message_names_command(self):
        with self.assertRaisesRegex(pime.UnknownCommandError, "'nope'"):
            self.broker("nope", None)
        with self.assertRaisesRegex(pime.UnknownCommandError, "int"):
            self.broker(5, None)

    def test_long_name_truncated_in_message(self):
        with self.assertRaises(pime.UnknownCommandError) as cm:
            self.broker("y" * 10_000, None)
        message = str(cm.exception)
        self.assertIn("y" * 100, message)
        self.assertNotIn("y" * 101, message)

    def test_message_lists_at_most_about_20_commands(self):
        broker = pime.Broker()
        for i in range(50):
            broker.command(f"c{i}")(lambda: None)
        with self.assertRaises(pime.UnknownCommandError) as cm:
            broker("nope", None)
        message = str(cm.exception)
        self.assertIn("c19", message)
        self.assertNotIn("c20", message)
        self.assertIn("30 more", message)

    def test_hostile_param_keys_are_type_errors(self):
        for key in ["__class__", "**", "*", "__init__", "a b", "", "1x", 5, None, b"name", ("name",)]:
            with self.subTest(key=key):
                with self.assertRaises(TypeError):
                    self.broker("hello", {key: "x"})
        # 'self' is not a parameter of hello: Python's own TypeError names it.
        with self.assertRaisesRegex(TypeError, "self"):
            self.broker("hello", {"self": "x"})
        self.assertEqual(self.module.calls, [])

    def test_self_allowed_when_function_has_it(self):
        broker = pime.Broker()

        @broker.command
        def me(self):
            return self

        self.assertEqual(broker("me", {"self": 3}), 3)

    def test_dunder_keys_do_not_reach_var_keyword_functions(self):
        broker = pime.Broker()
        seen = []
        broker.command("kw")(lambda **kw: seen.append(kw))
        with self.assertRaises(TypeError):
            broker("kw", {"__class__": 1})
        self.assertEqual(seen, [])
        broker("kw", {"_one": 1})  # single underscore is a normal identifier
        self.assertEqual(seen, [{"_one": 1}])


class AsyncTest(unittest.TestCase):
    def setUp(self):
        self.broker = broker = pime.Broker()

        @broker.command
        async def double(x: int) -> int:
            await asyncio.sleep(0)
            return 2 * x

        @broker.command
        async def nap() -> str:
            await asyncio.sleep(0.2)
            return threading.current_thread().name

        @broker.command
        async def fail():
            await asyncio.sleep(0)
            raise ValueError("async boom")

        @broker.command
        def returns_coroutine():
            return double(21)

        @broker.command
        async def nested():
            # Calling an async command synchronously from the loop thread would deadlock.
            return broker("double", {"x": 1})

    def test_async_result(self):
        self.assertEqual(self.broker("double", {"x": 21}), 42)

    def test_function_returning_coroutine_is_awaited(self):
        self.assertEqual(self.broker("returns_coroutine", None), 42)

    def test_runs_on_shared_loop_thread(self):
        self.assertEqual(self.broker("nap", None), "pime-asyncio")
        loop = pime.event_loop()
        self.assertIs(loop, pime.event_loop())
        self.assertTrue(loop.is_running())
        threads = [t for t in threading.enumerate() if t.name == "pime-asyncio"]
        self.assertEqual(len(threads), 1)
        self.assertTrue(threads[0].daemon)

    def test_event_loop_start_is_thread_safe(self):
        loops = run_in_threads(20, lambda i: pime.event_loop())
        self.assertTrue(all(loop is loops[0] for loop in loops))

    def test_50_concurrent_calls_overlap(self):
        start = time.monotonic()
        results = run_in_threads(50, lambda i: self.broker("nap", None))
        elapsed = time.monotonic() - start
        self.assertEqual(results, ["pime-asyncio"] * 50)
        self.assertLess(elapsed, 3.0)

    def test_async_exception_propagates(self):
        with self.assertRaisesRegex(ValueError, "async boom"):
            self.broker("fail", None)

    def test_sync_wait_on_loop_thread_is_an_error_not_a_deadlock(self):
        with self.assertRaises(RuntimeError):
            self.broker("nested", None)

    def test_missing_argument_for_async_command(self):
        with self.assertRaisesRegex(TypeError, "x"):
            self.broker("double", {})


class ContextTest(unittest.TestCase):
    def setUp(self):
        self.broker = broker = pime.Broker()

        @broker.command
        def ctx():
            return pime.context()

        @broker.command
        async def actx(delay: float = 0.0):
            await asyncio.sleep(delay)
            return pime.context()

        @broker.command
        def whoami(delay: float = 0.0):
            time.sleep(delay)
            return pime.context().get("id")

        @broker.command
        async def awhoami(delay: float = 0.0):
            await asyncio.sleep(delay)
            # A sub-task inherits the command's context too.
            inner = await asyncio.create_task(asyncio.sleep(0, pime.context().get("id")))
            return pime.context().get("id"), inner

    def test_empty_outside_any_call(self):
        self.assertEqual(pime.context(), {})
        self.assertEqual(self.broker("ctx", None), {})
        self.assertEqual(self.broker("actx", None), {})

    def test_sync_command_sees_context(self):
        values = {"request_id": "7", "user": "ann"}
        self.assertEqual(pime._run_with_context(values, self.broker, "ctx", None), values)
        self.assertEqual(pime.context(), {})  # nothing leaks out

    def test_async_command_sees_context(self):
        values = {"request_id": "8"}
        self.assertEqual(pime._run_with_context(values, self.broker, "actx", {"delay": 0.01}), values)
        self.assertEqual(self.broker("actx", None), {})  # not left behind on the loop

    def test_context_is_a_copy(self):
        values = {"a": 1}

        def mutate():
            pime.context()["a"] = 2
            return pime.context()

        self.assertEqual(pime._run_with_context(values, mutate), {"a": 1})
        values["a"] = 3  # the caller's dict is copied too
        self.assertEqual(pime.context(), {})

    def test_none_or_empty_context(self):
        self.assertEqual(pime._run_with_context(None, self.broker, "ctx", None), {})
        self.assertEqual(pime._run_with_context({}, self.broker, "ctx", None), {})

    def test_sync_calls_isolated(self):
        results = run_in_threads(
            20, lambda i: pime._run_with_context({"id": i}, self.broker, "whoami", {"delay": 0.05}))
        self.assertEqual(results, list(range(20)))

    def test_async_calls_isolated(self):
        results = run_in_threads(
            30, lambda i: pime._run_with_context({"id": i}, self.broker, "awhoami",
                                                 {"delay": 0.05 * (i % 3)}))
        self.assertEqual(results, [(i, i) for i in range(30)])


class PackagingTest(unittest.TestCase):
    """The module is embedded into the Rust crate as one file: stdlib imports only."""

    @unittest.skipUnless(hasattr(sys, "stdlib_module_names"), "sys.stdlib_module_names is 3.10+")
    def test_single_file_stdlib_only(self):
        package_dir = PYTHON_DIR / "pime"
        self.assertEqual(sorted(p.name for p in package_dir.glob("*.py")), ["__init__.py"])
        tree = ast.parse((package_dir / "__init__.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                self.assertEqual(node.level, 0, "no relative imports")
                names = [node.module]
            else:
                continue
            for name in names:
                self.assertIn(name.split(".")[0], sys.stdlib_module_names | {"__future__"})

    def test_public_api_documented(self):
        self.assertTrue(pime.__doc__)
        for name in pime.__all__:
            with self.subTest(name=name):
                obj = getattr(pime, name)
                if not isinstance(obj, str):
                    self.assertTrue(obj.__doc__, name)
        self.assertTrue(pime.Broker.command.__doc__)
        self.assertTrue(pime.Broker.commands.__doc__)
        self.assertTrue(issubclass(pime.UnknownCommandError, LookupError))


if __name__ == "__main__":
    unittest.main()


class HostErrorTest(unittest.TestCase):
    """`pime.HostError`, raised by host functions (Rust functions a plugin calls)."""

    def test_carries_message_and_kind(self):
        error = pime.HostError("no user 7", "ExecError")
        self.assertIsInstance(error, Exception)
        self.assertEqual(str(error), "no user 7")
        self.assertEqual((error.message, error.kind), ("no user 7", "ExecError"))

    def test_kind_defaults_to_exec_error(self):
        self.assertEqual(pime.HostError("x").kind, "ExecError")

    def test_is_caught_by_except_exception(self):
        try:
            raise pime.HostError("boom", "PyException")
        except Exception as error:  # noqa: BLE001 - the point of the test
            self.assertEqual(error.kind, "PyException")

    def test_loop_thread_hook_runs_on_the_loop_thread(self):
        seen = []
        pime._ON_LOOP_THREAD = lambda: seen.append(threading.current_thread().name)
        try:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=pime._run_loop_forever, args=(loop,), name="loop-under-test")
            thread.start()
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()
        finally:
            pime._ON_LOOP_THREAD = None
        self.assertEqual(seen, ["loop-under-test"])
