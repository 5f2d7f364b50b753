"""Aggregation: pure functions from per-sample scores to summaries and paired comparisons.

The unit of resampling is the prompt: seeds are nested inside it (averaged per prompt first),
because samples of one prompt are not independent. Intervals are 95 % bootstrap intervals
(scipy.stats.bootstrap, BCa where it can, percentile otherwise); paired p-values come from a
sign-flip permutation test on per-prompt differences (scipy.stats.permutation_test).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import replace

import numpy as np

from .records import Comparison, Metric, RunSummary, Sample, SampleCounts, Score, Summary

CONFIDENCE = 0.95
RESAMPLES = 2000


def by_prompt(scores: list[Score], variant: str, metric: str) -> dict[str, list[Score]]:
    """Scores per prompt, prompts in sorted order and each prompt's by seed: the statistics (the
    bootstrap's draws included) never depend on the order in which scores were written."""
    out: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        if s.variant == variant and s.metric == metric:
            out[s.prompt_id].append(s)
    return {p: sorted(out[p], key=lambda s: s.seed) for p in sorted(out)}


def _interval(data: tuple[np.ndarray, ...], statistic, seed: int = 0) -> tuple[float | None, float | None]:
    from scipy import stats

    if len(data[0]) < 2 or all(np.all(d == d[0]) for d in data):
        value = float(statistic(*data)) if len(data[0]) else None
        return value, value  # one prompt, or no spread: nothing to resample
    for method in ("BCa", "percentile"):
        try:
            with warnings.catch_warnings():  # BCa on near-degenerate data warns, then we fall back
                warnings.simplefilter("ignore")
                res = stats.bootstrap(
                    data,
                    statistic,
                    paired=True,
                    vectorized=False,
                    confidence_level=CONFIDENCE,
                    n_resamples=RESAMPLES,
                    method=method,
                    rng=np.random.default_rng(seed),
                )
            low, high = res.confidence_interval
            if np.isfinite(low) and np.isfinite(high):
                return float(low), float(high)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            continue
    return None, None


def summarize(scores: list[Score], variant: str, metric: Metric) -> Summary:
    """Over prompts (seeds averaged within a prompt), as the metric declares — mean, micro (summed
    counts) or rate — with a 95 % bootstrap interval over prompts."""
    groups = by_prompt(scores, variant, metric.base)
    n_failed = sum(1 for g in groups.values() for s in g if s.value is None)
    scored = {p: [s for s in g if s.value is not None] for p, g in groups.items()}
    scored = {p: g for p, g in scored.items() if g}
    n = sum(len(g) for g in scored.values())
    name = metric.name
    if not scored:
        return Summary(variant, name, None, None, None, 0, n_failed)
    if metric.summary == "micro":  # e.g. corpus WER: all errors over all reference words
        parts, total = metric.micro
        errors = np.array([sum(sum(s.detail[k] for k in parts) for s in g) for g in scored.values()], float)
        words = np.array([sum(s.detail[total] for s in g) for g in scored.values()], float)
        mean = float(errors.sum() / words.sum())
        low, high = _interval((errors, words), lambda e, w: e.sum() / w.sum())
        return Summary(variant, name, mean, low, high, n, n_failed)
    if metric.summary == "rate":
        values = np.array([np.mean([s.value > metric.threshold for s in g]) for g in scored.values()])
    else:
        values = np.array([np.mean([s.value for s in g]) for g in scored.values()])
    low, high = _interval((values,), np.mean)
    return Summary(variant, name, float(values.mean()), low, high, n, n_failed)


POWER, ALPHA = 0.8, 0.05


def detectable(spread: float | None, n: int, groups: int = 1) -> float | None:
    """The smallest true difference a two-sided test at ALPHA detects with POWER, given the spread of
    per-prompt differences (paired: groups 1) or of each row's prompt means (unpaired: groups 2, equal
    sizes assumed) over `n` prompts — the normal approximation with Student's t quantiles."""
    from scipy import stats

    if spread is None or not np.isfinite(spread) or n < 2:
        return None
    df = max(1, groups * (n - 1))
    return float((stats.t.ppf(1 - ALPHA / 2, df) + stats.t.ppf(POWER, df)) * spread * np.sqrt(groups / n))


def prompts_needed(spread: float | None, difference: float, groups: int = 1, limit: int = 100_000) -> int | None:
    """How many prompts make `difference` detectable (at POWER, ALPHA) given this spread; None if none do."""
    if spread is None or not difference:
        return None
    if spread == 0:
        return 2
    n = 2
    while n <= limit:
        found = detectable(spread, n, groups)
        if found is not None and found <= abs(difference):
            return n
        n = n + 1 if n < 64 else int(n * 1.1)
    return None


def compare(scores: list[Score], a: str, b: str, metric: str) -> Comparison:
    """a − b over the prompts both have, each prompt's value averaged over the seeds both have.

    Rows with no prompt in common (e.g. ground_truth, scored on eval clips, against impostor,
    scored on the prompts) are compared unpaired: difference of the prompt means, intervals from
    resampling each row on its own, an independent-samples permutation test; `paired` is False.
    """
    from scipy import stats

    ga, gb = by_prompt(scores, a, metric), by_prompt(scores, b, metric)
    diffs = []
    for prompt in sorted(set(ga) & set(gb)):
        va = {s.seed: s.value for s in ga[prompt] if s.value is not None}
        vb = {s.seed: s.value for s in gb[prompt] if s.value is not None}
        seeds = set(va) & set(vb)
        if not seeds and va and vb:  # e.g. an anchor scored once per prompt: compare prompt means
            diffs.append(np.mean(list(va.values())) - np.mean(list(vb.values())))
        elif seeds:
            diffs.append(np.mean([va[s] - vb[s] for s in seeds]))
    if not diffs and not set(ga) & set(gb):
        return _unpaired(a, b, metric, _prompt_means(ga), _prompt_means(gb))
    d = np.array(diffs, float)
    if len(d) == 0:
        return Comparison(a, b, metric, None, None, None, None, 0)
    low, high = _interval((d,), np.mean)
    p = None
    if len(d) >= 2 and np.any(d != 0):
        p = float(
            stats.permutation_test(
                (d,),
                np.mean,
                permutation_type="samples",
                n_resamples=9999,
                alternative="two-sided",
                rng=np.random.default_rng(0),
            ).pvalue
        )
    elif len(d) >= 2:
        p = 1.0
    spread = float(d.std(ddof=1)) if len(d) >= 2 else None
    return Comparison(a, b, metric, float(d.mean()), low, high, p, len(d), True, spread, detectable(spread, len(d)))


def _prompt_means(groups: dict[str, list[Score]]) -> np.ndarray:
    values = [[s.value for s in g if s.value is not None] for g in groups.values()]
    return np.array([np.mean(v) for v in values if v], float)


def _unpaired(a: str, b: str, metric: str, xa: np.ndarray, xb: np.ndarray) -> Comparison:
    from scipy import stats

    if len(xa) == 0 or len(xb) == 0:
        return Comparison(a, b, metric, None, None, None, None, 0, paired=False)
    diff = float(xa.mean() - xb.mean())
    low = high = p = None
    if len(xa) >= 2 and len(xb) >= 2:
        res = stats.bootstrap(
            (xa, xb),
            lambda x, y: np.mean(x) - np.mean(y),
            paired=False,
            vectorized=False,
            confidence_level=CONFIDENCE,
            n_resamples=RESAMPLES,
            method="percentile",
            rng=np.random.default_rng(0),
        )
        low, high = (float(v) for v in res.confidence_interval)
        p = float(
            stats.permutation_test(
                (xa, xb),
                lambda x, y: np.mean(x) - np.mean(y),
                n_resamples=9999,
                permutation_type="independent",
                alternative="two-sided",
                vectorized=False,
                rng=np.random.default_rng(0),
            ).pvalue
        )
    spread = float(np.sqrt((xa.var(ddof=1) + xb.var(ddof=1)) / 2)) if len(xa) >= 2 and len(xb) >= 2 else None
    return Comparison(
        a, b, metric, diff, low, high, p, 0, False, spread, detectable(spread, min(len(xa), len(xb)), groups=2)
    )


def summarize_run(
    suite: str,
    label: str,
    rows: list[str],
    planned: dict,
    samples: list[Sample],
    scores: list[Score],
    metrics: list[Metric],
    variants: dict | None = None,
) -> RunSummary:
    """A run's summary: per row its sample counts (planned samples never made count as missing, and as
    failures of every metric), each metric's summary, and every two rows compared on the compared metrics."""
    counts = {}
    for v in rows:
        mine = [s for s in samples if s.variant == v]
        counts[v] = SampleCounts(
            len(mine),
            sum(1 for s in mine if s.error),
            max(0, planned.get(v, len(mine)) - len(mine)),
            sum(1 for s in mine if s.regenerated),
        )
    summaries = [summarize(scores, v, m) for v in rows for m in metrics]
    summaries = [replace(s, n_failed=s.n_failed + counts[s.variant].missing) for s in summaries]
    comparisons = [
        compare(scores, a, b, m.name) for m in metrics if m.compared for i, a in enumerate(rows) for b in rows[i + 1 :]
    ]
    return RunSummary(
        suite,
        label,
        sorted({s.scorer for s in scores}),
        counts,
        summaries,
        comparisons,
        {m.name: m for m in metrics},
        dict(variants or {}),
    )
