"""The broker of the host-call rows (pime-bench): Python calling Rust.

`benchhost` is a PIME host module (`#[pime::host_module]`); `handwritten` is the
`#[pyfunction]` + `Handle::block_on` a user would write without PIME. Both call a
no-op Rust function.
"""

import time

import benchhost
import handwritten


def _nothing():
    return None


_FUNCTIONS = {
    "none": _nothing,
    "host": benchhost.noop,
    "host_fn": benchhost.noop_fn,
    "handwritten": handwritten.noop,
}


def broker(command, params):
    if command == "loop":
        # ns per call of one function, called `n` times in a row from this thread.
        function = _FUNCTIONS[params["which"]]
        n = params["n"]
        started = time.perf_counter_ns()
        for _ in range(n):
            function()
        return (time.perf_counter_ns() - started) / n
    # One call per task: the cost as a command sees it.
    _FUNCTIONS[command]()
    return None
