"""Statistical power: the smallest difference a comparison's prompts detect, gates that say when
their threshold lies below it, and `ttsbench bench --plan`."""

import numpy as np
import pytest

from ttsbench.benchmark.records import Comparison
from ttsbench.benchmark.stats import detectable, prompts_needed


@pytest.mark.parametrize("spread,n,expected", [(1.0, 8, 1.1529), (0.1, 20, 0.0661), (2.0, 100, 0.5659)])
def test_detectable_difference_table(spread, n, expected):
    assert detectable(spread, n) == pytest.approx(expected, rel=2e-3)
    need = prompts_needed(spread, expected)
    assert need is not None and abs(need - n) <= 1  # the inverse
    assert detectable(None, n) is None and detectable(spread, 1) is None


def test_a_true_difference_of_the_detectable_size_is_found_about_80_percent_of_the_time():
    from scipy import stats

    rng = np.random.default_rng(0)
    n, spread = 12, 0.08
    size = detectable(spread, n)
    found = [stats.ttest_1samp(rng.normal(size, spread, n), 0).pvalue < 0.05 for _ in range(4000)]
    assert 0.77 < np.mean(found) < 0.83
    half = [stats.ttest_1samp(rng.normal(size / 2, spread, n), 0).pvalue < 0.05 for _ in range(4000)]
    assert np.mean(half) < 0.4  # half that size is missed most of the time


def test_a_gate_below_what_its_prompts_detect_says_so_with_the_prompts_it_needs():
    from ttsbench.gates.gates import power_note

    c = Comparison("finetuned_cloned", "base", "speaker_sim", 0.04, 0.0, 0.08, 0.2, 8, True, 0.1, detectable(0.1, 8))
    note = power_note(c, 0.05)
    assert "cannot reliably pass or fail with 8 prompts" in note and "about 34 prompts" in note  # t-based, as --plan
    assert power_note(c, 0.2) == "" and power_note(c, 0) == ""


def test_bench_plan_estimates_prompts_from_an_earlier_run(tiny_run, capsys):
    from ttsbench.cli import main

    suite = tiny_run.parent / "tiny.yaml"
    assert main(["bench", str(suite), "--out", str(tiny_run), "--plan", "--target", "speaker_sim=0.05"]) == 0
    out = capsys.readouterr().out
    assert "finetuned_cloned − base on speaker_sim: 0.05" in out and "prompts (at 2 seeds each)" in out
    assert main(["bench", str(suite), "--out", str(tiny_run / "nothing"), "--plan"]) == 2
    assert "holds no earlier run" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, said",
    [
        (["--plan", "--target", "speakr_sim=0.05"], "--target speakr_sim=0.05: speakr_sim is not a metric this suite"),
        (["--plan", "--target", "speaker_sim=0"], "must not be 0"),
        (["--target", "speaker_sim=0.05"], "--target speaker_sim=0.05: only with --plan"),
    ],
)
def test_a_target_the_plan_cannot_use_is_refused(tiny_run, capsys, args, said):
    from ttsbench.cli import main

    before = sorted(p.name for p in tiny_run.iterdir())
    assert main(["bench", str(tiny_run.parent / "tiny.yaml"), "--out", str(tiny_run), *args]) == 2
    assert said in capsys.readouterr().err
    assert sorted(p.name for p in tiny_run.iterdir()) == before  # nothing generated
