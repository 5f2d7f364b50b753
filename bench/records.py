"""The records of a benchmark run, stored as JSON lines in the run directory.

`reports/` and `suites/` read these and nothing else of `bench`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

ANCHORS = ("ground_truth", "impostor")  # rows that need no model
VARIANTS = ("base", "cloned", "finetuned", "finetuned_cloned")


@dataclass(frozen=True)
class Prompt:
    """One text to speak."""

    id: str  # stable across versions of a prompt set
    text: str


@dataclass(frozen=True)
class PromptSet:
    name: str
    version: str
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class Sample:
    """One generated (or anchor) utterance."""

    variant: str  # base, cloned, finetuned, finetuned_cloned, ground_truth or impostor
    prompt_id: str
    seed: int
    text: str  # what it should say (the reference for WER)
    audio_path: str | None  # relative to the run directory; None when generation failed
    seconds: float = 0.0
    stopped: bool | None = None  # generation ended by itself (False: it hit the frame cap)
    error: str | None = None  # why generation failed; the sample still counts
    regenerated: str | None = None  # why it was generated again (its audio file had gone missing)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.variant, self.prompt_id, self.seed)


@dataclass(frozen=True)
class Score:
    """One metric of one sample, with its evidence."""

    variant: str
    prompt_id: str
    seed: int
    metric: str  # wer, cer, speaker_sim, duration, stop_failure …
    value: float | None  # None = the sample or the scorer failed: counted as a failure, never dropped
    detail: dict = field(default_factory=dict)  # transcript, normalised texts, model ids, error …
    scorer: str = ""  # scorer id with its settings' hash: runs scored differently are not compared


@dataclass(frozen=True)
class Summary:
    """One metric of one variant over all prompts and seeds."""

    variant: str
    metric: str
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int  # scored samples
    n_failed: int  # samples without a value (generation or scoring failed)


@dataclass(frozen=True)
class Comparison:
    """a − b on the same prompts and seeds."""

    a: str
    b: str
    metric: str
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_pairs: int  # prompts with a value in both (0 when unpaired)
    paired: bool = True  # False: rows without common prompts, compared as independent groups


def to_dict(record) -> dict:
    return asdict(record)


def from_dict(cls, data: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
