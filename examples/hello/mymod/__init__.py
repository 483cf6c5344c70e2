"""The broker of the hello example: `broker(command, params)` answers each task."""

import threading
import time


def broker(command, params):
    """Called by PIME on a worker thread for every task."""
    if command == "hello":
        return f"Hello, {params['name']}! (from {threading.current_thread().name})"
    if command == "sleep":
        time.sleep(params["seconds"])
        return params["seconds"]
    if command == "add":
        return params["a"] + params["b"]
    raise KeyError(f"unknown command {command!r}")
