"""The broker of the http example: one function per GET path.

PIME calls ``broker(path, params)`` on a worker thread for every GET request the
Rust server receives. ``params["query"]`` is the query string as a ``dict`` of
``str`` (for a repeated key the last value wins) and ``params["headers"]`` the
request headers (lower-case names). The Rust side maps the outcome to HTTP:

* a returned ``str`` -> 200 with that body;
* ``KeyError`` -> 404 (so handlers must not let a stray ``KeyError`` escape:
  read optional query values with ``query.get``);
* any other exception -> 500 (the traceback goes to the server log only).
"""

import logging
import threading
import time

import pime

log = logging.getLogger("webapp")
log.setLevel(logging.INFO)

# Requests are untrusted: bound how long one request may hold a worker thread.
MAX_SLEEP_SECONDS = 10.0


def index(query, headers):
    """Lists the routes."""
    return "".join(f"{path}  {handler.__doc__}\n" for path, handler in sorted(ROUTES.items()))


def hello(query, headers):
    """Greets ?name= (default: world)."""
    name = query.get("name", "world")
    # A log line of this request: it appears inside the request's trace.
    log.info("greeting %s for request %s", name, pime.context().get("request_id"))
    return f"Hello, {name}!"


def sleep(query, headers):
    """Blocks this worker thread for ?seconds= (default 0.5, at most 10)."""
    seconds = float(query.get("seconds", "0.5"))  # not a number: ValueError -> 500
    if not 0.0 <= seconds <= MAX_SLEEP_SECONDS:
        raise ValueError(f"seconds must be between 0 and {MAX_SLEEP_SECONDS}")
    time.sleep(seconds)
    return f"slept {seconds} s on {threading.current_thread().name}"


def boom(query, headers):
    """Always raises ValueError (answered 500)."""
    raise ValueError("boom: this route always fails")


def user_agent(query, headers):
    """Echoes the User-Agent header."""
    return headers.get("user-agent", "(none)")


ROUTES = {
    "/": index,
    "/hello": hello,
    "/sleep": sleep,
    "/boom": boom,
    "/user-agent": user_agent,
}


def broker(command, params):
    """Answers GET ``command`` (the path); an unknown path raises KeyError (404)."""
    handler = ROUTES[command]
    return handler(params["query"], params["headers"])
