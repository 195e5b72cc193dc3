"""Project exceptions: one base, one leaf per meaning.

Start-up problems (``StackError``) are shown as one line by the CLI, never as a traceback.
"""


class LandgridError(Exception):
    """Base of every error Landgrid raises on purpose."""


class StackError(LandgridError):
    """The embedded stack cannot start: bad configuration, port taken, missing package."""
