"""Threads and atexit hooks a subinterpreter broker leaves behind."""

import atexit
import threading
import time

import pime

broker = pime.Broker()
_stop_forever = threading.Event()


@broker.command
def echo(value):
    return value


@broker.command
def finite_thread(seconds):
    threading.Thread(target=time.sleep, args=(seconds,), name="finite").start()
    return threading.active_count()


@broker.command
def daemon_thread():
    t = threading.Thread(target=time.sleep, args=(0.1,), daemon=True)
    t.start()
    return "daemon started"


@broker.command
def raising_thread():
    def boom():
        raise ValueError("in a thread")
    t = threading.Thread(target=boom)
    t.start()
    t.join()
    return "joined"


@broker.command
def forever_thread():
    def loop():
        while True:
            time.sleep(0.05)
    threading.Thread(target=loop, name="forever").start()
    return "forever started"


@broker.command
def atexit_raises():
    def hook():
        raise RuntimeError("atexit hook raises")
    atexit.register(hook)
    return "registered"


@broker.command
def atexit_sleeps(seconds):
    atexit.register(time.sleep, seconds)
    return "registered"
