"""The run directory on disk, and its one reader: JSON lines appended as work finishes, safe to kill.

A line is written with one `write` on a file opened for appending and flushed to disk; audio is
written (atomically) before its sample line. A run killed mid-write leaves at most one torn last
line, which is cut off when the run resumes. Everything that reads a run (the runner, reports,
gates, sweeps) goes through `RunStore`: `run()`, `samples()`, `current_scores()`, `summary()`,
`finetune()`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import time
from dataclasses import replace
from pathlib import Path

from dataprep.errors import UserError

from .listeners import analyse
from .records import Metric, Rating, RunRecord, RunSummary, Sample, SampleCounts, Score, declared, from_dict, to_dict
from .stats import compare, summarize



class StoreError(UserError, ValueError):
    """A run directory that cannot be read or is in use; the message names the file and the fix."""


class RunStore:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.samples_path = self.dir / "samples.jsonl"
        self.scores_path = self.dir / "scores.jsonl"
        self.ratings_path = self.dir / "ratings.jsonl"

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

    def run(self) -> RunRecord | None:
        return RunRecord.read(self.dir)

    def current_scores(self) -> list[Score]:
        """The scores that belong to the samples as they are now: latest per key, audio unchanged."""
        samples = {s.key: s for s in self.samples()}
        shas = {k: audio_sha(self.dir / s.audio_path) for k, s in samples.items() if s.audio_path}
        latest = {}
        for d in self.scores():
            key = (d["variant"], d["prompt_id"], d["seed"])
            if key in samples and d.get("audio_sha", "") == shas.get(key, ""):
                latest[(*key, d["metric"])] = from_dict(Score, d)
        return list(latest.values())

    def ratings(self) -> list[Rating]:
        """Every answer of the listening test, in the order given."""
        return [from_dict(Rating, d) for d in read_jsonl(self.ratings_path)]

    def add_rating(self, rating: Rating) -> None:
        append_jsonl(self.ratings_path, [to_dict(rating)])

    def newest_change(self) -> float:
        """When samples, scores or ratings last changed (a summary or report older than this is stale)."""
        paths = (self.samples_path, self.scores_path, self.ratings_path)
        return max((p.stat().st_mtime for p in paths if p.exists()), default=0)

    def summary(self) -> RunSummary:
        """summary.json when it is newer than the samples and scores, else computed (a run in progress)."""
        path = self.dir / RunSummary.FILE
        if path.is_file() and path.stat().st_mtime >= self.newest_change():
            return RunSummary.read(self.dir)
        run = self.run()
        return self.summarize(run.rows if run else sorted({s.variant for s in self.samples()}))

    def summarize(self, rows: list[str]) -> RunSummary:
        """Per-row summaries and pairwise comparisons of the scores as they are now (pure over the store)."""
        scores = self.current_scores()
        run = self.run()
        ids = {s.scorer.split(":", 1)[0] for s in scores}
        named = [n for n in (run.config.get("scorers") or {} if run else {}) if n in ids]  # the suite's order
        table, present = declared(named + sorted(ids - set(named))), {s.metric for s in scores}
        metrics = [m for m in table.values() if m.base in present]  # as the scorers declare them
        metrics += [Metric(name, better="") for name in sorted(present - set(table))]  # a scorer no longer known
        samples = self.samples()
        planned = run.planned if run else {}
        counts = {}
        for v in rows:  # planned samples never produced (a half-finished run) count as missing
            mine = [s for s in samples if s.variant == v]
            counts[v] = SampleCounts(len(mine), sum(1 for s in mine if s.error),
                                     max(0, planned.get(v, len(mine)) - len(mine)),
                                     sum(1 for s in mine if s.regenerated))
        summaries = [summarize(scores, v, m) for v in rows for m in metrics]
        summaries = [replace(s, n_failed=s.n_failed + counts[s.variant].missing) for s in summaries]
        comparisons = [compare(scores, a, b, m.name) for m in metrics if m.compared
                       for i, a in enumerate(rows) for b in rows[i + 1:]]
        ratings = self.ratings()
        listeners = analyse(ratings, scores, {m.name: m for m in metrics}, rows) if ratings else {}
        return RunSummary(run.suite if run else "", run.label if run else "", sorted({s.scorer for s in scores}),
                          counts, summaries, comparisons, {m.name: m for m in metrics}, listeners)

    def finetune(self):
        """The `finetune.json` of the run's adapter (a FinetuneRecord), or None."""
        from finetune.records import read_finetune_record

        run = self.run()
        return read_finetune_record(run.adapter) if run and run.adapter else None

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


def audio_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
