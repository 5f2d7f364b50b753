"""The prosody scorer on real speech: the speaker's own clips sit near the references' pitch, a
pitch shift moves the offset by about its size, another speaker is further; bad input fails with
its reason."""

import numpy as np
import pytest

from ttsbench.benchmark.scorers import Item, load_scorer
from ttsbench.dataprep.audio import AUDIO_SUFFIXES, load_audio


def _clips(root, n, skip=0):
    files = sorted(p for p in root.rglob("*") if p.suffix in AUDIO_SUFFIXES)[skip : skip + n]
    return [load_audio(p, 16000) for p in files]


@pytest.fixture(scope="module")
def scorer(realspeech):
    return load_scorer("prosody", {}, [(a, 16000) for a in _clips(realspeech / "ljspeech", 3)])


def _offsets(scorer, clips):
    out = scorer.score([Item(a, 16000, "x") for a in clips])
    return np.array([next(v.value for v in row if v.metric == "pitch_offset_st") for row in out])


def test_pitch_offset_follows_a_pitch_shift_and_a_speaker_swap(realspeech, scorer):
    import librosa

    own = _clips(realspeech / "ljspeech", 8, skip=3)
    same = _offsets(scorer, own)
    shifted = {k: [librosa.effects.pitch_shift(a, sr=16000, n_steps=k) for a in own] for k in (2, 4)}
    assert same.mean() < _offsets(scorer, shifted[2]).mean() < _offsets(scorer, shifted[4]).mean()

    def f0(clips):
        return np.array(
            [
                next(v.value for v in row if v.metric == "f0_median")
                for row in scorer.score([Item(a, 16000, "x") for a in clips])
            ]
        )

    assert abs(np.median(12 * np.log2(f0(shifted[4]) / f0(own))) - 4) < 0.6  # the shift, in semitones
    other = _offsets(scorer, _clips(realspeech / "vctk", 8))
    assert other.mean() > same.mean() + 0.75  # another speaker is further from the references' pitch


@pytest.mark.parametrize(
    "audio,reason",
    [
        (np.zeros(16000, np.float32), "silent"),
        (np.full(16000, np.nan, np.float32), "non-finite"),
        (np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), "voiced speech"),
    ],
)
def test_bad_audio_is_a_failed_score_with_its_reason(scorer, audio, reason):
    values = scorer.score([Item(audio, 16000, "x")])[0]
    assert values and all(v.value is None and reason in v.detail["error"] for v in values)


def test_speaking_rate_follows_a_time_stretch(realspeech, scorer):
    import librosa

    own = _clips(realspeech / "ljspeech", 8, skip=3)

    def rates(clips, metric="syllable_rate"):
        return np.array(
            [
                next(v.value for v in row if v.metric == metric)
                for row in scorer.score([Item(a, 16000, "x") for a in clips])
            ]
        )

    natural = rates(own)
    assert 2.5 < natural.mean() < 6.0  # syllables per second of read English, as nuclei count them
    # a 32 ms phase-vocoder window: librosa's default (128 ms at 16 kHz) smears the syllables together
    slower = rates([librosa.effects.time_stretch(a, rate=0.8, n_fft=512) for a in own])  # 1.25 × the duration
    quick = [librosa.effects.time_stretch(a, rate=1.25, n_fft=512) for a in own]
    faster = rates(quick)
    assert slower.mean() < natural.mean() < faster.mean()
    assert abs(np.median(slower / natural) - 0.8) < 0.12
    tempo = rates(own, "tempo_log_ratio")  # against LJSpeech's own references: the same reader's pace
    assert abs(np.median(tempo)) < 0.25
    assert rates(quick, "tempo_log_ratio").mean() > tempo.mean() + 0.1  # faster: above the clean clips
    assert (
        rates([librosa.effects.time_stretch(a, rate=0.8, n_fft=512) for a in own], "tempo_log_ratio").mean()
        < tempo.mean() - 0.1
    )  # slower: below
