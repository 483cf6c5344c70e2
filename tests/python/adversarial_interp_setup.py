"""A plain broker for the set-up attacks, plus odd broker objects."""

import pime
from adversarial_interp_common import interp_id

broker = pime.Broker()


@broker.command
def where():
    return interp_id()


@broker.command
def echo(value):
    return value


@broker.command
def lazy_single():
    import _testsinglephase  # noqa: F401
    return "imported"


class Handler:
    def handle(self, command, params):
        return ["handled", command]


handler = Handler()


class CallableObject:
    __name__ = "broker"   # claims to be the module's `broker`

    def __call__(self, command, params):
        return "callable object"


callable_object = CallableObject()


def plain_broker(command, params):
    """A plain function broker (has `__module__` and `__name__`), for the seed API."""
    if command == "where":
        return interp_id()
    return broker(command, params)
