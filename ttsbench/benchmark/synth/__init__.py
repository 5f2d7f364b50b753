"""Speech synthesizers: every model family's checkpoint (`model.py`, through the family), and stand-ins
behind a registry (a name maps to "module:Class", imported on first use).

A new model family needs nothing here. A new stand-in: one file in this folder with a `Synth`
subclass, and one line in SYNTHS.
"""

from __future__ import annotations

from ttsbench.dataprep.constants import DATASET_SAMPLE_RATE
from ttsbench.core.errors import UserError
from ttsbench.core.registry import Registry
from ttsbench.models.families import Context, Generated, Request  # noqa: F401  (the records synthesizers exchange)

SYNTHS = Registry("synthesizer backend", {
    "fake": "ttsbench.benchmark.synth.fake:FakeSynth",  # hibari-tts, deterministic per seed: tests and plumbing
    "noise": "ttsbench.benchmark.synth.fake:NoiseSynth",  # white noise of a plausible length: failure paths
})  # and every model family (csm, orpheus …): its checkpoint through `ModelSynth`


def backends() -> list[str]:
    """What a suite's `model: {backend: …}` may name: the stand-ins and the model families."""
    from ttsbench.models.families import FAMILIES

    return SYNTHS.names() + FAMILIES.names()


class Synth:
    """Generates batches of requests. Subclasses load their model once, in __init__."""

    sample_rate: int = DATASET_SAMPLE_RATE
    #: a short line shown wherever this synth's numbers are shown ("" for a real model)
    label: str = ""

    def __init__(self, model, adapter=None, generation=None, merged=None):
        """`model` is the suite's `ModelSpec`; `generation` its GenerationOptions."""
        self.model = model
        self.adapter = adapter
        self.generation = generation
        self.merged = merged

    @classmethod
    def describe(cls, model) -> str:
        """The label for this model, known without loading it."""
        return cls.label or str(model.get("label", ""))

    @classmethod
    def availability(cls, model) -> tuple[bool, str, str]:
        """(its model is here?, what it is, the command that fetches it), without loading anything."""
        return True, f"{model.backend} (no weights needed)", ""

    @property
    def id(self) -> str:
        return f"{self.model.backend}:{self.model.checkpoint}"

    def generate(self, requests: list[Request]) -> list[Generated]:
        raise NotImplementedError


def synth_class(model) -> type[Synth]:
    """The synthesizer of a `ModelSpec`: a stand-in by name, or any model family's checkpoint (`ModelSynth`)."""
    from ttsbench.models.families import FAMILIES

    if model.backend in FAMILIES:
        from .model import ModelSynth

        return ModelSynth
    if model.backend not in SYNTHS:
        raise UserError(f"unknown synthesizer backend {model.backend!r}; known: {', '.join(sorted(backends()))}")
    return SYNTHS.get(model.backend)


def load_synth(model, adapter=None, generation=None, merged=None) -> Synth:
    return synth_class(model)(model, adapter, generation, merged)
