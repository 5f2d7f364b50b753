"""The listening test's analysis: known answers give known rates, rankings, agreement and checks."""

from __future__ import annotations

import numpy as np
import pytest

from ttsbench.listening.analysis import analyse, bradley_terry, krippendorff, rater_checks
from ttsbench.benchmark.records import Metric, Rating, Score


def ab(rater, a, b, similar, natural="same", prompt="p1", check="", trial=0):
    return Rating(rater, "ab", trial, [[a, prompt, 0], [b, prompt, 0]], {"similar": similar, "natural": natural}, check)


def test_preference_rates_count_ties_as_half_and_turn_around():
    ratings = [ab("r1", "x", "y", "a"), ab("r1", "y", "x", "a", prompt="p2"), ab("r2", "x", "y", "same")]
    out = analyse(ratings, [], {}, ["x", "y"])
    p = out.preference("x", "y", "similar")
    assert p.rate == pytest.approx((1 + 0 + 0.5) / 3) and p.n == 3 and p.ties == 1
    q = out.preference("y", "x", "similar")
    assert q.rate == pytest.approx(1 - p.rate) and q.ci_low == pytest.approx(1 - p.ci_high)


def test_few_answers_all_alike_keep_an_honest_interval():
    """Five answers for x out of five: the bootstrap alone would say [100 %, 100 %]; Wilson's interval
    for 5 of 5 is [56.6 %, 100 %]. With many mixed answers the bootstrap's (wider) interval stands."""
    out = analyse([ab("r1", "x", "y", "a", prompt=f"p{k}") for k in range(5)], [], {}, ["x", "y"])
    p = out.preference("x", "y", "similar")
    assert p.rate == 1 and p.ci_high == 1 and p.ci_low == pytest.approx(0.5655, abs=1e-3)
    ratings = [ab(f"r{k % 3}", "x", "y", "a" if k % 4 else "b", prompt=f"p{k % 7}", trial=k) for k in range(60)]
    many = analyse(ratings, [], {}, ["x", "y"]).preference("x", "y", "similar")
    assert many.ci_low < 0.75 < many.ci_high and many.ci_high - many.ci_low < 0.5


@pytest.mark.parametrize(
    "wins,expected",
    [
        ({("a", "b"): 8, ("b", "a"): 2, ("b", "c"): 8, ("c", "b"): 2, ("a", "c"): 9, ("c", "a"): 1}, ["a", "b", "c"]),
        ({("c", "a"): 7, ("a", "c"): 3, ("c", "b"): 6, ("b", "c"): 4, ("b", "a"): 6, ("a", "b"): 4}, ["c", "b", "a"]),
    ],
)
def test_bradley_terry_ranks_known_preferences(wins, expected):
    ratings = [ab("r", w, lose, "a", prompt=f"p{k}") for (w, lose), n in wins.items() for k in range(n)]
    ranking = bradley_terry(ratings, "similar", ["a", "b", "c"])
    assert [r.row for r in ranking] == expected and [r.rank for r in ranking] == [1, 2, 3]
    assert sum(r.strength for r in ranking) == pytest.approx(0, abs=1e-9)


def test_bradley_terry_matches_the_two_player_closed_form():
    ratings = [ab("r", "a", "b", "a", prompt=f"p{k}") for k in range(3)] + [ab("r", "a", "b", "b", prompt="q")]
    s = {r.row: r.strength for r in bradley_terry(ratings, "similar", ["a", "b"])}
    assert s["a"] - s["b"] == pytest.approx(np.log(3.1 / 1.1), rel=1e-6)  # with the 0.1 pseudo-wins


def test_krippendorff_alpha():
    assert krippendorff([["x", "x"], ["y", "y"], ["x", "x"]], interval=False).alpha == pytest.approx(1.0)
    disagree = krippendorff([["x", "y"], ["y", "x"], ["x", "y"]], interval=False).alpha
    assert disagree < 0
    # the textbook interval case: perfect agreement up to no variation within units
    assert krippendorff([[1, 1], [3, 3], [5, 5]], interval=True).alpha == pytest.approx(1.0)
    assert krippendorff([[1, 5], [5, 1]], interval=True).alpha < 0
    assert krippendorff([["x"]], interval=False).alpha is None


def test_mos_and_its_bootstrap_interval():
    ratings = [
        Rating(f"r{i}", "mos", k, [["x", f"p{k}", 0]], {"natural": 3 + (i + k) % 2}) for i in range(4) for k in range(6)
    ]
    out = analyse(ratings, [], {}, ["x"])
    (row,) = out.mos
    assert row.row == "x" and row.mean == pytest.approx(3.5) and row.n == 24 and row.raters == 4
    assert row.ci_low < 3.5 < row.ci_high and row.ci_high - row.ci_low < 1


def test_attention_checks_flag_a_rater_and_keep_their_answers():
    ratings = [
        ab("good", "x", "x", "same", "same", check="identical"),
        ab("good", "ground_truth", "impostor", "a", check="anchors"),
        ab("bad", "x", "x", "a", "same", check="identical"),
        ab("bad", "impostor", "ground_truth", "a", check="anchors"),
        ab("bad", "x", "y", "a"),
    ]
    by = {r.rater: r for r in rater_checks(ratings)}
    assert by["good"].checks == 2 and by["good"].failed_checks == 0 and not by["good"].flagged
    assert by["bad"].failed_checks == 2 and by["bad"].flagged and by["bad"].answers == 3
    out = analyse(ratings, [], {}, ["x", "y", "ground_truth", "impostor"])
    assert out.preference("x", "y", "similar").n == 1  # the flagged rater still counts
    assert out.preference("ground_truth", "impostor", "similar").rate == pytest.approx(0.5)
    assert all(p.a != p.b for p in out.preferences)  # an identical pair is no opinion of a row


def test_mos_repeat_check():
    first = Rating("r", "mos", 0, [["x", "p", 0]], {"natural": 5})
    again = Rating("r", "mos", 1, [["x", "p", 0]], {"natural": 1}, "identical")
    close = Rating("s", "mos", 1, [["x", "p", 0]], {"natural": 4}, "identical")
    s_first = Rating("s", "mos", 0, [["x", "p", 0]], {"natural": 5})
    by = {r.rater: r for r in rater_checks([first, again, s_first, close])}
    assert by["r"].flagged and not by["s"].flagged


def test_metric_agreement_signs_and_spearman():
    metrics = {
        "speaker_sim": Metric("speaker_sim", better="higher"),
        "wer": Metric("wer", better="lower"),
        "duration": Metric("duration", better=""),
    }
    sim = {"x": 0.9, "y": 0.5, "z": 0.1}
    wer = {"x": 0.5, "y": 0.1, "z": 0.0}  # lower is better: disagrees with the listeners below
    scores = [Score(v, f"p{k}", 0, "speaker_sim", sim[v], {}, "s") for v in sim for k in range(3)]
    scores += [Score(v, f"p{k}", 0, "wer", wer[v], {}, "w") for v in wer for k in range(3)]
    ratings = [
        ab("r", "x", "y", "a", prompt="p0"),
        ab("r", "z", "y", "b", prompt="p1"),
        ab("r", "x", "z", "a", prompt="p2"),
    ]
    ratings += [
        Rating("r", "smos", k, [[v, f"p{k}", 0]], {"similar": {"x": 5, "y": 3, "z": 1}[v]})
        for k in range(3)
        for v in sim
    ]
    found = {(m.metric, m.question): m for m in analyse(ratings, scores, metrics, ["x", "y", "z"]).metric_agreement}
    assert found[("speaker_sim", "similar")].sign_agreement == 1.0 and found[("speaker_sim", "similar")].n_pairs == 3
    assert found[("speaker_sim", "similar")].spearman == pytest.approx(1.0)
    assert found[("wer", "similar")].sign_agreement == 0.0 and found[("wer", "similar")].spearman == pytest.approx(-1.0)
    assert not any(k[0] == "duration" for k in found)  # no direction: nothing to agree with


def test_all_ties_rank_everyone_first():
    ratings = [ab("r", "x", "y", "same", prompt="p1"), ab("r", "y", "z", "same"), ab("r", "x", "z", "same")]
    assert [r.rank for r in bradley_terry(ratings, "similar", ["x", "y", "z"])] == [1, 1, 1]
