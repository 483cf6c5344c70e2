"""Defines `broker` in the main interpreter only."""
from adversarial_interp_common import in_sub

if not in_sub():
    def broker(command, params):
        return command
