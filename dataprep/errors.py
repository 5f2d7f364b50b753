"""The one base class of errors a user can act on, and the redaction of secrets in what is shown.

An error's message is one line that names the input and the fix; the command line prints it
without a traceback. Every stage's own errors derive from it.
"""

from __future__ import annotations

import re


class UserError(Exception):
    """Bad input or a missing model: the message says which, and what to do."""


# user:password@ in a URL, and query parameters that carry secrets (?token=…, &sig=…, X-Amz-Signature=…)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_PARAM = re.compile(r"(?i)([?&;](?:[a-z0-9_.-]*(?:token|key|secret|password|passwd|pwd|sig|signature|auth|"
                           r"credential|session)[a-z0-9_.-]*)=)[^&#\s'\"]+")


def redact(text: str) -> str:
    """`text` with URL credentials and secret query parameters replaced by `***`; for messages and records."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", str(text)))
