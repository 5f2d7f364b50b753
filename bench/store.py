"""The run directory on disk: JSON lines appended as work finishes, safe to kill at any moment.

A line is written with one `write` on a file opened for appending and flushed to disk; audio is
written (atomically) before its sample line. A run killed mid-write leaves at most one torn last
line, which is cut off when the run resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import time
from pathlib import Path

from dataprep.errors import UserError

from .records import Sample, Score, from_dict, to_dict


class StoreError(UserError, ValueError):
    """A run directory that cannot be read or is in use; the message names the file and the fix."""


class RunStore:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.samples_path = self.dir / "samples.jsonl"
        self.scores_path = self.dir / "scores.jsonl"

    def audio_path(self, variant: str, prompt_id: str, seed: int) -> Path:
        return self.dir / "audio" / variant / f"{safe_name(prompt_id)}-s{seed}.wav"

    def samples(self) -> list[Sample]:
        """Samples as written, the last one written for a key winning."""
        latest = {}
        for d in read_jsonl(self.samples_path):
            s = from_dict(Sample, d)
            latest[s.key] = s
        return list(latest.values())

    def scores(self) -> list[dict]:
        """Score lines as stored (a Score plus the `audio_sha` it was computed from)."""
        return read_jsonl(self.scores_path)

    def add_sample(self, sample: Sample) -> None:
        append_jsonl(self.samples_path, [to_dict(sample)])

    def add_scores(self, scores: list[Score], audio_sha: str) -> None:
        append_jsonl(self.scores_path, [{**to_dict(s), "audio_sha": audio_sha} for s in scores])

    def repair(self) -> list[str]:
        """Keep every intact line of samples.jsonl and scores.jsonl; the damaged originals are kept beside them.

        Returns one line per file repaired (what was dropped, where the original went).
        """
        done = []
        for path in (self.samples_path, self.scores_path):
            if not path.exists():
                continue
            lines = path.read_bytes().splitlines(keepends=True)
            lines = [line for line in lines if line.strip()]
            good = [line for line in lines if _intact(line)]
            if len(good) == len(lines):
                continue
            backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            path.replace(backup)
            path.write_bytes(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in good))
            done.append(f"{path}: kept {len(good)} lines, dropped {len(lines) - len(good)} damaged; original in {backup.name}")
        return done

    @contextlib.contextmanager
    def lock(self):
        """Hold the run directory for this process: a second `ttsbench bench` on it is refused, naming this one.

        The lock is the kernel's (flock): it ends with the process, even one killed with kill -9.
        """
        import fcntl

        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 400, 0).decode(errors="replace").strip() or "another process"
                raise StoreError(f"{self.dir}: in use by {holder}; wait for it to finish or stop it, "
                                 "then run again (it resumes)") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"ttsbench pid {os.getpid()} on {socket.gethostname()} since "
                          f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
            yield
        finally:
            os.close(fd)


def safe_name(text: str) -> str:
    """A file name for a prompt id; ids that are not already safe get a short hash to stay unique."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")[:60]
    return clean if clean == text else f"{clean}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def read_jsonl(path: Path) -> list[dict]:
    """Every complete line; a torn last line (a killed writer) is cut off the file.

    A damaged line anywhere else raises StoreError naming the file and the line: nothing is
    guessed or skipped silently (`RunStore.repair`, `ttsbench bench --repair`, keeps the rest).
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
    rows = []
    for n, line in enumerate(data[:end].splitlines(), 1):
        if not line.strip():
            continue
        if not _intact(line):
            raise StoreError(f"{path} line {n}: damaged (not one JSON record); run `ttsbench bench SUITE --repair` "
                             "to keep every intact line (the original is kept beside it)")
        rows.append(json.loads(line))
    return rows


def _intact(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def append_jsonl(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False, default=_jsonable) + "\n" for r in rows)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _jsonable(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)
