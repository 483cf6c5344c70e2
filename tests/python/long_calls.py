"""Long calls for the ticking test: one that sleeps (GIL released) and one that spins
in pure Python (GIL held, handed over only at the switch interval)."""

import time


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def _spin(seconds):
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        rounds += 1
    return rounds


def broker(command, params):
    if command == "sleep":
        return _sleep(**params)
    if command == "spin":
        return _spin(**params)
    if command == "echo":
        return params["value"]
    raise KeyError(command)
