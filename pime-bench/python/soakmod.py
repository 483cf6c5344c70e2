"""The broker the PIME soak calls (pime-bench, `--bin soak`).

Every command counts itself, so the soak can check that Python saw exactly the calls
Rust accounted for. `no_wait` and `slow` tasks may still run after their callers have
moved on; `drain` waits on a Condition until they have all finished.
"""

import gc
import sys
import threading
import time

# Guards the counters; notified when a no_wait or slow task finishes.
_changed = threading.Condition()
_counts = {
    "plain": 0,
    "raise": 0,
    "unconvertible": 0,
    "no_wait": 0,
    "exclusive": 0,
    "slow_started": 0,
    "slow_finished": 0,
}


def _count(kind, notify=False):
    with _changed:
        _counts[kind] += 1
        if notify:
            _changed.notify_all()


def _drained(no_wait):
    return _counts["no_wait"] >= no_wait and _counts["slow_started"] == _counts["slow_finished"]


def broker(command, params):
    if command == "plain":
        _count("plain")
        return {"i": params["i"], "text": params["text"]}
    if command == "raise":
        _count("raise")
        raise ValueError(f"soak {params['i']}")
    if command == "unconvertible":
        # No Rust counterpart: the caller gets an UnpackError.
        _count("unconvertible")
        return complex(params["i"], 1)
    if command == "no_wait":
        _count("no_wait", notify=True)
        return {"i": params["i"]}
    if command == "exclusive":
        _count("exclusive")
        return params["i"]
    if command == "slow":
        # Longer than the caller waits: it gives up while this runs (or before it starts).
        _count("slow_started")
        time.sleep(params["seconds"])
        _count("slow_finished", notify=True)
        return params["i"]
    if command == "drain":
        # Waits until `no_wait` no_wait tasks have run and no slow task is running, then
        # collects cyclic garbage (exceptions keep tracebacks) so that resident memory
        # is read in the same state every time. Returns the counters, whether it drained
        # before `timeout` seconds (a guard against a lost task hanging CI) and how many
        # memory blocks Python has allocated.
        with _changed:
            drained = _changed.wait_for(lambda: _drained(params["no_wait"]), params["timeout"])
            counts = dict(_counts)
        gc.collect()
        counts["drained"] = drained
        # Python's live memory blocks: flat between the readings unless Python leaks.
        counts["blocks"] = sys.getallocatedblocks()
        return counts
    raise KeyError(command)
