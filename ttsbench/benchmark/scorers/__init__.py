"""Scorers behind a registry: a name maps to "module:Class", imported on first use.

A scorer is loaded once per run, scores batches, and records its model ids and settings in
every score (its `id` includes a hash of them: scores from different settings never mix).
To add one: a file here with a `Scorer` subclass, and one line in SCORERS; or, from a package of its own,
an entry point in the `ttsbench.scorers` group (see `ttsbench.core.registry` and docs/architecture.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

import numpy as np

from ttsbench.core.errors import UserError
from ttsbench.core.registry import Registry

from ..records import Metric


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
    takes_language: bool = False  # a `language` setting, the suite's unless given (its ASR is forced to it)
    uses_references: bool = False  # the dataset's reference clips change its scores (a suite then needs a dataset)
    needs: tuple[str, ...] = ()  # scorers whose details of the same sample it reads (they run first)
    path_settings: tuple[str, ...] = ()  # settings that may name model files: paths are relative to the suite file
    embedded: bool = True  # its default settings run offline, no download (`ttsbench calibrate --effects` runs these)
    revision: int = 1  # raised when what it computes or writes changes: a new id, so finished runs are scored again

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.metrics = tuple(m.name for m in cls.declares if not m.of and m.always)

    @classmethod
    def declarations(cls, settings: dict) -> tuple[Metric, ...]:
        """What it declares with these settings (as the suite gives them): `declares`, unless a setting changes
        which metric leads (the WER scorer's language: characters lead where words are not separated)."""
        return cls.declares

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


SCORERS: Registry[Scorer] = Registry(
    "scorer",
    Scorer,
    {
        "wer": "ttsbench.benchmark.scorers.wer:WerScorer",
        "speaker_sim": "ttsbench.benchmark.scorers.speaker_sim:SpeakerSimScorer",
        "signal": "ttsbench.benchmark.scorers.signal:SignalScorer",
        "quality": "ttsbench.benchmark.scorers.quality:QualityScorer",
        "prosody": "ttsbench.benchmark.scorers.prosody:ProsodyScorer",
        "runaway": "ttsbench.benchmark.scorers.runaway:RunawayScorer",
    },
    group="ttsbench.scorers",
)


def scorer_class(name: str) -> type[Scorer]:
    return SCORERS.get(name)


def scorer_id(name: str, settings: dict, references_sha: str = "") -> str:
    """`name:hash` of the resolved settings (and the reference clips, where they matter)."""
    cls = scorer_class(name)
    key: dict[str, object] = {
        "settings": cls.resolve(settings or {}),
        "references": references_sha if cls.uses_references else "",
    }
    if cls.revision != 1:  # (revision 1 is left out: the ids of scores made before revisions existed stay)
        key["revision"] = cls.revision
    return f"{name}:{hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:10]}"


def load_scorer(name: str, settings: dict, references=None) -> Scorer:
    cls = scorer_class(name)
    return cls(cls.resolve(settings or {}), references)


def in_order(names) -> list[str]:
    """`names` ordered so that each scorer comes after the scorers whose evidence it reads (`needs`)."""
    names = list(names)
    out: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in out:
            return
        if name in path:
            raise UserError(f"scorers {' → '.join(path + (name,))}: each reads what the next found, round a circle")
        for need in scorer_class(name).needs:
            if need in names:
                visit(need, path + (name,))
        out.append(name)

    for name in names:
        visit(name, ())
    return out


def hand_on(evidence: dict, name: str, values) -> dict:
    """Add what scorer `name` found for one sample (its Values) to that sample's `evidence` (scorer name →
    {metric: detail}: what the scorers that need it read, as `Item.evidence`); returns `evidence`."""
    evidence.setdefault(name, {}).update({v.metric: v.detail for v in values})
    return evidence


def declared(scorers) -> dict[str, Metric]:
    """name → Metric for the scorers named (names or scorer ids `name:hash`, or a mapping of name → the suite's
    settings, which may change what leads), in declaration order; a name no scorer is registered under any more
    is left out."""
    out: dict[str, Metric] = {}
    for s in scorers:
        name = str(s).split(":", 1)[0]
        if name in SCORERS:
            settings = (scorers.get(s) or {}) if isinstance(scorers, dict) else {}
            out.update({m.name: replace(m, scorer=name) for m in scorer_class(name).declarations(settings)})
    return out
