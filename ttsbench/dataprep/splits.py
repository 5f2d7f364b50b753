"""Train / eval / reference splits, deterministic from a seed and made per speaker.

`reference` clips are the cloning context and the speaker-similarity target: never trained on,
never evaluated on. Clips never overlap in time (chunking guarantees it), so no audio is in two
splits.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from ttsbench.core.errors import check_number
from .records import Clip

SPLITS = ("train", "eval", "reference")


@dataclass(frozen=True)
class SplitOptions:
    """How clips are assigned to splits."""

    seed: int = 0
    reference_clips: int = 3  # per speaker
    reference_seconds: float = 10.0  # at least this much reference audio per speaker
    reference_max_clip_seconds: float = 15.0  # prefer reference clips up to this long (short cloning context)
    eval_fraction: float = 0.1  # of the clips left after the reference, per speaker; at least one (0: none)

    def __post_init__(self):
        check_number(self, "seed", integer=True)
        check_number(self, "reference_clips", 0, integer=True)
        check_number(self, "reference_seconds", 0)
        check_number(self, "reference_max_clip_seconds", 0, low_open=True)
        check_number(self, "eval_fraction", 0, 0.9)


def assign_splits(clips: list[Clip], options: SplitOptions = SplitOptions()) -> tuple[dict[str, str], list[str]]:
    """Map clip id → split, and warnings (e.g. a speaker with too little audio for a reference)."""
    by_speaker: dict[int, list[Clip]] = defaultdict(list)
    for c in sorted(clips, key=lambda c: c.id):
        by_speaker[c.speaker].append(c)
    split: dict[str, str] = {}
    warnings: list[str] = []
    for speaker, group in sorted(by_speaker.items()):
        rng = random.Random(f"{options.seed}:{speaker}")
        order = group[:]
        rng.shuffle(order)
        # Prefer short clips as reference: they become every cloned prompt's context.
        order.sort(key=lambda c: c.duration > options.reference_max_clip_seconds)
        reference, seconds = [], 0.0
        for c in order:
            if len(reference) >= options.reference_clips and seconds >= options.reference_seconds:
                break
            if len(group) - len(reference) <= 1:  # keep at least one clip to train on
                break
            reference.append(c)
            seconds += c.duration
        if seconds < options.reference_seconds or len(reference) < options.reference_clips:
            warnings.append(
                f"speaker {speaker}: only {len(reference)} reference clip(s), {seconds:.1f} s "
                f"(wanted {options.reference_clips} and {options.reference_seconds:g} s); "
                "add more audio of this speaker"
            )
        rest = [c for c in order if c not in reference]
        if options.eval_fraction > 0 and len(rest) == 1 and len(reference) >= 2:  # one to train, one to evaluate
            rest.append(reference.pop())
            warnings.append(
                f"speaker {speaker}: one reference clip fewer ({len(reference)}), so that one clip is held out "
                "for eval; add more audio of this speaker"
            )
        rest.sort(key=lambda c: rng.random())
        n_eval = max(1, round(options.eval_fraction * len(rest))) if len(rest) >= 2 and options.eval_fraction > 0 else 0
        for c in reference:
            split[c.id] = "reference"
        for k, c in enumerate(rest):
            split[c.id] = "eval" if k < n_eval else "train"
    return split, warnings
