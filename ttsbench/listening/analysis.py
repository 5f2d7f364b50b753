"""What the listeners said: the analysis of `ratings.jsonl` (pure functions over the records).

- `mos` / `smos`: per row, the mean naturalness / similarity opinion (1–5) with a 95 % bootstrap
  interval that resamples raters and prompts (both are samples of what we want to generalise to);
- `preferences`: per pair of rows and question (`similar`: more like the reference voice,
  `natural`), how often the first row was preferred ("no preference" counts half), same interval,
  widened where it is narrower to Wilson's score interval for that many answers (five answers all
  alike bootstrap to [100 %, 100 %]; Wilson says [57 %, 100 %]);
- `ranking`: a Bradley–Terry strength per row and question (ties as half a win each way);
- `agreement`: Krippendorff's alpha between raters (nominal for A/B answers, interval for 1–5);
- `metric_agreement`: for each automatic metric with a direction, how often its better sample is
  the one the listeners preferred (sign agreement on A/B pairs that both were decided on), and
  Spearman's rho between it and the per-sample opinion scores;
- `raters`: answers and attention checks per rater; a rater who failed a check is flagged (and kept).

Attention checks are not opinions of a row: an identical pair or a repeated sample is left out of
the preferences and means; the real-against-impostor pair stays in (it is a real comparison).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ttsbench.benchmark.plan import anchor_rows
from ttsbench.benchmark.records import (
    LISTEN_MODES,
    Agreement,
    ListenerSummary,
    MetricAgreement,
    Opinion,
    Preference,
    Ranked,
    RaterCheck,
    Rating,
    RunSummary,
)
from ttsbench.benchmark.store import RunStore

RESAMPLES = 2000
OPINION = {"natural": "mos", "similar": "smos"}  # question → the mode whose 1–5 scores answer it


def summary_of(store: RunStore, summary: RunSummary | None = None) -> ListenerSummary | None:
    """What the listeners of a run said, computed from its ratings.jsonl now (None before any answer).
    `summary`: the run's summary, for the metrics whose agreement with the listeners is shown."""
    ratings = store.ratings()
    if not ratings:
        return None
    run = store.run()
    rows = run.rows if run else sorted({k[0] for r in ratings for k in r.keys})
    return analyse(ratings, store.current_scores(), summary.metrics if summary else {}, rows)


def analyse(ratings: list[Rating], scores: list, metrics: dict, rows: list[str], seed: int = 0) -> ListenerSummary:
    """The listeners' figures (see the module doc); rows in `rows` order first."""
    order = list(rows) + sorted({k[0] for r in ratings for k in r.keys} - set(rows))
    rng = np.random.default_rng(seed)
    opinions = {
        mode: tuple(
            opinion(ratings, mode, question, row, rng)
            for row in order
            if any(r.mode == mode and not r.check and r.keys[0][0] == row for r in ratings)
        )
        for mode, question in (("mos", "natural"), ("smos", "similar"))
    }
    return ListenerSummary(
        n_ratings=len(ratings),
        mos=opinions["mos"],
        smos=opinions["smos"],
        preferences=tuple(preferences(ratings, order, rng)),
        ranking={
            q: tuple(bradley_terry(ratings, q, order))
            for q in LISTEN_MODES["ab"]
            if any(r.mode == "ab" and q in r.answer for r in ratings)
        },
        agreement={
            f"{mode}.{q}": krippendorff(_units(ratings, mode, q), mode != "ab")
            for mode, qs in LISTEN_MODES.items()
            for q in qs
            if any(r.mode == mode for r in ratings)
        },
        metric_agreement=tuple(metric_agreement(ratings, scores, metrics)),
        raters=tuple(rater_checks(ratings)),
    )


def _clean(ratings: list[Rating], mode: str, question: str) -> list[Rating]:
    return [r for r in ratings if r.mode == mode and question in r.answer and r.check != "identical"]


def _bootstrap(raters: list[str], prompts: list[str], values: np.ndarray, rng, resamples: int = RESAMPLES):
    """(mean, ci_low, ci_high) of `values`, resampling raters and prompts with replacement."""
    mean = float(values.mean())
    ur, up = sorted(set(raters)), sorted(set(prompts))
    if len(values) < 2:
        return mean, None, None
    ri = np.array([ur.index(r) for r in raters])
    pi = np.array([up.index(p) for p in prompts])
    wr = rng.multinomial(len(ur), [1 / len(ur)] * len(ur), size=resamples)[:, ri]
    wp = rng.multinomial(len(up), [1 / len(up)] * len(up), size=resamples)[:, pi]
    w = wr * wp
    total = w.sum(axis=1)
    means = (w * values).sum(axis=1)[total > 0] / total[total > 0]
    low, high = np.percentile(means, [2.5, 97.5])
    return mean, float(low), float(high)


def opinion(ratings: list[Rating], mode: str, question: str, row: str, rng) -> Opinion:
    mine = [r for r in ratings if r.mode == mode and not r.check and question in r.answer and r.keys[0][0] == row]
    values = np.array([float(r.answer[question]) for r in mine])
    mean, low, high = _bootstrap([r.rater for r in mine], [r.keys[0][1] for r in mine], values, rng)
    return Opinion(row, mean, low, high, len(mine), len({r.rater for r in mine}))


def _outcome(r: Rating, question: str, first: str) -> float:
    """1 when the row `first` won, 0 when it lost, 0.5 for no preference."""
    answer = r.answer[question]
    if answer == "same":
        return 0.5
    winner = r.keys[0][0] if answer == "a" else r.keys[1][0]
    return 1.0 if winner == first else 0.0


def preferences(ratings: list[Rating], order: list[str], rng) -> list[Preference]:
    out = []
    for question in LISTEN_MODES["ab"]:
        answered = _clean(ratings, "ab", question)
        for a, b in combinations(order, 2):
            mine = [r for r in answered if {r.keys[0][0], r.keys[1][0]} == {a, b}]
            if not mine:
                continue
            values = np.array([_outcome(r, question, a) for r in mine])
            rate, low, high = _bootstrap([r.rater for r in mine], [r.keys[0][1] for r in mine], values, rng)
            w_low, w_high = wilson(rate, len(mine))
            low, high = min(w_low, low if low is not None else 1.0), max(w_high, high if high is not None else 0.0)
            out.append(Preference(a, b, question, rate, low, high, len(mine), int(np.sum(values == 0.5))))
    return out


def wilson(rate: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's 95 % score interval for a proportion `rate` of `n` answers."""
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def bradley_terry(ratings: list[Rating], question: str, order: list[str], iterations: int = 500) -> list[Ranked]:
    """Rows by Bradley–Terry strength (log scale, mean 0), from A/B answers; ties are half a win each.
    A pseudo-count of 0.1 win each way on every pair that met keeps a row that never won finite."""
    wins: dict[tuple[str, str], float] = {}
    for r in _clean(ratings, "ab", question):
        a, b = r.keys[0][0], r.keys[1][0]
        if a == b:
            continue
        o = _outcome(r, question, a)
        wins[(a, b)] = wins.get((a, b), 0.1) + o
        wins[(b, a)] = wins.get((b, a), 0.1) + 1 - o
    names = [n for n in order if any(n in k for k in wins)]
    if len(names) < 2:
        return []
    idx = {n: i for i, n in enumerate(names)}
    w = np.zeros((len(names), len(names)))
    for (a, b), v in wins.items():
        w[idx[a], idx[b]] = v
    games = w + w.T
    p = np.ones(len(names))
    for _ in range(iterations):  # Hunter's MM updates
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        p = w.sum(axis=1) / np.where(denom > 0, denom, 1)
        p = p / np.exp(np.mean(np.log(p)))
    strength = np.log(p)
    ranked = sorted(zip(names, strength, strict=False), key=lambda t: -t[1])
    # rows of equal strength share a rank (all answers "no preference": everyone is first)
    return [Ranked(n, float(s), 1 + sum(1 for _, t in ranked if t > s + 1e-6)) for n, s in ranked]


def _units(ratings: list[Rating], mode: str, question: str) -> list[list]:
    """The answers given to one item (the same samples and question) by different raters."""
    units: dict[tuple, dict[str, object]] = {}
    for r in _clean(ratings, mode, question):
        if mode == "ab":
            first, second = sorted([r.keys[0], r.keys[1]])
            answer = r.answer[question]
            value = (
                "same"
                if answer == "same"
                else ("first" if (r.keys[0] if answer == "a" else r.keys[1]) == first else "second")
            )
            units.setdefault((first, second), {})[r.rater] = value
        else:
            units.setdefault(tuple(r.keys[0]), {})[r.rater] = float(r.answer[question])
    return [list(u.values()) for u in units.values()]


def krippendorff(units: list[list], interval: bool) -> Agreement:
    """Krippendorff's alpha over units rated by two or more raters (nominal, or interval for 1–5)."""
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    if n < 3:
        return Agreement(None, len(units))

    def delta(x, y):
        return (x - y) ** 2 if interval else float(x != y)

    observed = (
        sum(sum(delta(x, y) for i, x in enumerate(u) for j, y in enumerate(u) if i != j) / (len(u) - 1) for u in units)
        / n
    )
    if interval:
        v = np.array(values, float)
        expected = float(((v[:, None] - v[None, :]) ** 2).sum()) / (n * (n - 1))
    else:
        counts = np.unique(np.array(values, object).astype(str), return_counts=True)[1]
        expected = float(n * n - (counts**2).sum()) / (n * (n - 1))
    return Agreement(None if expected == 0 else float(1 - observed / expected), len(units))


def metric_agreement(ratings: list[Rating], scores: list, metrics: dict) -> list[MetricAgreement]:
    """For each per-sample metric with a direction and each question: sign agreement with the A/B
    answers that preferred one sample, and Spearman's rho with the per-sample opinion scores."""
    from scipy.stats import spearmanr

    values: dict[tuple, dict[str, float]] = {}
    for s in scores:
        if s.value is not None and np.isfinite(s.value):
            values.setdefault((s.variant, s.prompt_id, s.seed), {})[s.metric] = float(s.value)
    out = []
    for name, m in metrics.items():
        if m.better not in ("higher", "lower") or m.of:
            continue
        sign = 1.0 if m.better == "higher" else -1.0
        for question in LISTEN_MODES["ab"]:
            agree = pairs = 0
            for r in _clean(ratings, "ab", question):
                if r.answer[question] == "same":
                    continue
                va, vb = (values.get(k, {}).get(name) for k in r.keys[:2])
                if va is None or vb is None or va == vb:
                    continue
                pairs += 1
                agree += (sign * (va - vb) > 0) == (r.answer[question] == "a")
            per_sample: dict[tuple, list[float]] = {}
            for r in _clean(ratings, OPINION[question], question):
                if r.check:
                    continue
                per_sample.setdefault(r.keys[0], []).append(float(r.answer[question]))
            both = [(np.mean(v), values[k][name]) for k, v in per_sample.items() if name in values.get(k, {})]
            rho = None
            if len(both) >= 3 and len({b for _, b in both}) > 1 and len({a for a, _ in both}) > 1:
                rho = float(spearmanr([a for a, _ in both], [sign * b for _, b in both]).statistic)
            if pairs or rho is not None:
                out.append(MetricAgreement(name, question, agree / pairs if pairs else None, pairs, rho, len(both)))
    return out


def check_failed(r: Rating, earlier: dict) -> bool | None:
    """Whether an attention-check answer failed (None: not a check). `earlier`: the rater's
    answers by (mode, sample key), for a repeated sample."""
    if r.check == "identical" and r.mode == "ab":
        return any(v != "same" for v in r.answer.values())  # one sample twice: no preference is the answer
    if r.check == "identical":  # a sample rated again: more than one step apart fails
        first = earlier.get((r.mode, r.keys[0]))
        return first is not None and any(abs(float(v) - float(first.answer.get(q, v))) > 1 for q, v in r.answer.items())
    if r.check == "anchors":  # the real speaker against the impostor: "more like the reference" must be real
        choice = r.answer.get("similar")
        ceiling, _ = anchor_rows([k[0] for k in r.keys])
        return choice is not None and choice != "same" and r.keys[0 if choice == "a" else 1][0] != ceiling
    return None


def rater_checks(ratings: list[Rating]) -> list[RaterCheck]:
    out = []
    for rater in sorted({r.rater for r in ratings}):
        earlier: dict = {}
        checks = failed = 0
        for r in (r for r in ratings if r.rater == rater):
            verdict = check_failed(r, earlier)
            if verdict is not None:
                checks += 1
                failed += verdict
            if not r.check:
                earlier.setdefault((r.mode, r.keys[0]), r)
        mine = [r for r in ratings if r.rater == rater]
        out.append(RaterCheck(rater, len(mine), sorted({r.mode for r in mine}), checks, failed, failed > 0))
    return out
