"""One process at a time on an output folder: a run directory, a dataset, a fine-tune."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError


class FolderInUse(UserError, RuntimeError):
    """Another process holds the folder; the message names it."""


@contextlib.contextmanager
def hold(folder: str | Path, what: str = "ttsbench") -> Iterator[None]:
    """Hold `folder` for this process: a second call on it, from any process, is refused naming the holder.

    The lock is the kernel's (flock on FOLDER/.lock): it ends with the process, even one killed with kill -9.
    """
    import fcntl

    from .errors import output_folder

    folder = output_folder(folder, "output folder")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode(errors="replace").strip() or "another process"
            raise FolderInUse(
                f"{folder}: in use by {holder}; wait for it to finish or stop it, then run again (it resumes)"
            ) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"{what} pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
