"""The Python API: one import, a function per stage returning its record, every table a DataFrame, every chart a
figure, players inline — and the command line a thin layer that calls these same functions."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

import ttsbench as tb
from ttsbench import api


def test_importing_ttsbench_loads_nothing_heavy_and_no_subpackage_shadows_a_function():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ttsbench as tb; tb.Suite; tb.load; "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    import pkgutil
    import importlib

    for module in pkgutil.walk_packages(tb.__path__, "ttsbench."):  # every subpackage imported: tb.x stays the API's
        importlib.import_module(module.name)
    for name in tb.__all__:
        assert getattr(tb, name) is (getattr(api, name) if name != "Suite" else tb.Suite), name
    assert callable(tb.finetune) and callable(tb.bench)


def test_prepare_and_finetune_take_the_commands_settings_flat():
    options = api.prepare_options(
        "out",
        asr="small.en",
        beam_size=3,
        vad=False,
        max_seconds=20,
        margin=0.1,
        seed=4,
        eval_fraction=0.2,
        corrections="names.yaml",
        speaker=2,
    )
    assert (options.asr.model, options.asr.beam_size, options.asr.vad) == ("small.en", 3, False)
    assert (options.chunk.max_seconds, options.chunk.margin, options.split.seed, options.split.eval_fraction) == (
        20,
        0.1,
        4,
        0.2,
    )
    assert str(options.corrections) == "names.yaml" and options.speaker == 2
    assert api.prepare_options("out").asr.vad  # the command's default (VAD on), not AsrOptions' own
    with pytest.raises(tb.api.UserError, match="unknown setting.*colour"):
        api.prepare_options("out", colour="blue")
    options = api.finetune_options(max_steps=60, learning_rate=1e-4)
    assert (options.max_steps, options.learning_rate, options.r) == (60, 1e-4, None)  # r: the family's, at training


@pytest.fixture(scope="module")
def run(tiny_run):
    suite = yaml.safe_load((tiny_run.parent / "tiny.yaml").read_text())
    suite["gates"] = ["ground_truth.speaker_sim - impostor.speaker_sim >= 0.1", "*.failed <= 0", "base.wer <= -1"]
    return tb.open_run(tiny_run, suite=suite)


def test_a_run_reads_as_dataframes(run):
    summary = run.summary()
    assert list(summary.columns) == ["variant", "metric", "mean", "ci_low", "ci_high", "n", "n_failed"]
    assert summary.attrs["label"].startswith("tiny random model")
    assert {"base", "cloned", "finetuned", "finetuned_cloned", "ground_truth", "impostor"} <= set(summary["variant"])
    headline = run.headline()
    assert "speaker_sim" in headline.columns and "speaker_sim_low" in headline.columns and len(headline) == 6
    scores = run.scores()
    wer = scores[scores["metric"] == "wer"]
    assert len(wer) and wer["transcript"].notna().all() and {"ref_norm", "hyp_norm", "audio"} <= set(scores.columns)
    assert len(run.samples()) == sum(run.results().samples[r].n for r in run.results().rows)
    pair = run.compare("finetuned_cloned", "base")
    assert {"speaker_sim", "wer"} <= set(pair["metric"]) and pair["text"].str.contains(" base").all()
    with pytest.raises(tb.api.UserError, match="'nobody' is not a row"):
        run.compare("nobody", "base")
    everything = run.comparisons()
    assert everything["lead"].any() and not everything["lead"].all()


def test_the_answer_first_in_numbers_and_as_the_reports_table(run):
    answer = run.answer()
    frame = answer.frame()
    assert [tuple(r) for r in frame[["variant", "against"]].values] == [
        ("cloned", "base"),
        ("finetuned", "base"),
        ("finetuned", "cloned"),
        ("finetuned_cloned", "base"),
        ("finetuned_cloned", "cloned"),
    ]
    assert {"speaker_sim", "speaker_sim_low", "speaker_sim_high", "speaker_sim_clear"} <= set(frame.columns)
    c = run.compare("finetuned", "cloned").set_index("metric").loc["speaker_sim"]
    row = frame[(frame["variant"] == "finetuned") & (frame["against"] == "cloned")].iloc[0]
    assert row["speaker_sim"] == pytest.approx(c["difference"])  # the same comparison the summary holds
    html = answer._repr_html_()
    assert 'class="verdict"' in html and "tiny random model" in answer.verdict and '<table class="answer"' in html


def test_figures_players_gates_and_the_report(run, tmp_path):
    from ttsbench.reports.html import metric_charts

    figures = run.figures()
    assert {"speaker_sim", "wer_micro", "loss"} <= set(figures)
    assert all(f._repr_svg_().startswith("<svg") for f in figures.values())  # shown inline by Jupyter
    title = re.search(r'class="title">([^<]*)<', figures["speaker_sim"].svg).group(1)
    assert "tiny random model" in title  # a stand-in's number is labelled where it is drawn
    # the report's chart and the notebook's are one drawing
    assert figures["speaker_sim"].svg == metric_charts(run.results(), run.label)["speaker_sim"]
    assert (tmp_path / "sim.svg") == figures["speaker_sim"].save(tmp_path / "sim.svg")
    player = run.listen("finetuned_cloned")
    assert "<audio" in player.data and "finetuned_cloned" in player.data
    assert run.side_by_side(limit=1).data.count("<audio") >= 4 + 2  # each variant, each seed, and the references
    with pytest.raises(tb.api.UserError, match="no audio for 'finetuned'"):
        run.listen("finetuned", prompt="no-such-prompt")
    gates = run.gates()
    assert list(gates.columns) == ["gate", "passed", "message"] and list(gates["passed"]) == [True, True, False]
    assert "needs <= -1" in gates["message"].iloc[2]
    result = tb.report(run, tmp_path / "r.html")
    assert result.audio_elements > 0 and 'class="verdict"' in result.path.read_text()


def test_a_bench_from_a_mapping(voice_dataset, tmp_path):
    out = tb.bench(
        {
            "name": "mapped",
            "model": {"backend": "noise"},
            "dataset": str(voice_dataset),
            "prompts": ["One.", "Two, three."],
            "seeds": 1,
            "variants": ["base", "cloned"],
            "anchors": [],
            "scorers": {"signal": {}},
        },
        out=tmp_path / "run",
        progress=False,
    )
    assert out.generated == 4 and out.results().samples["cloned"].n == 2
    assert tb.open_run(tmp_path / "run").record.plan.name == "mapped"


@pytest.mark.parametrize(
    "argv, function, expected",
    [
        (["bench", "s.yaml", "--out", "o", "--quiet"], "bench", {"progress": False}),
        (
            ["finetune", "d", "--base", "b", "--out", "o", "--max-steps", "7", "--r", "8"],
            "finetune",
            {"max_steps": 7, "r": 8},
        ),
        (
            ["prepare", "a.wav", "--out", "o", "--asr", "small.en", "--no-vad", "--max-seconds", "20"],
            "prepare",
            {"model": "small.en", "vad": False, "max_seconds": 20.0},
        ),
        (["report", "r", "-o", "x.html"], "report", {}),
        (["sweep", "s.yaml", "--sizes", "2,4", "--seeds", "0"], "sweep", {}),
        (["tiny-model", "--family", "orpheus", "--out", "m"], "tiny_model", {}),
        (["synth-voice", "--out", "v.wav", "--minutes", "1"], "synth_voice", {}),
    ],
)
def test_every_command_is_the_api_function_it_names(monkeypatch, argv, function, expected):
    """No second path: each command hands its flags to the API function and prints what it returns."""
    from ttsbench import cli

    seen = {}

    def fake(*args, **kwargs):
        seen.update(args=args, kwargs=kwargs)
        raise tb.api.UserError("stop here")

    monkeypatch.setattr(api, function, fake)
    assert cli.main(argv) == 2 and seen, argv
    assert expected.items() <= seen["kwargs"].items(), seen
