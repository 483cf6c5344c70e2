"""A broker for the backpressure test: `flood` tasks wait behind a gate the test opens
(so Python is as slow as it gets while the queue fills), then count themselves."""

import threading

_gate = threading.Event()
_done = threading.Condition()
_count = 0
_payload_chars = 0


def release():
    """Opens the gate (called by the test straight through the GIL, not as a task:
    while the gate is shut the engine's queue is full)."""
    _gate.set()


def _flood(pad):
    global _count, _payload_chars
    _gate.wait()
    with _done:
        _count += 1
        _payload_chars += len(pad)
        _done.notify_all()


def _wait_count(count, timeout):
    """Blocks until `count` flood tasks ran (a notification, not a poll)."""
    with _done:
        if not _done.wait_for(lambda: _count >= count, timeout):
            raise TimeoutError(f"only {_count} of {count} flood tasks ran after {timeout} s")
        return [_count, _payload_chars]


def broker(command, params):
    if command == "flood":
        return _flood(**params)
    if command == "wait_count":
        return _wait_count(**params)
    if command == "ping":
        return "pong"
    raise KeyError(command)
