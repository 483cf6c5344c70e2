"""A broker that answers with what numpy returns, unconverted: numpy scalars
(`numpy.int64`, `numpy.float64`, `numpy.bool_`) and arrays cross as ints, floats,
bools and lists."""

import numpy as np

import pime

broker = pime.Broker()


@broker.command
def describe(values):
    xs = np.asarray(values, dtype=np.int64)
    return {
        "count": xs.size,
        "sum": np.sum(xs),
        "mean": np.mean(xs),
        "all_positive": np.all(xs > 0),
        "sorted": np.sort(xs),
        "histogram": np.histogram(xs, bins=3)[0],
    }


@broker.command
def numpy_version():
    return np.__version__
