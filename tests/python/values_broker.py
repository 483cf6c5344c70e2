"""A broker for the property tests of value conversion: echoes values and builds the
Python values Rust cannot send (deep nesting, strings with lone surrogates)."""


def _nested_lists(depth, leaf):
    """`depth` lists nested in each other; the innermost holds `leaf` (if not None)."""
    value = [] if leaf is None else [leaf]
    for _ in range(depth - 1):
        value = [value]
    return value


def _string_from(code_points, where):
    """A str made of `code_points` (lone surrogates allowed), placed `where`."""
    text = "".join(map(chr, code_points))
    return _place(text, where)


def _decoded(data, where):
    """`data` decoded as UTF-8 with surrogateescape: invalid bytes become lone surrogates."""
    return _place(data.decode("utf-8", "surrogateescape"), where)


def _place(text, where):
    if where == "top":
        return text
    if where == "list":
        return [1, text]
    if where == "dict_key":
        return {text: 1}
    if where == "dict_value":
        return {"k": [None, {"inner": text}]}
    raise ValueError(where)


def broker(command, params):
    if command == "echo":
        return params["value"]
    if command == "nested_lists":
        return _nested_lists(**params)
    if command == "string_from":
        return _string_from(**params)
    if command == "decoded":
        return _decoded(**params)
    raise KeyError(command)
