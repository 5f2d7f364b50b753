"""Messages go through `logging`: each module has `log = logging.getLogger(__name__)`, all under
"ttsbench". Only the top decides what reaches the terminal: the command line (and the Python API when
progress is on) calls `show()`, which prints each record on stderr as one line. Progress bars stay tqdm.
"""

from __future__ import annotations

import logging
import sys

ROOT = "ttsbench"


class _Stderr(logging.StreamHandler):
    """stderr as it is when a record is written (a notebook or a test may have replaced it since)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # (not setStream: it would flush the old one, which may be closed)
        super().emit(record)


class _Lines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        return f"warning: {text}" if record.levelno >= logging.WARNING else text


def show(level: int = logging.INFO) -> None:
    """Print ttsbench's messages at `level` and above on stderr, one line each (once per process)."""
    logger = logging.getLogger(ROOT)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr(sys.stderr)
        handler.setFormatter(_Lines())
        logger.addHandler(handler)
    logger.setLevel(level)
