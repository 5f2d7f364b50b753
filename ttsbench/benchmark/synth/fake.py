"""Deterministic stand-ins for a TTS model, for tests and plumbing (never for quality numbers).

`fake` speaks with hibari-tts; its speed depends on the seed, the adapter and the context, so
variants differ measurably. Options in the suite's `model:` make chosen prompts fail
(`fail_texts`), run to the frame cap (`never_stop_texts`), or come out silent, NaN or 0.2 s long
(`silent_texts`, `nan_texts`, `short_texts`), to exercise failure counting.
"""

from __future__ import annotations

import numpy as np

from .base import Generated, Synth


class FakeSynth(Synth):
    label = "fake synthesizer (hibari-tts) — pipeline check only"

    def __init__(self, model, adapter=None, generation=None, merged=None):
        super().__init__(model, adapter, generation, merged)
        from ttsbench.dataprep.synthvoice import synthesize

        self._speak = synthesize

    def _one(self, r) -> Generated:
        if any(t in r.text for t in self.model.get("fail_texts", [])):
            return Generated(None, None, "fake failure asked for by the suite (fail_texts)")
        tuned = 0.1 if r.adapter else 0.11 if r.merged else 0.0  # a merge is close to its adapter, not equal
        speed = 0.9 + 0.05 * (r.seed % 4) + tuned + (0.05 if r.context else 0.0)
        audio = self._speak(r.text, "hibari", seed=r.seed, speed=speed)
        if any(t in r.text for t in self.model.get("silent_texts", [])):
            audio = np.zeros_like(audio)
        if any(t in r.text for t in self.model.get("nan_texts", [])):
            audio = np.full_like(audio, np.nan)
        if any(t in r.text for t in self.model.get("short_texts", [])):
            audio = audio[: int(0.2 * self.sample_rate)]
        cap = int(r.max_seconds * self.sample_rate)
        if any(t in r.text for t in self.model.get("never_stop_texts", [])):
            audio = np.resize(audio, cap)  # loops until the cap, like a model that never stops
        return Generated(audio[:cap], len(audio) < cap)

    def generate(self, requests):
        return [self._one(r) for r in requests]


class NoiseSynth(Synth):
    label = "noise synthesizer — pipeline check only"

    def generate(self, requests):
        out = []
        for r in requests:
            rng = np.random.default_rng(r.seed)
            seconds = min(r.max_seconds, 0.07 * len(r.text) + 0.5)
            out.append(Generated((0.1 * rng.standard_normal(int(seconds * self.sample_rate))).astype(np.float32), True))
        return out
