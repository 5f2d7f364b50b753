"""The one base class of errors a user can act on.

Its message is one line that names the input and the fix; the command line prints it without a
traceback. Every stage's own errors derive from it.
"""


class UserError(Exception):
    """Bad input or a missing model: the message says which, and what to do."""
