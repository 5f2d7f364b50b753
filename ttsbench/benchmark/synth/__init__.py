"""Speech synthesizers: every model family's checkpoint (`model.py`, through the family), and the
synthesizers of `base.SYNTHS` (stand-ins, plug-ins), imported on first use.

A new model family needs nothing here. A new synthesizer: one file with a `Synth` subclass, and one
line in SYNTHS (or an entry point, `ttsbench.synthesizers`).
"""

from __future__ import annotations

from ttsbench.core.errors import UserError

from .base import SYNTHS, Context, Generated, Request, Synth

__all__ = ["SYNTHS", "Context", "Generated", "Request", "Synth", "backends", "load_synth", "row_synth", "synth_class"]


def backends() -> list[str]:
    """What a suite's `model: {backend: …}` may name: the synthesizers and the model families."""
    from ttsbench.models.families import FAMILIES

    return SYNTHS.names() + FAMILIES.names()


def synth_class(model) -> type[Synth]:
    """The synthesizer of a `ModelSpec`: a registered one by name, or any model family's checkpoint (`ModelSynth`)."""
    from ttsbench.models.families import FAMILIES

    if model.backend in FAMILIES:
        from .model import ModelSynth

        return ModelSynth
    if model.backend not in SYNTHS:
        raise UserError(f"unknown synthesizer backend {model.backend!r}; known: {', '.join(sorted(backends()))}")
    return SYNTHS.get(model.backend)


def load_synth(model, adapter=None, generation=None, merged=None) -> Synth:
    return synth_class(model)(model, adapter, generation, merged)


def row_synth(suite, row) -> Synth:
    """The synthesizer of a row of its own (`Variant.source`): another checkpoint or adapter of a model family,
    a served endpoint, or a Python function."""
    source = row.source
    if source.kind == "served":
        from .served import ServedSynth

        return ServedSynth(source.served, row.name, suite.generation)
    if source.kind == "callable":
        from .function import CallableSynth

        return CallableSynth(source.function, row.name, source.options)
    model = source.model or suite.model
    generation = suite.generation if model.backend == suite.model.backend else None
    return load_synth(model, source.adapter or None, generation)
