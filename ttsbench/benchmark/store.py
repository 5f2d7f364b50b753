"""The run directory on disk, and its one reader and writer: typed records in, typed records out.

    run.json        RunRecord (the plan the run follows)   samples.jsonl   Sample, one per line
    scores.jsonl    ScoreRecord, one per (sample, scorer)   ratings.jsonl   Rating, one per answer
    summary.json    RunSummary (+ summary.csv)              audio/<row>/<prompt>-s<seed>.wav

A line is written with one `write` on a file opened for appending and flushed to disk; audio is
written (atomically) before its sample line. A run killed mid-write leaves at most one torn last
line: readers skip it (it is not a record), and the writer cuts it off before it appends again —
reading never changes a file. Aggregation (summaries, comparisons) is `benchmark.stats`'s; this module
only reads and writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path

from ttsbench.core.errors import UserError
from ttsbench.core.records import RecordError

from .records import Rating, RunRecord, RunSummary, Sample, Score, ScoreRecord, from_dict, to_dict


log = logging.getLogger(__name__)


class StoreError(UserError, ValueError):
    """A run directory that cannot be read or is in use; the message names the file and the fix."""


class RunStore:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.samples_path = self.dir / "samples.jsonl"
        self.scores_path = self.dir / "scores.jsonl"
        self.ratings_path = self.dir / "ratings.jsonl"
        self._mended: set[Path] = set()  # files whose torn tail this writer has cut off already

    def audio_path(self, variant: str, prompt_id: str, seed: int) -> Path:
        return self.dir / "audio" / variant / f"{safe_name(prompt_id)}-s{seed}.wav"

    # reading
    def run(self) -> RunRecord | None:
        """run.json; a version-1 file (the suite's YAML as `config`) is read into the same typed plan."""
        path = self.dir / RunRecord.FILE
        data = RunRecord.read_data(path)
        if data is None:
            return None
        if "plan" not in data and "config" in data:
            from .suite import SuiteError, resolve

            try:
                plan = resolve(data["config"], Path(data.get("suite_path") or "run.json"), check_paths=False)
            except SuiteError as e:
                raise RecordError(
                    f"{path}: a run.json from an older ttsbench whose settings no longer read ({e}); "
                    "bench the suite again into a new --out"
                ) from None
            # its key was computed another way: "" makes the runner key its plan as today's before comparing
            data = {**data, "plan": plan.to_dict(), "engine": data.get("engine", ""), "config_key": ""}
        return RunRecord.from_dict(data, str(path))

    def samples(self) -> list[Sample]:
        """Samples as written, the last one written for a key winning."""
        latest = {}
        for s in self._read(self.samples_path):
            latest[s.key] = s
        return list(latest.values())

    def score_records(self) -> list[ScoreRecord]:
        """Every line of scores.jsonl, in the order written."""
        return self._read(self.scores_path)

    def current_scores(self) -> list[Score]:
        """The scores that belong to the samples as they are now: the latest per (sample, metric) computed from
        the sample's audio as recorded (a sample generated again makes its old scores stale)."""
        shas = {s.key: s.audio_sha or self.file_sha(s) for s in self.samples()}
        latest = {}
        for record in self.score_records():
            if record.key in shas and record.audio_sha == shas[record.key]:
                for score in record.values:
                    latest[(*record.key, score.metric)] = score
        return list(latest.values())

    def file_sha(self, sample: Sample) -> str:
        """The sha256 of a sample's audio file as it is on disk ("" for a failed sample or a missing file)."""
        path = self.dir / sample.audio_path if sample.audio_path else None
        return audio_sha(path) if path is not None and path.is_file() else ""

    def changed_audio(self) -> list[Sample]:
        """Samples whose audio file is not what was made (replaced, truncated or edited since): their scores
        describe other audio. A missing file is not here (it counts as missing); runs from before hashes were
        recorded are not checked."""
        return [
            s
            for s in self.samples()
            if s.audio_sha and s.audio_path and (self.dir / s.audio_path).is_file() and self.file_sha(s) != s.audio_sha
        ]

    def ratings(self) -> list[Rating]:
        """Every answer of the listening test, in the order given."""
        return self._read(self.ratings_path)

    def _read(self, path: Path) -> list:
        """The typed records of one JSONL file; a line that is JSON of the wrong shape names its line and field."""
        parse = self._parser(path)
        return [parse(row, f"{path} line {n}") for n, row in read_jsonl(path)]

    def _parser(self, path: Path):
        if path == self.scores_path:
            return lambda row, where: ScoreRecord.from_line(row, where, REPAIR)
        kind = Sample if path == self.samples_path else Rating
        return lambda row, where: from_dict(kind, row, where, REPAIR)

    def newest_change(self) -> float:
        """When samples, scores or ratings last changed (a summary or report older than this is stale)."""
        paths = (self.samples_path, self.scores_path, self.ratings_path)
        return max((p.stat().st_mtime for p in paths if p.exists()), default=0)

    def summary(self) -> RunSummary | None:
        """summary.json as written (None when there is none); `benchmark.results.current_summary` says whether it
        is current and computes one when it is not. A damaged one is as good as none: it is computed again, and said."""
        try:
            return RunSummary.read(self.dir)
        except RecordError as e:
            log.warning("%s; it is computed again from samples.jsonl and scores.jsonl", str(e).split("; ")[0])
            return None

    def summary_is_current(self) -> bool:
        path = self.dir / RunSummary.FILE
        return path.is_file() and path.stat().st_mtime >= self.newest_change()

    def finetune(self):
        """The `finetune.json` of the run's adapter (a FinetuneRecord), or None."""
        from ttsbench.models.records import read_finetune_record

        run = self.run()
        return read_finetune_record(run.adapter) if run and run.adapter else None

    # writing (the runner holds `lock()` while it writes; the listening server appends ratings)
    def add_sample(self, sample: Sample) -> None:
        self._append(self.samples_path, [to_dict(sample)])

    def add_scores(self, record: ScoreRecord) -> None:
        """One scorer's values for one sample, as one line: all of them are stored, or none."""
        self._append(self.scores_path, [record.to_line()])

    def add_rating(self, rating: Rating) -> None:
        self._append(self.ratings_path, [to_dict(rating)])

    def write_summary(self, summary: RunSummary) -> None:
        import csv

        summary.write(self.dir)
        tmp = self.dir / "summary.csv.tmp"
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["variant", "metric", "mean", "ci_low", "ci_high", "n", "n_failed"])
            w.writeheader()
            w.writerows(to_dict(s) for s in summary.summaries)
        tmp.replace(self.dir / "summary.csv")

    def _append(self, path: Path, rows: list[dict]) -> None:
        if path not in self._mended:
            cut_torn_tail(path)
            self._mended.add(path)
        append_jsonl(path, rows)

    def repair(self) -> list[str]:
        """Keep every intact line of samples.jsonl, scores.jsonl and ratings.jsonl (a line that is JSON of the
        wrong shape is damaged too); the damaged originals are kept beside them.

        Returns one line per file repaired (what was dropped, where the original went).
        """
        done = []
        for path in (self.samples_path, self.scores_path, self.ratings_path):
            if not path.exists():
                continue
            lines = path.read_bytes().splitlines(keepends=True)
            lines = [line for line in lines if line.strip()]
            good = [line for line in lines if line.endswith(b"\n") and self._fits(path, line)]
            if len(good) == len(lines):
                continue
            backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            path.replace(backup)
            path.write_bytes(b"".join(good))
            done.append(
                f"{path}: kept {len(good)} lines, dropped {len(lines) - len(good)} damaged; original in {backup.name}"
            )
        return done

    def _fits(self, path: Path, line: bytes) -> bool:
        row = _record(line)
        if row is None:
            return False
        try:
            self._parser(path)(row, str(path))
        except RecordError:
            return False
        return True

    @contextlib.contextmanager
    def lock(self):
        """Hold the run directory for this process: a second `ttsbench bench` on it is refused, naming this one
        (`core.locks.hold`: the kernel's lock, gone with the process)."""
        from ttsbench.core.locks import FolderInUse, hold

        try:
            with hold(self.dir, "ttsbench"):
                yield
        except FolderInUse as e:
            raise StoreError(str(e)) from None


# (path, inode, size, mtime, ctime) → sha256: a file is hashed again whenever it may have changed (ctime moves
# with every write and cannot be set back, as mtime can)
_SHAS: dict[tuple, str] = {}


def audio_sha(path: Path) -> str:
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key not in _SHAS:
        _SHAS[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return _SHAS[key]


def safe_name(text: str) -> str:
    """A file name for a prompt id; ids that are not already safe get a short hash to stay unique."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")[:60]
    return clean if clean == text else f"{clean}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


REPAIR = "run `ttsbench bench SUITE --repair` to keep every intact line (the original is kept beside it)"


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """Every complete line, with its line number. A torn last line (a killed writer: no newline at the end) is not
    a record and is skipped; the file is left as it is.

    A damaged line anywhere else raises StoreError naming the file and the line: nothing is
    guessed or skipped silently (`RunStore.repair`, `ttsbench bench --repair`, keeps the rest).
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    rows = []
    for n, line in enumerate(data[:end].splitlines(), 1):
        if not line.strip():
            continue
        row = _record(line)
        if row is None:
            raise StoreError(f"{path} line {n}: damaged (not one JSON record); {REPAIR}")
        rows.append((n, row))
    return rows


def cut_torn_tail(path: Path) -> int:
    """Cut a torn last line (bytes after the last newline) off `path`; how many bytes were cut. The writer's
    job, before it appends: a new line must not be glued to half of an old one."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    with open(path, "r+b") as f:
        back = min(size, 1 << 20)
        while True:
            f.seek(size - back)
            chunk = f.read(back)
            end = chunk.rfind(b"\n")
            if end >= 0 or back == size:
                break
            back = min(size, back * 4)
        keep = size - back + end + 1 if end >= 0 else 0
        if keep < size:
            f.truncate(keep)
    return size - keep


def _record(line: bytes) -> dict | None:
    """The JSON object a line holds; None for a damaged line."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


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
