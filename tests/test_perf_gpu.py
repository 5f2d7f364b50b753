"""`ttsbench perf gpu` as far as a CPU takes it: the refusal, a real training point, resuming."""

from __future__ import annotations

import json

import pytest

from ttsbench.cli import main
from ttsbench.perf.gpu import perf_gpu


def test_perf_gpu_refuses_clearly_without_cuda(tmp_path, capsys):
    assert main(["perf", "gpu", "--out", str(tmp_path / "gpu")]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU is visible" in err and "docs/benchmarks.md" in err
    assert main(["perf", "gpu"]) == 2 and "--out DIR" in capsys.readouterr().err


@pytest.mark.slow
def test_perf_gpu_points_run_record_and_resume(tmp_path, capsys):
    out = tmp_path / "gpu"
    assert perf_gpu(out, ["tiny/unsloth", "tiny/peft+gc"], steps=3, device="cpu") == 0
    record = json.loads((out / "gpu.json").read_text())
    point = record["points"]["tiny/peft+gc"]
    assert point["status"] == "ok" and point["backend"] == "peft" and point["gradient_checkpointing"]
    assert point["steps"] == 3 and point["seconds_per_micro_batch"] > 0 and point["trainable_parameters"] > 0
    assert "tiny random model" in point["label"]
    assert record["points"]["tiny/unsloth"]["status"] == "skipped"  # no unsloth here: said, not dropped
    table = (out / "gpu.md").read_text()
    assert "random models — speed and memory only" in table and "| tiny/peft+gc | peft + grad." in table
    assert "skipped: unsloth is not installed" in table
    # a second call measures nothing that is done, and retries what was skipped
    assert perf_gpu(out, ["tiny/unsloth", "tiny/peft+gc"], steps=3, device="cpu") == 0
    assert json.loads((out / "gpu.json").read_text())["points"]["tiny/peft+gc"] == point
    assert "tiny/peft+gc: done earlier" in capsys.readouterr().err


def test_perf_gpu_names_unknown_points(tmp_path):
    from ttsbench.core.errors import UserError

    with pytest.raises(UserError, match="--points 2b/peft: unknown"):
        perf_gpu(tmp_path, ["2b/peft"], device="cpu")


def test_generate_points_time_each_engine_and_the_table_shows_them(tiny_csm, tiny_orpheus):
    """What `1b/generate` and `orpheus3b/generate` run, on the tiny models (the GPU builds random ones of
    CSM-1B's and Orpheus-3B's size): every engine at every batch size, in the record and the table."""
    from ttsbench.perf.gpu import generate_point, table

    spec = {"batch_sizes": [1, 2], "seconds": 0.5, "device": "cpu", "engines": ["transformers", "fast"]}
    points = {"1b/generate": generate_point(tiny_csm, spec), "orpheus3b/generate": generate_point(tiny_orpheus, spec)}
    for point in points.values():
        assert point["status"] == "ok"
        assert [(b["engine"], b["batch"]) for b in point["batches"]] == [
            ("transformers", 1),
            ("transformers", 2),
            ("fast", 1),
            ("fast", 2),
        ]
        assert all(b["audio_seconds"] > 0 and b["frames_per_second"] > 0 for b in point["batches"])
    text = table({"points": points, "device": "cpu", "date": "today"})
    assert "| generation (1b, random) | engine |" in text and "| generation (orpheus3b, random) | engine |" in text
    assert text.count("| batch 2 | fast |") == 2
