"""A broker for the huge-values test: builds and checks a 100 MB str and a list of 10
million ints without making extra copies of them."""

PATTERN = "0123456789abcdef"


def _make_string(length):
    return PATTERN * (length // len(PATTERN))


def _check_string(value, length):
    """[len, whether it is PATTERN repeated] — scanning, not copying."""
    whole = len(value) == length and value.count(PATTERN) == length // len(PATTERN)
    return [len(value), whole]


def _make_ints(count):
    return list(range(count))


def _check_ints(value, count):
    """[len, sum, whether sampled positions hold their index]."""
    step = max(1, count // 1000)
    sampled = all(value[i] == i for i in range(0, count, step)) and value[-1] == count - 1
    return [len(value), sum(value), sampled]


def broker(command, params):
    if command == "make_string":
        return _make_string(**params)
    if command == "check_string":
        return _check_string(**params)
    if command == "make_ints":
        return _make_ints(**params)
    if command == "check_ints":
        return _check_ints(**params)
    if command == "echo":
        return params["value"]
    raise KeyError(command)
