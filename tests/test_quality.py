"""The quality scorer (DNSMOS, Distill-MOS) on real speech, its bad inputs, and the declared-metrics
path: a scorer added as one file and one registry line reaches summaries, the headline, gates,
comparisons in words and the report's charts without anything else knowing it."""

import numpy as np
import pytest

from ttsbench.benchmark.scorers import Item, load_scorer
from ttsbench.dataprep.audio import AUDIO_SUFFIXES, load_audio


@pytest.fixture(scope="module")
def scorer():
    return load_scorer("quality", {}, None)


def _noisy(audio, snr_db, rng):
    noise = rng.normal(0, 1, len(audio)).astype(np.float32)
    noise *= np.sqrt(np.mean(audio**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    return np.clip(audio + noise, -1, 1)


def test_predicted_quality_falls_as_white_noise_rises_on_real_speech(realspeech, scorer):
    files = sorted(p for p in (realspeech / "ljspeech").rglob("*") if p.suffix in AUDIO_SUFFIXES)[:3]
    clean = [load_audio(p, 16000) for p in files]
    rng = np.random.default_rng(0)
    means = {}
    for snr in (None, 20, 0):
        out = scorer.score([Item(a if snr is None else _noisy(a, snr, rng), 16000, "x") for a in clean])
        means[snr] = {v.metric: np.mean([o[k].value for o in out]) for k, v in enumerate(out[0])}
    for metric in ("dnsmos_ovrl", "dnsmos_bak", "dnsmos_p808", "distill_mos"):
        assert means[None][metric] > means[20][metric] > means[0][metric], (metric, means)
    assert 2.5 < means[None]["dnsmos_ovrl"] < 4.5 and 3.0 < means[None]["distill_mos"] <= 5.0


@pytest.mark.parametrize(
    "audio,reason",
    [
        (np.full(8000, 0.1, np.float32), "shorter than 1 s"),
        (np.zeros(32000, np.float32), "silent"),
        (np.array([0.1, np.nan] * 16000, np.float32), "non-finite"),
    ],
)
def test_bad_audio_is_a_failed_score_with_its_reason(scorer, audio, reason):
    values = scorer.score([Item(audio, 16000, "x")])[0]
    assert [v.metric for v in values] == list(scorer.metrics_for(scorer.settings))
    assert all(v.value is None and reason in v.detail["error"] for v in values)


def test_8_khz_and_clipped_input_are_scored(scorer):
    t = np.arange(8000 * 3) / 8000
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    values = scorer.score([Item(tone, 8000, "x"), Item(np.clip(4 * tone, -1, 1), 8000, "x")])
    assert all(v.value is not None and 1 <= v.value <= 5.5 for row in values for v in row)


def test_a_new_scorer_reaches_summaries_gates_comparisons_and_charts_by_its_declarations(voice_dataset, tmp_path):
    import yaml

    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import load_suite
    from ttsbench.reports.html import build_report
    from ttsbench.gates.gates import check, parse_gate

    path = tmp_path / "q.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "q",
                "model": {"backend": "fake"},
                "dataset": str(voice_dataset),
                "prompts": ["One sentence to say.", "And another one here."],
                "seeds": 1,
                "variants": [],
                "anchors": ["ground_truth", "impostor"],
                "scorers": {"quality": {"predictors": ["distillmos"]}, "signal": {}},
            }
        )
    )
    suite = load_suite(path)
    summary = run_suite(suite, tmp_path / "run", progress=False).summary
    cols, _ = summary.headline()
    assert "distill_mos" in cols and "dnsmos_ovrl" not in cols  # only the chosen predictor
    assert summary.metric("distill_mos").better == "higher" and summary.metric("distill_mos").scorer == "quality"
    c = summary.comparison("ground_truth", "impostor", ("distill_mos",))
    assert c is not None and c.difference is not None
    gate = parse_gate("ground_truth.distill_mos >= 1", suite, "q.yaml")
    assert check(gate, tmp_path / "run", suite).passed
    html = build_report([tmp_path / "run"], tmp_path / "r.html").path.read_text()
    assert "predicted more natural (Distill-MOS)" in html or "predicted less natural (Distill-MOS)" in html


def test_every_declared_metric_is_well_formed():
    from ttsbench.benchmark.scorers import SCORERS, declared, scorer_class

    table = declared(SCORERS)
    for m in table.values():
        assert m.better in ("higher", "lower", "") and m.summary in ("mean", "micro", "rate"), m
        assert not m.words or (len(m.words) == 4 and isinstance(m.words[2], float)), m
        assert not m.merge_words or (len(m.merge_words) == 4 and isinstance(m.merge_words[2], float)), m
        assert not m.chart or len(m.chart) == 2, m
        assert not m.of or table[m.of].of == "", m  # a summary of a per-sample metric of the same scorer
        assert m.summary != "micro" or (m.micro[0] and m.micro[1]), m
        assert m.summary != "rate" or m.threshold is not None, m
        assert m.cell in ("", "value", "transcript") and m.role in ("", "voice", "intelligibility"), m
    for role in ("voice", "intelligibility"):  # the report's verdict reads one of each
        assert sum(m.role == role for m in table.values()) == 1, role
    for name in SCORERS:  # names are unique across scorers
        assert all(table[m.name].scorer == name for m in scorer_class(name).declares)


def test_utmos_loads_from_the_hub_cache_like_ecapa(tmp_path, monkeypatch):
    """UTMOS is opt-in and not embedded: a random `utmos.jit` in the Hub cache's layout is loaded
    through the same code as the real file, labelled as random, and its absence is one line."""
    from standins import utmos

    from ttsbench.benchmark.scorers import scorer_class
    from ttsbench.core.errors import UserError

    cls = scorer_class("quality")
    settings = cls.resolve({"predictors": ["utmos"]})
    import huggingface_hub.constants as hub  # read when a file is looked up (the env var only at import)

    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "empty"))
    ok, what, fetch = cls.availability(settings)
    assert not ok and "utmos.jit" in what and "hf download balacoon/utmos utmos.jit" in fetch
    with pytest.raises(UserError, match="hf download balacoon/utmos utmos.jit"):
        load_scorer("quality", {"predictors": ["utmos"]})

    utmos(tmp_path / "hub")
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert cls.availability(settings)[0] and cls.describe(settings) == "random UTMOS — pipeline check only"
    assert cls.metrics_for(settings) == ("utmos",) and "utmos" not in cls.metrics_for(cls.resolve({}))
    scorer = load_scorer("quality", {"predictors": ["utmos"]})
    rng = np.random.default_rng(0)
    loud, quiet = rng.normal(0, 0.3, 32000).astype(np.float32), rng.normal(0, 0.01, 32000).astype(np.float32)
    (a,), (b,), (short,) = scorer.score(
        [Item(loud, 16000, "x"), Item(quiet, 16000, "x"), Item(loud[:8000], 16000, "x")]
    )
    assert a.metric == "utmos" and 1 <= a.value <= 5 and a.value != b.value
    assert short.value is None and "shorter than 1 s" in short.detail["error"]
