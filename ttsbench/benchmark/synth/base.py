"""The synthesizer interface and the registry of synthesizers that are not a model family's checkpoint.

A new synthesizer: one file with a `Synth` subclass, and one line in SYNTHS — or, from a package of
its own, an entry point in the `ttsbench.synthesizers` group (see `ttsbench.core.registry`).
"""

from __future__ import annotations

from ttsbench.core.registry import Registry
from ttsbench.dataprep.constants import DATASET_SAMPLE_RATE
from ttsbench.models.families import Context, Generated, Request

__all__ = ["SYNTHS", "Context", "Generated", "Request", "Synth"]


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


SYNTHS: Registry[Synth] = Registry(
    "synthesizer",
    Synth,
    {
        "fake": "ttsbench.benchmark.synth.fake:FakeSynth",  # hibari-tts, deterministic per seed: tests and plumbing
        "noise": "ttsbench.benchmark.synth.fake:NoiseSynth",  # white noise of a plausible length: failure paths
    },
    group="ttsbench.synthesizers",
)  # every model family (csm, orpheus …) is one too: its checkpoint through ModelSynth
