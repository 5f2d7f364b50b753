"""`ttsbench calibrate --effects`: every scorer's response to known damage on real speech (VCTK, one
clip per speaker) goes the way it should, and in order."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ttsbench.calibration.effects import EFFECTS, RATE, apply, cut_mid_word, mix

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def effects(realspeech):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ttsbench.cli",
            "calibrate",
            "--effects",
            str(realspeech / "vctk"),
            "--clips",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    return result, {row["effect"]: row["mean"] for row in result["effects"]}


def test_every_effect_was_made_and_scored(effects):
    result, _ = effects
    assert result["clips"] == 4 and result["speakers"] == 4
    assert [row["effect"] for row in result["effects"]] == [e.name for e in EFFECTS]
    assert all(row["clips"] == 4 and not row["unavailable"] and not row["failed"] for row in result["effects"])


def test_predicted_quality_falls_as_the_snr_falls(effects):
    _, m = effects
    for metric in ("dnsmos_ovrl", "distill_mos"):
        for noise in ("white", "babble"):
            curve = [m["clean"][metric]] + [m[f"{noise} {snr} dB"][metric] for snr in (30, 20, 10, 0)]
            assert all(a > b for a, b in zip(curve, curve[1:], strict=False)), (metric, noise, curve)


def test_similarity_falls_with_pitch_shift_and_another_speaker(effects):
    _, m = effects
    sim = {k: v["speaker_sim"] for k, v in m.items()}
    assert sim["clean"] > sim["pitch +2 st"] > sim["pitch +4 st"]
    assert sim["clean"] > sim["pitch -2 st"] > sim["pitch -4 st"]
    assert sim["clean"] > sim["other speaker"] + 0.15


def test_wer_rises_with_noise_and_a_cut(effects):
    _, m = effects
    wer = {k: v["wer"] for k, v in m.items()}
    assert wer["clean"] < 0.1
    assert wer["white 10 dB"] <= wer["white 0 dB"] and wer["clean"] + 0.2 < wer["white 0 dB"]
    assert wer["clean"] + 0.2 < wer["babble 0 dB"]
    assert wer["clean"] + 0.2 < wer["cut mid-word"]
    assert wer["other speaker"] < 0.15  # the same sentence, read by another speaker


def test_prosody_follows_pitch_and_tempo(effects):
    _, m = effects
    offset = {k: v["pitch_offset_st"] for k, v in m.items()}
    assert offset["clean"] < 1.0
    for sign in "+-":
        assert offset["clean"] < offset[f"pitch {sign}2 st"] < offset[f"pitch {sign}4 st"]
        assert abs(offset[f"pitch {sign}4 st"] - 4) < 1.5
    assert offset["other speaker"] > offset["clean"] + 1.0
    rate = {k: v["syllable_rate"] for k, v in m.items()}
    assert rate["duration ×1.25"] < rate["clean"] < rate["duration ×0.8"]
    # the signed tempo follows the stretch both ways, by about its size (ln 1.25 = 0.22): slower below the clean
    # clips, faster above. (VCTK's clean clips sit above zero: each speaker's first clips, the references, are
    # read more slowly than the next ones — README, calibrate --effects.)
    tempo = {k: v["tempo_log_ratio"] for k, v in m.items()}
    assert 0.1 < tempo["clean"] - tempo["duration ×1.25"] < 0.4, tempo
    assert 0.1 < tempo["duration ×0.8"] - tempo["clean"] < 0.4, tempo


def test_runaway_flags_the_tails_and_no_clean_clip(effects):
    _, m = effects
    assert m["clean"]["runaway"] == 0 and m["white 30 dB"]["runaway"] == 0 and m["pitch +2 st"]["runaway"] == 0
    assert m["+3 s noise tail"]["runaway"] == 1 and m["+3 s babble tail"]["runaway"] == 1
    assert m["+3 s noise tail"]["tail_seconds"] > 2.0
    assert m["+3 s babble tail"]["trailing_words"] > 3 and m["clean"]["trailing_words"] < 1


def test_the_table_prints_every_effect(realspeech, effects):
    from ttsbench.calibration.calibrate import effects_table

    table = effects_table(effects[0])
    assert all(e.name in table for e in EFFECTS) and "speaker_sim" in table and "distill_mos" in table


def test_effects_are_what_they_say():
    rng = np.random.default_rng(0)
    t = np.arange(RATE * 2) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    noisy = mix(tone, rng.standard_normal(len(tone)).astype(np.float32), 10)
    noise = noisy - tone
    assert abs(10 * np.log10(np.mean(tone**2) / np.mean(noise**2)) - 10) < 0.2
    cut = cut_mid_word(tone)
    assert 0.4 * len(tone) <= len(cut) <= 0.6 * len(tone) + RATE // 100
    by_kind = {e.kind: e for e in EFFECTS}
    assert apply(by_kind["swap"], tone, [tone], None, rng) == "needs a second speaker in the folder"
    slower = next(e for e in EFFECTS if e.kind == "stretch" and e.amount == 1.25)
    longer = apply(slower, tone, [tone], None, rng)
    assert len(longer) == pytest.approx(len(tone) * 1.25, rel=0.02)
    tail = apply(by_kind["noise_tail"], tone, [tone], None, rng)
    assert len(tail) == len(tone) + 3 * RATE and np.array_equal(tail[: len(tone)], tone)


def test_a_folder_with_too_few_clips_per_speaker_is_one_line(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "transcripts.tsv").write_text("path\tspeaker\ttext\na.wav\tx\thello\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "calibrate", "--effects", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "--references" in proc.stderr and proc.stderr.count("\n") == 1
