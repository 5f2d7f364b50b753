"""`finetune.json`, the record of one fine-tune, beside its adapter (or one level above `merged/`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dataprep.records import JsonRecord


@dataclass(frozen=True)
class FinetuneRecord(JsonRecord):
    """What a fine-tune used and did. A diverged one has `diverged` set and no adapter beside it."""

    FILE = "finetune.json"

    key: str  # hash of base, dataset fingerprint and settings: the same call again is "up to date"
    base: str  # the base checkpoint (Hub id or folder)
    dataset_fingerprint: str
    settings: dict  # FinetuneOptions as used
    steps: int  # optimiser steps taken
    loss_history: list  # {step, loss, grad_norm, learning_rate, eval_loss?}, one row per step
    created: str  # UTC, ISO 8601
    label: str = ""  # "tiny random model — pipeline check only" and the like; "" for real weights
    backend: str = ""  # unsloth or peft
    device: str = ""
    dataset: str = ""
    rows: dict = field(default_factory=dict)  # train_split, chosen, used, eval, clip_ids
    filtered: list = field(default_factory=list)  # train clips left out, each with its reason
    filtered_eval: list = field(default_factory=list)
    lengths: dict = field(default_factory=dict)  # longest clip, text tokens, audio frames
    trainable_parameters: int = 0
    resumed_from: str | None = None  # the checkpoint a killed run resumed from
    wall_seconds: float = 0.0
    seconds_per_step: float = 0.0
    peak_memory: dict = field(default_factory=dict)  # gpu_peak_gib, or process_peak_rss_gib on CPU
    versions: dict = field(default_factory=dict)
    pushed_to: str | None = None  # Hub repo the adapter was pushed to
    merged: str | None = None  # folder of the merged 16-bit checkpoint
    diverged: dict | None = None  # {step, what, value}: training stopped at a non-finite value

    @property
    def losses(self) -> list[float]:
        return [h["loss"] for h in self.loss_history if "loss" in h]

    @property
    def eval_losses(self) -> list[float]:
        return [h["eval_loss"] for h in self.loss_history if "eval_loss" in h]

    @property
    def loss_drop(self) -> float | None:
        """Mean of the first few train losses minus the mean of the last few (3, or a third if fewer)."""
        losses = self.losses
        if not losses:
            return None
        k = max(1, min(3, len(losses) // 3))
        return (sum(losses[:k]) - sum(losses[-k:])) / k


def read_finetune_record(adapter: str | Path) -> FinetuneRecord | None:
    """The record of an adapter folder, or of a merged checkpoint (`…/merged`, record one level up)."""
    for folder in (Path(adapter), Path(adapter).parent):
        record = FinetuneRecord.read(folder)
        if record is not None:
            return record
    return None
