"""Raises, at import in subinterpreters only, an exception whose str() raises."""
from adversarial_interp_common import in_sub


class Nasty(Exception):
    def __str__(self):
        raise RuntimeError("no")


if in_sub():
    raise Nasty()


def broker(command, params):
    return command
