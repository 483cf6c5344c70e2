"""Raises SystemExit at import, in subinterpreters only."""
import sys

from adversarial_interp_common import in_sub

if in_sub():
    sys.exit(3)


def broker(command, params):
    return command
