"""The scorers on real speech (../shared/data/realspeech): plausible WER, speakers separated."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ttsbench.calibration.calibrate import equal_error_rate

pytestmark = pytest.mark.slow


def test_equal_error_rate():
    assert equal_error_rate([0.9, 0.8, 0.95], [0.1, 0.2, 0.3]) == 0.0
    assert equal_error_rate([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0.5, abs=0.5)
    assert equal_error_rate([0.9], []) is None


def calibrate_json(folder):
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "calibrate", str(folder), "--json"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_vctk_speakers_are_separated(realspeech):
    r = calibrate_json(realspeech / "vctk")
    assert r["n_speakers"] == 4 and r["eer"] < 0.05
    assert r["same_speaker_cos"] > r["different_speaker_cos"] + 0.15
    assert r["wer_micro"] < 0.1


def test_ljspeech_wer_is_near_seven_percent(realspeech):
    r = calibrate_json(realspeech / "ljspeech")
    assert 0.03 < r["wer_micro"] < 0.12 and r["wer_macro"] >= r["wer_micro"] * 0.5
    assert r["eer"] is None  # one speaker: no impostor pairs


def test_missing_transcripts_is_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "calibrate", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "transcripts.tsv" in proc.stderr and proc.stderr.count("\n") == 1
