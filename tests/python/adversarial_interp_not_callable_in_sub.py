"""`broker` is callable in the main interpreter only."""
from adversarial_interp_common import in_sub

if in_sub():
    broker = 42
else:
    def broker(command, params):
        return command
