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
