"""A run's numbers as every reader sees them: its summary.json when it is current, else computed from the
scores now (a run in progress, or one scored since). The runner writes the summary; reports, gates,
sweeps and the API read it through here.
"""

from __future__ import annotations

from .records import Metric, RunSummary
from .scorers import declared
from .stats import summarize_run
from .store import RunStore, StoreError


def current_summary(store: RunStore) -> RunSummary:
    """summary.json when it is newer than the samples and scores (and knows its metrics), else computed. A run
    whose audio files changed after they were made is refused: its numbers would describe other audio."""
    changed = store.changed_audio()
    if changed:
        raise StoreError(
            f"{store.dir}: {len(changed)} audio file(s) changed after they were made and scored "
            f"({changed[0].audio_path}{' …' if len(changed) > 1 else ''}); the numbers would describe other audio: "
            f"run `ttsbench bench SUITE --out {store.dir}` to make them again"
        )
    if store.summary_is_current():
        summary = store.summary()
        if summary is not None and summary.metrics:
            return summary
    return compute_summary(store)


def compute_summary(store: RunStore) -> RunSummary:
    """Per-row summaries and every pairwise comparison of the scores as they are now."""
    run = store.run()
    samples = store.samples()
    scores = store.current_scores()
    rows = run.rows if run else sorted({s.variant for s in samples})
    ids = {s.scorer.split(":", 1)[0] for s in scores}
    given = run.plan.scorers if run else {}
    named = {n: given[n] for n in given if n in ids}  # in the suite's order, with its settings
    table, present = declared({**named, **{n: {} for n in sorted(ids - set(named))}}), {s.metric for s in scores}
    metrics = [m for m in table.values() if m.base in present]  # as the scorers declare them
    metrics += [Metric(name, better="") for name in sorted(present - set(table))]  # a scorer no longer known
    variants = {v.name: v.to_dict() for v in run.plan.rows} if run else {}  # what each row is, for every reader
    return summarize_run(
        run.suite if run else "",
        run.label if run else "",
        rows,
        run.planned if run else {},
        samples,
        scores,
        metrics,
        variants,
    )
