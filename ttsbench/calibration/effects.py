"""Known perturbations of real speech, for `ttsbench calibrate --effects`: does each metric move the
way it should, and in order, when the damage is known?

Each effect takes one clean clip (mono float32, 16 kHz) and returns the perturbed clip, or the
reason it cannot be made (another speaker's clip in a one-speaker folder). Noise is mixed at an SNR
against the clip's own RMS; babble is four other utterances of the folder, each brought to the same
RMS and summed; pitch shifts and time-stretches use a 32 ms phase vocoder (librosa's default 128 ms
at 16 kHz smears syllables together, which the prosody scorer would read as slower speech).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Effect:
    name: str  # as printed: "white 10 dB"
    kind: str  # clean, white, babble, pitch, stretch, swap, truncate, noise_tail, babble_tail
    amount: float = 0.0  # dB SNR, semitones, or the duration factor


EFFECTS = (
    Effect("clean", "clean"),
    *(Effect(f"white {snr} dB", "white", snr) for snr in (30, 20, 10, 0)),
    *(Effect(f"babble {snr} dB", "babble", snr) for snr in (30, 20, 10, 0)),
    *(Effect(f"pitch {st:+d} st", "pitch", st) for st in (-4, -2, 2, 4)),
    Effect("duration ×0.8", "stretch", 0.8),
    Effect("duration ×1.25", "stretch", 1.25),
    Effect("other speaker", "swap"),
    Effect("cut mid-word", "truncate"),
    Effect("+3 s noise tail", "noise_tail", 3.0),
    Effect("+3 s babble tail", "babble_tail", 3.0),
)

RATE = 16000
_WINDOW = 512  # 32 ms at 16 kHz


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) + 1e-12


def _fit(noise: np.ndarray, n: int) -> np.ndarray:
    return np.resize(noise, n) if len(noise) else np.zeros(n, np.float32)


def babble(pool: list[np.ndarray], n: int, rng: np.random.Generator, talkers: int = 4) -> np.ndarray:
    """`talkers` clips of the pool at equal RMS, summed, each from a random offset, `n` samples long."""
    picks = rng.choice(len(pool), size=min(talkers, len(pool)), replace=False)
    out = np.zeros(n, np.float64)
    for k in picks:
        clip = pool[k] / _rms(pool[k])
        out += np.roll(_fit(clip, n), int(rng.integers(n)))
    return out.astype(np.float32)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = noise * (_rms(speech) / _rms(noise) / 10 ** (snr_db / 20))
    out = speech + noise
    peak = np.abs(out).max()
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32)  # rescaled, never clipped


def cut_mid_word(audio: np.ndarray) -> np.ndarray:
    """Cut inside the loudest 10 ms frame between 40 % and 60 % of the clip: a syllable's nucleus,
    so the cut falls inside a word."""
    n = RATE // 100
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    lo, hi = int(len(frames) * 0.4), max(int(len(frames) * 0.6), int(len(frames) * 0.4) + 1)
    k = lo + int(np.argmax(np.square(frames[lo:hi]).mean(axis=1)))
    return audio[: k * n + n // 2].copy()


def apply(
    effect: Effect, audio: np.ndarray, pool: list[np.ndarray], other: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray | str:
    """The perturbed clip, or why it cannot be made. `pool`: other utterances (for babble);
    `other`: another speaker's clip, of the same text where the folder has one."""
    import librosa

    k = effect.kind
    if k == "clean":
        return audio.copy()
    if k == "white":
        return mix(audio, rng.standard_normal(len(audio)).astype(np.float32), effect.amount)
    if k == "babble":
        return mix(audio, babble(pool, len(audio), rng), effect.amount)
    if k == "pitch":
        return librosa.effects.pitch_shift(audio, sr=RATE, n_steps=effect.amount, n_fft=_WINDOW).astype(np.float32)
    if k == "stretch":
        return librosa.effects.time_stretch(audio, rate=1 / effect.amount, n_fft=_WINDOW).astype(np.float32)
    if k == "swap":
        return "needs a second speaker in the folder" if other is None else other.copy()
    if k == "truncate":
        return cut_mid_word(audio)
    n = int(effect.amount * RATE)
    if k == "noise_tail":  # steady noise 10 dB under the speech
        tail = rng.standard_normal(n).astype(np.float32) * (_rms(audio) / 10**0.5)
    elif k == "babble_tail":  # talkers at the speech's level
        tail = babble(pool, n, rng) * _rms(audio)
    else:
        raise ValueError(f"unknown effect kind {k!r}")
    return np.concatenate([audio, tail.astype(np.float32)])
