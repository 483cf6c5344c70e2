"""Raises KeyboardInterrupt at import, in subinterpreters only."""
from adversarial_interp_common import in_sub

if in_sub():
    raise KeyboardInterrupt("at import")


def broker(command, params):
    return command
