"""Helpers of the adversarial subinterpreter brokers."""


def interp_id():
    try:
        import _interpreters as interpreters  # 3.13
    except ImportError:
        import _xxsubinterpreters as interpreters  # 3.12
    current = interpreters.get_current()
    return int(current[0] if isinstance(current, tuple) else current)


def in_sub():
    return interp_id() != 0
