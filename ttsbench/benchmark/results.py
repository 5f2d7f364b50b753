"""A run's numbers as every reader sees them: its summary.json when it is current, else computed from the
scores now (a run in progress, or one scored since). The runner writes the summary; reports, gates,
sweeps and the API read it through here.
"""

from __future__ import annotations

import logging

from .records import Metric, RunSummary
from .scorers import declared
from .stats import summarize_run
from .store import RunStore, StoreError

log = logging.getLogger(__name__)


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


def _of_the_plan(plan, sample) -> bool:
    """Whether a sample is one the plan asks for: a model row's prompt (its text) and seed, or an anchor's prompt.
    A ceiling anchor's samples are the dataset's eval clips, not checked here (the runner plans them)."""
    rows = {r.name: r for r in plan.rows}
    if sample.variant not in rows:
        return False
    row = rows[sample.variant]
    if getattr(row, "anchor", "") == "ceiling":
        return True
    texts = {p.id: p.text for p in plan.prompts.prompts}
    seeds = set(plan.seeds) if row in plan.variants else {0}
    return texts.get(sample.prompt_id) == sample.text and sample.seed in seeds


def compute_summary(store: RunStore) -> RunSummary:
    """Per-row summaries and every pairwise comparison of the scores as they are now."""
    run = store.run()
    samples = store.samples()
    scores = store.current_scores()
    if run is not None:
        foreign = {s.key for s in samples if not _of_the_plan(run.plan, s)}
        if foreign:
            log.warning(
                "%s: %d line(s) of samples.jsonl are not of this run's plan (rows, prompts, texts or seeds of another "
                "suite?); left out of the numbers — `ttsbench bench` makes the planned ones",
                store.dir,
                len(foreign),
            )
            samples = [s for s in samples if s.key not in foreign]
            scores = [s for s in scores if (s.variant, s.prompt_id, s.seed) not in foreign]
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
