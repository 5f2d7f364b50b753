"""Suite gates: parsing, checking, and `pytest` on suite files as a quality gate."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from plans import plan_of
from ttsbench.gates.gates import GateError, parse_gate

ROWS = ["base", "cloned", "finetuned", "finetuned_cloned", "ground_truth", "impostor"]
SCORERS = ["wer", "speaker_sim", "signal"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "finetuned_cloned.speaker_sim - base.speaker_sim >= 0.05 (p < 0.05)",
            ("finetuned_cloned", "speaker_sim", "base", ">=", 0.05, 0.05),
        ),
        ("finetuned.wer_micro <= 0.15", ("finetuned", "wer_micro", None, "<=", 0.15, None)),
        ("*.stop_failure_rate <= 0.1", ("*", "stop_failure_rate", None, "<=", 0.1, None)),
        ("finetune.loss_drop > 0.5", ("finetune", "loss_drop", None, ">", 0.5, None)),
        ("report.missing <= 0", ("report", "missing", None, "<=", 0.0, None)),
        ("  base.failed<1e-9 ", ("base", "failed", None, "<", 1e-9, None)),
    ],
)
def test_gates_parse(text, expected):
    g = parse_gate(text, plan_of(ROWS, SCORERS), "s.yaml")
    assert (g.row, g.metric, g.minus_row, g.op, g.threshold, g.p_below) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("finetuned.similarity >= 0.5", "unknown metric finetuned.similarity"),
        ("fine_tuned.speaker_sim >= 0.5", "'fine_tuned', which is not a row"),
        ("finetuned.wer_micro = 0.1", "is not of the form"),
        ("finetuned.speaker_sim - base.wer >= 0", "one metric between two named rows"),
        ("finetune.wer >= 0", "unknown metric finetune.wer"),
        ("finetuned.wer_micro - base.wer_micro <= 0", "wer_micro is not compared between rows"),
        ("finetuned.failed - base.failed <= 0", "failed is not compared between rows"),
        ("finetuned.wer_over_50 - base.wer_over_50 <= 0", "or difference one of wer, cer, speaker_sim, stop_failure"),
    ],
)
def test_bad_gates_name_the_file(text, message):
    with pytest.raises(GateError, match="s.yaml") as e:
        parse_gate(text, plan_of(ROWS, SCORERS), "s.yaml")
    assert message in str(e.value)


def test_metrics_of_scorers_the_suite_does_not_run_are_unknown():
    with pytest.raises(GateError, match="unknown metric base.wer_micro"):
        parse_gate("base.wer_micro <= 0.1", plan_of(ROWS, ["speaker_sim"]), "s.yaml")


def _suite(tmp_path, run_dir, gates, name="g.yaml"):
    original = yaml.safe_load((run_dir.parent / "tiny.yaml").read_text())
    path = tmp_path / name
    path.write_text(yaml.safe_dump({**original, "gates": gates, "out": str(run_dir)}))
    return path


def _pytest(*args):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "ttsbench.gates.plugin",
            "-q",
            "-p",
            "no:cacheprovider",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_met_gates_pass_and_violated_gates_fail_with_the_numbers(tiny_run, tmp_path):
    met = _suite(
        tmp_path,
        tiny_run,
        [
            "ground_truth.speaker_sim - impostor.speaker_sim >= 0.1",
            "*.failed <= 0",
            "finetune.loss_drop > 0",
            "ground_truth.wer_micro <= 0.3",
        ],
    )
    run = _pytest(met)
    assert run.returncode == 0, run.stdout
    assert "4 passed" in run.stdout

    violated = _suite(
        tmp_path,
        tiny_run,
        [
            "finetuned_cloned.speaker_sim - base.speaker_sim >= 0.5 (p < 0.05)",
            "*.stop_failure_rate <= -1",
            "*.failed <= 0",
        ],
        name="v.yaml",
    )
    run = _pytest(violated, "--run-dir", tiny_run)
    assert run.returncode == 1, run.stdout
    assert "2 failed, 1 passed" in run.stdout
    assert (
        "finetuned_cloned.speaker_sim - base.speaker_sim = " in run.stdout
        and "needs >= 0.5 with p < 0.05" in run.stdout
    )
    assert "FAIL base.stop_failure_rate = " in run.stdout and "needs <= -1" in run.stdout
    assert "[" in run.stdout.split("FAIL base.stop_failure_rate = ")[1].splitlines()[0]  # the interval is shown


@pytest.mark.slow
def test_report_gate_needs_a_current_report(tiny_run, tmp_path):
    from ttsbench.reports.html import build_report

    suite = _suite(tmp_path, tiny_run, ["report.missing <= 0"])
    data = yaml.safe_load(suite.read_text())
    data["report"] = str(tmp_path / "r" / "report.html")
    suite.write_text(yaml.safe_dump(data))
    run = _pytest(suite)
    assert run.returncode == 1 and "no report at" in run.stdout
    build_report([tiny_run], tmp_path / "r" / "report.html")
    assert _pytest(suite).returncode == 0


def test_unknown_metric_is_a_collection_error_naming_the_suite(tmp_path, voice_dataset):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "bad",
                "model": {"backend": "fake"},
                "dataset": str(voice_dataset),
                "variants": ["base"],
                "scorers": {"signal": {}},
                "gates": ["base.speaker_similarity >= 0.5"],
            }
        )
    )
    run = _pytest(path)
    assert run.returncode == 2, run.stdout
    assert "bad.yaml" in run.stdout and "unknown metric base.speaker_similarity" in run.stdout


def test_a_suite_without_a_run_is_skipped_unless_asked_for(tmp_path, voice_dataset):
    path = tmp_path / "norun.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "norun",
                "model": {"backend": "fake"},
                "dataset": str(voice_dataset),
                "variants": ["base"],
                "scorers": {"signal": {}},
                "out": str(tmp_path / "none"),
                "gates": ["base.failed <= 0"],
            }
        )
    )
    run = _pytest(path, "-rs")
    assert run.returncode == 0 and "1 skipped" in run.stdout and "ttsbench bench" in run.stdout
    run = _pytest(path, "--run-dir", tmp_path / "none")
    assert run.returncode == 1 and "no run of norun.yaml" in run.stdout
