"""A broker whose module imports an extension with single-phase init, which an
isolated subinterpreter refuses (CPython's own test module, in pyenv's builds)."""

import _testsinglephase  # noqa: F401


def broker(command, params):
    return command
