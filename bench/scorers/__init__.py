"""Scorers behind a registry: a name maps to "module:Class", imported on first use.

A scorer is loaded once per run, scores batches, and records its model ids and settings in
every score (its `id` includes a hash of them: scores from different settings never mix).
To add one: a file here with a `Scorer` subclass, and one line in SCORERS.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass

import numpy as np

from dataprep.errors import UserError

from ..records import Metric

SCORERS = {
    "wer": "bench.scorers.wer:WerScorer",
    "speaker_sim": "bench.scorers.speaker_sim:SpeakerSimScorer",
    "signal": "bench.scorers.signal:SignalScorer",
    "quality": "bench.scorers.quality:QualityScorer",
    "prosody": "bench.scorers.prosody:ProsodyScorer",
    "runaway": "bench.scorers.runaway:RunawayScorer",
}


@dataclass(frozen=True)
class Item:
    """One sample to score."""

    audio: np.ndarray  # mono float32, finite
    sample_rate: int
    text: str  # what it should say
    stopped: bool | None = None  # from generation; None for anchors
    evidence: dict | None = None  # scorer name → {metric: detail} of this sample, for the scorers in `needs`


@dataclass(frozen=True)
class Value:
    metric: str
    value: float | None  # None: this sample could not be scored (detail says why)
    detail: dict


class Scorer:
    """Subclasses set `name` and `declares` (a Metric per metric, summaries included), resolve their
    settings cheaply (no model loaded) in `resolve`, and load their model once in __init__."""

    name: str = ""
    declares: tuple[Metric, ...] = ()
    metrics: tuple[str, ...] = ()  # what a failed sample gets None for: the per-sample metrics every sample gets
    uses_references: bool = False  # the dataset's reference clips change its scores
    needs: tuple[str, ...] = ()  # scorers whose details of the same sample it reads (they run first)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.metrics = tuple(m.name for m in cls.declares if not m.of and m.always)

    @classmethod
    def metrics_for(cls, settings: dict) -> tuple[str, ...]:
        """The per-sample metrics it writes with these (resolved) settings."""
        return cls.metrics

    def __init__(self, settings: dict, references: list[tuple[np.ndarray, int]] | None = None):
        self.settings = settings

    @classmethod
    def resolve(cls, settings: dict) -> dict:
        """The settings with defaults filled in and model ids spelled out; recorded with every score."""
        return dict(settings)

    @classmethod
    def availability(cls, settings: dict) -> tuple[bool, str, str]:
        """(its model is here?, what it is, the command that fetches it), without loading anything."""
        return True, "no model needed", ""

    @classmethod
    def describe(cls, settings: dict) -> str:
        """The label of a stand-in model it would use ("" for real weights)."""
        return ""

    def score(self, items: list[Item]) -> list[list[Value]]:
        raise NotImplementedError


def scorer_class(name: str) -> type[Scorer]:
    if name not in SCORERS:
        raise UserError(f"unknown scorer {name!r}; available: {', '.join(sorted(SCORERS))}")
    module, cls = SCORERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def scorer_id(name: str, settings: dict, references_sha: str = "") -> str:
    """`name:hash` of the resolved settings (and the reference clips, where they matter)."""
    cls = scorer_class(name)
    key = {"settings": cls.resolve(settings or {}), "references": references_sha if cls.uses_references else ""}
    return f"{name}:{hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:10]}"


def load_scorer(name: str, settings: dict, references=None) -> Scorer:
    cls = scorer_class(name)
    return cls(cls.resolve(settings or {}), references)
