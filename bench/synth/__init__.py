"""Speech synthesizers behind a registry: a name maps to "module:Class", imported on first use.

To add a backend: one file in this folder with a `Synth` subclass, and one line in SYNTHS.
"""

from __future__ import annotations

import importlib

from dataprep.constants import CSM_SAMPLE_RATE
from dataprep.errors import UserError
from finetune.families import Context, Generated, Request  # noqa: F401  (the records synthesizers exchange)

SYNTHS = {
    "fake": "bench.synth.fake:FakeSynth",  # hibari-tts, deterministic per seed: tests and plumbing
    "noise": "bench.synth.fake:NoiseSynth",  # white noise of a plausible length: failure paths
    "csm": "bench.synth.model:ModelSynth",  # Sesame CSM (transformers), with an optional LoRA adapter
    "orpheus": "bench.synth.model:ModelSynth",  # Orpheus (Llama + SNAC), likewise
}


class Synth:
    """Generates batches of requests. Subclasses load their model once, in __init__."""

    sample_rate: int = CSM_SAMPLE_RATE
    #: a short line shown wherever this synth's numbers are shown ("" for a real model)
    label: str = ""

    def __init__(self, model: dict, adapter=None, generation=None, merged=None):
        self.model = model
        self.adapter = adapter
        self.generation = generation
        self.merged = merged

    @classmethod
    def describe(cls, model: dict) -> str:
        """The label for this model, known without loading it."""
        return cls.label or str(model.get("label", ""))

    @classmethod
    def availability(cls, model: dict) -> tuple[bool, str, str]:
        """(its model is here?, what it is, the command that fetches it), without loading anything."""
        return True, f"{model.get('backend')} (no weights needed)", ""

    @property
    def id(self) -> str:
        return f"{self.model.get('backend')}:{self.model.get('checkpoint', '')}"

    def generate(self, requests: list[Request]) -> list[Generated]:
        raise NotImplementedError


def synth_class(model: dict) -> type[Synth]:
    name = model.get("backend")
    if name not in SYNTHS:
        raise UserError(f"unknown synthesizer backend {name!r}; available: {', '.join(sorted(SYNTHS))}")
    module, cls = SYNTHS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def load_synth(model: dict, adapter=None, generation=None, merged=None) -> Synth:
    return synth_class(model)(model, adapter, generation, merged)
