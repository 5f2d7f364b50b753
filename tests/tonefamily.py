"""A model family defined outside ttsbench, as a user's plug-in would be: it speaks in tones.

Registered by `tests/test_registry.py` with one line (`FAMILIES.register("tone", Tone)`); nothing
else of ttsbench is touched, which is the promise this proves: its own generation setting (`loudness`)
is a suite key, its own training setting (`tone_steps`) a flag of `ttsbench finetune`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ttsbench.core.options import Setting
from ttsbench.models.families import Family, Generated


class _Model:
    """What `Family.load` hands back: anything with `to` and `eval`."""

    def __init__(self, pitch: float):
        self.pitch = pitch

    def to(self, device):
        return self

    def eval(self):
        return self


class Tone(Family):
    name = "tone"
    model_types = ("tone",)
    sample_rate = 16000
    frame_rate = 50.0
    processor_files = ()  # no tokenizer: a tone needs none
    generation = {"temperature": 1.0}
    generation_settings = (Setting("loudness", 0.2, "the tone's peak amplitude", 0, 1, low_open=True),)
    training_settings = (Setting("tone_steps", 4, "steps of the tone's scale", 1, 24, integer=True),)

    def load_files(self, name, dtype, device):
        config = json.loads((Path(name) / "config.json").read_text())
        return _Model(float(config["pitch"])), None

    def build_tiny(self, out, seed: int = 0, size: str = "tiny"):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps({"model_type": "tone", "pitch": 220.0}))
        (out / "ttsbench.json").write_text(json.dumps({"label": "tone family — pipeline check only"}))
        return out

    def generate(self, model, processor, requests, generation, device):
        out, loudness = [], generation["loudness"]  # the sampling settings, this family's own among them
        for r in requests:
            rng = np.random.default_rng(r.seed)
            seconds = min(r.max_seconds, 0.05 * len(r.text) + 0.3)
            t = np.arange(int(seconds * self.sample_rate)) / self.sample_rate
            pitch = model.pitch * (1.5 if r.context else 1.0)  # cloning changes the voice, measurably
            audio = loudness * np.sin(2 * np.pi * pitch * t) + 0.01 * rng.standard_normal(len(t))
            out.append(Generated(audio.astype(np.float32), True))
        return out
