"""Fails to import in the second subinterpreter that imports it (slots claimed with
O_EXCL files in $PIME_ADV_SLOTS)."""
import os

from adversarial_interp_common import in_sub

if in_sub():
    folder = os.environ["PIME_ADV_SLOTS"]
    slot = 0
    while True:
        try:
            os.close(os.open(os.path.join(folder, f"slot{slot}"), os.O_CREAT | os.O_EXCL))
            break
        except FileExistsError:
            slot += 1
    if slot == 1:
        raise ImportError("the second subinterpreter refuses")


def broker(command, params):
    return command
