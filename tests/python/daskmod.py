"""A broker run on a Dask cluster: the executor is a distributed Client's executor."""

import os
import time

CLIENT = None


def executor():
    """Connects to the scheduler named by $PIME_DASK_SCHEDULER_FILE, waits for 2 workers."""
    global CLIENT
    from distributed import Client

    CLIENT = Client(scheduler_file=os.environ["PIME_DASK_SCHEDULER_FILE"], timeout=60)
    CLIENT.wait_for_workers(2, timeout=60)
    # pure=False: equal calls are separate tasks, not one cached result.
    return CLIENT.get_executor(pure=False)


def broker(command, params):
    """Runs on a Dask worker process."""
    from distributed import get_worker

    if command == "where":
        return {"worker": get_worker().name, "pid": os.getpid()}
    if command == "slow_square":
        time.sleep(params["seconds"])
        return params["n"] * params["n"]
    raise KeyError(command)
