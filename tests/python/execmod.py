"""Brokers and executors for the pluggable-executor tests."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

THREAD_POOL = None


def thread_pool():
    """A user-owned thread pool (the engine must not shut it down)."""
    global THREAD_POOL
    THREAD_POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="user-pool")
    return THREAD_POOL


def process_pool():
    """Two worker processes started with "spawn" (safe in a threaded Rust program)."""
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


def broker(command, params):
    """Module-level, so process pools can pickle it by reference."""
    if command == "where":
        import threading

        return {"pid": os.getpid(), "thread": threading.current_thread().name}
    if command == "square":
        return params["n"] * params["n"]
    if command == "fail":
        raise ValueError(params["message"])
    raise KeyError(command)
