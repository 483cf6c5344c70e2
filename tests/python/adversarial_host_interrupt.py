"""Plugin for `tests/tests/adversarial_host_interrupt.rs`."""

import time

import intr_app as app
import pime

broker = pime.Broker()


@broker.command
def wait_in_host(ms):
    app.slow(ms=ms)
    return "host returned"


@broker.command
def busy(seconds):
    """Pure Python for `seconds`: an interrupt would land here."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return "busy done"
