"""Aggregation is pure: tables of scores in, intervals and paired tests out."""

from __future__ import annotations

import numpy as np
import pytest

from ttsbench.benchmark.records import Score
from ttsbench.benchmark.scorers import declared
from ttsbench.benchmark.stats import compare, summarize

METRICS = declared(["wer", "speaker_sim"])


def scores(variant, values, metric="speaker_sim", detail=None):
    """values[prompt][seed] → Score records."""
    return [
        Score(variant, f"p{p}", s, metric, v, dict(detail or {}))
        for p, row in enumerate(values)
        for s, v in enumerate(row)
    ]


def test_mean_is_over_prompts_with_seeds_nested():
    # prompt 0 has one seed at 1.0; prompt 1 has three seeds at 0.0: the prompt mean is 0.5
    data = scores("a", [[1.0], [0.0, 0.0, 0.0]])
    s = summarize(data, "a", METRICS["speaker_sim"])
    assert s.mean == pytest.approx(0.5) and s.n == 4 and s.n_failed == 0


def test_interval_brackets_the_mean_and_narrows_with_more_prompts():
    rng = np.random.default_rng(1)
    few = summarize(scores("a", rng.normal(0.6, 0.1, (8, 2)).tolist()), "a", METRICS["speaker_sim"])
    many = summarize(scores("a", rng.normal(0.6, 0.1, (80, 2)).tolist()), "a", METRICS["speaker_sim"])
    assert few.ci_low < few.mean < few.ci_high
    assert (many.ci_high - many.ci_low) < (few.ci_high - few.ci_low)


def test_failed_samples_are_counted():
    s = summarize(scores("a", [[0.5, None], [0.7, 0.9]]), "a", METRICS["speaker_sim"])
    assert s.n == 3 and s.n_failed == 1


def test_micro_and_macro_wer_differ_as_they_should():
    def wer(errors, words):
        return {"substitutions": errors, "deletions": 0, "insertions": 0, "ref_words": words}

    data = [Score("a", "p0", 0, "wer", 1.0, wer(2, 2)), Score("a", "p1", 0, "wer", 0.0, wer(0, 98))]
    assert summarize(data, "a", METRICS["wer_macro"]).mean == pytest.approx(0.5)
    assert summarize(data, "a", METRICS["wer_micro"]).mean == pytest.approx(0.02)
    assert summarize(data, "a", METRICS["wer_over_50"]).mean == pytest.approx(0.5)


def test_paired_comparison():
    rng = np.random.default_rng(0)
    base = rng.normal(0.5, 0.2, (20, 3))
    data = scores("base", base.tolist()) + scores("ft", (base + 0.1 + rng.normal(0, 0.01, base.shape)).tolist())
    c = compare(data, "ft", "base", "speaker_sim")
    assert c.difference == pytest.approx(0.1, abs=0.01) and c.ci_low < 0.1 < c.ci_high and c.p_value < 0.001
    same = compare(scores("x", base.tolist()) + scores("y", base.tolist()), "x", "y", "speaker_sim")
    assert same.difference == 0 and same.p_value == 1.0


def test_comparison_only_uses_prompts_both_have():
    data = scores("a", [[0.9], [0.8], [None]]) + scores("b", [[0.5], [0.4], [0.3]])
    c = compare(data, "a", "b", "speaker_sim")
    assert c.n_pairs == 2 and c.difference == pytest.approx(0.4)
