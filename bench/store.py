"""The run directory on disk: JSON lines appended as work finishes, safe to kill at any moment.

A line is written with one `write` on a file opened for appending and flushed to disk; audio is
written (atomically) before its sample line. A run killed mid-write leaves at most one torn last
line, which is cut off when the run resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from .records import Sample, Score, from_dict, to_dict


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


def safe_name(text: str) -> str:
    """A file name for a prompt id; ids that are not already safe get a short hash to stay unique."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")[:60]
    return clean if clean == text else f"{clean}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def read_jsonl(path: Path) -> list[dict]:
    """Every complete line; a torn last line (a killed writer) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
    return [json.loads(line) for line in data[:end].splitlines() if line.strip()]


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
