"""`ttsbench sweep`: nested data sizes, resumable points, the fit, and the Ray executor."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest
import yaml

from ttsbench.benchmark.suite import load_suite
from ttsbench.benchmark.sweep import SweepError, fit_curve, sweep

pytestmark = pytest.mark.slow


@pytest.fixture()
def sweep_suite(tiny_csm, voice_dataset, tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "sw",
                "model": {"backend": "csm", "checkpoint": str(tiny_csm)},
                "dataset": str(voice_dataset),
                "finetune": {"max_steps": 2, "per_device_batch_size": 2, "gradient_accumulation_steps": 1},
                "prompts": ["First prompt here.", "And a second one."],
                "seeds": 1,
                "variants": ["base", "finetuned"],
                "anchors": [],
                "scorers": {"speaker_sim": {}, "signal": {}},
                "generation": {"max_seconds": 2.0},
                "target": {"speaker_sim": 0.9},
            }
        )
    )
    return load_suite(path)


def test_sweep_writes_the_curve_and_resumes(sweep_suite, tmp_path):
    out = tmp_path / "sweep"
    first = sweep(sweep_suite, [2, 4], [0], out, progress=False)
    assert sorted(first.computed) == ["baseline", "rows2-seed0", "rows4-seed0"]
    with open(out / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["rows"], r["variant"]) for r in rows if r["metric"] == "speaker_sim"} == {
        ("0", "base"),
        ("2", "finetuned"),
        ("4", "finetuned"),
    }
    used = {
        n: json.loads((out / f"rows{n}-seed0" / "finetune" / "finetune.json").read_text())["rows"]["clip_ids"]
        for n in (2, 4)
    }
    assert set(used[2]) < set(used[4])  # nested subsets
    from ttsbench.benchmark.records import SweepRecord

    record = SweepRecord.read(out)
    assert first.label == record.label == "tiny random model — pipeline check only"
    assert "do not support a saturating fit" in record.fit["finetuned"]["text"]
    from ttsbench.reports.html import build_report

    html = build_report([out], out / "report.html").path.read_text()
    assert "Similarity vs training rows" in html and "rows2-seed0" in html
    again = sweep(sweep_suite, [2, 4], [0], out, progress=False)
    assert again.computed == [] and again.curve == first.curve
    # a point whose scores were cut mid-write (a kill) is not finished: it is scored again, not plotted short
    scores = out / "rows2-seed0" / "scores.jsonl"
    scores.write_bytes(scores.read_bytes()[:-40])
    mended = sweep(sweep_suite, [2, 4], [0], out, progress=False)
    assert mended.computed == ["rows2-seed0"] and mended.curve == first.curve
    # a point made with other scorers is not this suite's: run again (here: one scorer fewer, nothing to score)
    fewer = dataclasses.replace(sweep_suite, scorers={"speaker_sim": sweep_suite.scorers["speaker_sim"]})
    changed = sweep(fewer, [2, 4], [0], out, progress=False)
    assert sorted(changed.computed) == ["baseline", "rows2-seed0", "rows4-seed0"]
    assert [r for r in changed.curve if r["metric"] == "speaker_sim"] == [
        r for r in first.curve if r["metric"] == "speaker_sim"
    ]


def test_sizes_larger_than_the_train_split_are_refused(sweep_suite, tmp_path):
    with pytest.raises(SweepError, match=r"the train split of .* has only \d+ rows"):
        sweep(sweep_suite, [2, 100000], [0], tmp_path / "x", progress=False)


def test_sweep_on_a_local_ray(sweep_suite, tmp_path):
    pytest.importorskip("ray")
    import ray

    try:
        result = sweep(sweep_suite, [2], [1], tmp_path / "ray", executor="ray", progress=False)
    finally:
        ray.shutdown()
    assert sorted(result.computed) == ["baseline", "rows2-seed1"]
    assert (tmp_path / "ray" / "rows2-seed1" / "finetune" / "adapter_config.json").is_file()
    assert json.loads((tmp_path / "ray" / "sweep.json").read_text())["executor"] == "ray"


def test_fit_estimates_rows_for_a_target_and_says_when_it_cannot():
    sizes = [10, 25, 50, 100, 200]
    points = [(n, 0.8 - 0.5 * np.exp(-n / 40)) for n in sizes]
    fit = fit_curve(points, 0.75)
    assert fit["ok"] and abs(fit["top"] - 0.8) < 0.01
    assert abs(fit["rows_for_target"] - 40 * np.log(10)) < 5  # 0.8 − 0.5·e^(−n/40) = 0.75 at n ≈ 92
    assert "above the plateau" in fit_curve(points, 0.9)["text"]
    assert "reached already" in fit_curve(points, 0.4)["text"]
    assert "do not support" in fit_curve(points[:3], 0.75)["text"]


def test_steps_sweep_benches_the_checkpoints_of_one_fine_tune(sweep_suite, tmp_path):
    from ttsbench.benchmark.records import SweepRecord
    from ttsbench.benchmark.sweep import sweep_steps
    from ttsbench.models.records import FinetuneRecord
    from ttsbench.reports.html import build_report

    suite = dataclasses.replace(
        sweep_suite,
        finetune=dataclasses.replace(
            sweep_suite.finetune, options=dataclasses.replace(sweep_suite.finetune.options, max_steps=4)
        ),
        limits={"speaker_sim": -1.0},
    )
    out = tmp_path / "steps"
    result = sweep_steps(suite, 2, out, progress=False)
    assert sorted(result.computed) == ["baseline", "step2", "step4"]
    record = FinetuneRecord.read(out / "finetune")
    assert record.steps == 4 and [s["step"] for s in record.snapshots] == [2, 4]  # one training run, two adapters
    assert (out / "finetune" / "steps" / "step-2" / "adapter_config.json").is_file()
    assert not list(out.glob("step*/finetune"))  # the points bench the kept adapters; none trains again
    with open(out / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["step"], r["variant"]) for r in rows if r["metric"] == "speaker_sim"} == {
        ("", "base"),
        ("2", "finetuned"),
        ("4", "finetuned"),
    }
    sims = {int(r["step"]): float(r["mean"]) for r in rows if r["metric"] == "speaker_sim" and r["step"]}
    best = SweepRecord.read(out).best["finetuned"]
    assert best["ok"] and best["step"] == max(sims, key=sims.get)
    assert f"best step {best['step']}" in best["text"] and "within speaker_sim ≥ -1" in best["text"]
    html = build_report([out], out / "report.html").path.read_text()
    assert "Training steps" in html and "Similarity vs fine-tune step" in html
    assert sweep_steps(suite, 2, out, progress=False).computed == []  # resumable: nothing trains or runs again
    strict = sweep_steps(dataclasses.replace(suite, limits={"speaker_sim": 2.0}), 2, out, progress=False)
    assert not strict.best["finetuned"]["ok"]
    assert "no step keeps speaker_sim ≥ 2" in strict.best["finetuned"]["text"]


def test_setting_sweep_trains_one_adapter_per_value(sweep_suite, tmp_path):
    from ttsbench.benchmark.sweep import sweep_setting

    out = tmp_path / "lr"
    result = sweep_setting(sweep_suite, "learning_rate", [1e-4, 2e-3], [0], out, progress=False)
    assert sorted(result.computed) == ["baseline", "learning_rate=0.0001-seed0", "learning_rate=0.002-seed0"]
    used = json.loads((out / "learning_rate=0.002-seed0" / "finetune" / "finetune.json").read_text())["settings"]
    assert used["learning_rate"] == 2e-3
    with open(out / "curve.csv") as f:
        values = {r["learning_rate"] for r in csv.DictReader(f) if r["variant"] == "finetuned"}
    assert values == {"0.0001", "0.002"}
    assert result.best["finetuned"]["ok"]
    with pytest.raises(SweepError, match="--setting bogus: not a fine-tune setting.*learning_rate"):
        sweep_setting(sweep_suite, "bogus", [1], [0], out, progress=False)
    with pytest.raises(SweepError, match="learning_rate"):
        sweep_setting(sweep_suite, "learning_rate", [-1], [0], out, progress=False)


def test_a_limit_on_a_metric_no_scorer_gives_is_refused(sweep_suite, tmp_path):
    from ttsbench.benchmark.sweep import sweep_steps

    with pytest.raises(SweepError, match="`limits:` names wer_micro, which the suite's scorers do not give"):
        sweep_steps(dataclasses.replace(sweep_suite, limits={"wer_micro": 0.1}), 2, tmp_path / "x", progress=False)


def test_a_sweep_varies_one_thing(capsys):
    from ttsbench.cli import main

    assert main(["sweep", "suites/demo.yaml", "--sizes", "2", "--every", "2"]) == 2
    assert "--sizes and --every: a sweep varies one thing" in capsys.readouterr().err
    assert main(["sweep", "suites/demo.yaml", "--setting", "learning_rate"]) == 2
    assert "NAME=V1,V2" in capsys.readouterr().err
    assert main(["sweep", "suites/demo.yaml", "--every", "2", "--seeds", "1"]) == 2
    assert "its seed is the suite's finetune seed" in capsys.readouterr().err
