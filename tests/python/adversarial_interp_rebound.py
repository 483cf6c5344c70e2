"""`broker` is rebound after `original` keeps the first function: the first function's
`__module__` and `__name__` name the second one."""


def broker(command, params):
    return "first"


original = broker


def broker(command, params):  # noqa: F811
    return "second"
