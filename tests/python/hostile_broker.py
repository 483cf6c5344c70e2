"""A broker built with the `pime` dispatch helper, for the hostile-input test. It
registers a few commands, and also has what an attacker would like to reach: an
imported module (`os`), an imported function (`system`), a private function, the
registry itself. Every call of a command is recorded, and an audit hook records any
attempt to run a shell, a process or dynamic code while the test has it armed."""

import os  # noqa: F401  (a name an attacker would try)
import sys
import threading
from os import system  # noqa: F401  (a name an attacker would try)

import pime

broker = pime.Broker()

CALLS = []
_lock = threading.Lock()
_armed = False
_AUDITED = {
    "os.system", "exec", "compile", "subprocess.Popen", "os.posix_spawn", "os.exec",
    "os.fork", "os.spawn", "os.kill", "os.remove", "os.rmdir", "shutil.rmtree",
}
AUDIT_EVENTS = []


def _audit(event, args):
    if _armed and event in _AUDITED:
        AUDIT_EVENTS.append(event)


sys.addaudithook(_audit)


def arm(on):
    """Arms or disarms the audit hook (called by the test through the GIL)."""
    global _armed
    _armed = on


def _record(entry):
    with _lock:
        CALLS.append(entry)


def _private():
    _record("_private RAN")
    return "private"


@broker.command
def hello(name):
    _record(f"hello {name}")
    return f"Hello, {name}!"


@broker.command
def add(a, b):
    _record(f"add {a} {b}")
    return a + b


@broker.command("greeter.hello")
def greeter_hello(name):
    _record(f"greeter.hello {name}")
    return f"Hi, {name}!"


def calls():
    """What ran, and what the audit hook saw (called by the test through the GIL)."""
    with _lock:
        return (list(CALLS), list(AUDIT_EVENTS))
