"""Nothing lost: a (sample, scorer) pair is done only when its whole record is on disk, whatever metrics the
scorer declares or happened to give. For every registered scorer, a write cut at any byte of its last
record (what `kill -9` leaves) is scored again on the next run, to exactly the scores and counts of a
run that was never interrupted."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttsbench.benchmark.results import current_summary
from ttsbench.benchmark.runner import run_suite
from ttsbench.benchmark.scorers import SCORERS
from ttsbench.benchmark.store import RunStore
from ttsbench.benchmark.suite import load_suite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scored(voice_dataset, tmp_path_factory):
    """Two samples of the noise synthesizer (generated rows: they get stop_failure), every scorer."""
    folder = tmp_path_factory.mktemp("complete")
    path = folder / "suite.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "complete",
                "model": {"backend": "noise"},
                "dataset": str(voice_dataset),
                "prompts": ["Good evening, everyone.", "The train leaves at seven."],
                "seeds": 1,
                "variants": ["base"],
                "anchors": [],
                "scorers": {name: {} for name in SCORERS},
            }
        )
    )
    suite = load_suite(path)
    run_suite(suite, folder / "run", progress=False)
    return suite, folder / "run"


def _scores(run: Path) -> dict:
    return {
        (s.variant, s.prompt_id, s.seed, s.metric, s.scorer): (s.value, s.detail)
        for s in RunStore(run).current_scores()
    }


def _counts(run: Path) -> dict:
    summary = current_summary(RunStore(run))
    return {(s.variant, s.metric): (s.n, s.n_failed) for s in summary.summaries}


def _torn(scored, scorer: str, offset: int | None):
    """A copy of the run whose scores.jsonl ends inside `scorer`'s last record (at `offset` bytes of it), or the
    length of that record when `offset` is None."""
    suite, run = scored
    lines = (run / "scores.jsonl").read_bytes().splitlines(keepends=True)
    last = max(
        k for k, line in enumerate(lines) if line.startswith(b'{"variant"') and f'"scorer": "{scorer}:'.encode() in line
    )
    if offset is None:
        return len(lines[last])
    copy = Path(tempfile.mkdtemp()) / "run"
    shutil.copytree(run, copy)
    (copy / "summary.json").unlink()
    (copy / "scores.jsonl").write_bytes(b"".join(lines[:last] + lines[last + 1 :]) + lines[last][:offset])
    return copy


@pytest.mark.parametrize("scorer", list(SCORERS))
def test_a_write_cut_anywhere_in_a_scorers_last_record_is_scored_again(scored, scorer):
    suite, run = scored
    whole, counts = _scores(run), _counts(run)
    size = _torn(scored, scorer, None)

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.integers(1, size - 2))
    def cut_at(offset):
        check(offset)

    def check(offset):
        copy = _torn(scored, scorer, offset)
        try:
            assert _scores(copy) != whole  # the torn record's values are not counted as scored …
            again = run_suite(suite, copy, progress=False)
            assert (again.generated, again.scored) == (0, 1)  # … the one pair is scored again, nothing else
            assert _scores(copy) == whole and _counts(copy) == counts
            records = [(*r.key, r.scorer) for r in RunStore(copy).score_records()]
            assert len(records) == len(set(records))
        finally:
            shutil.rmtree(copy.parent)

    for offset in (0, size - 1):  # nothing of it written; all of it but the newline
        check(offset)
    cut_at()
