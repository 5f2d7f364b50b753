"""The fine-tuning stage's records: its options (`FinetuneOptions`) and `finetune.json`, the record of one
fine-tune beside its adapter (or one level above `merged/`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ttsbench.core.errors import OptionError, UserError, check_choice, check_number, read_yaml_mapping
from ttsbench.core.records import JsonRecord
from ttsbench.dataprep.constants import MAX_CLIP_SECONDS

from .families import FAMILIES


STEPS = "steps"  # OUT/steps/step-N: the adapters kept along the way (`adapter_every`)
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class FinetuneOptions:
    """LoRA and trainer settings: the CSM workshop's. A setting left None is the model family's
    (`Family.options` fills them in: CSM r 32, alpha 16; Orpheus r 64, alpha 64, its notebook's)."""

    r: int | None = None  # LoRA rank
    lora_alpha: float | None = None
    lora_dropout: float = 0.0
    use_rslora: bool = True
    target_modules: tuple = TARGETS  # in the backbone and depth decoder only, never the Mimi codec
    learning_rate: float = 2e-4
    per_device_batch_size: int = 2
    gradient_accumulation_steps: int = 4
    warmup_steps: int = 3
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    weight_decay: float = 0.01
    lr_scheduler: str = "linear"
    optim: str = "auto"  # adamw_8bit on CUDA, adamw_torch elsewhere
    seed: int = 3407  # training and the --rows subset
    rows: int | None = None  # a nested subset of the train split
    max_audio_seconds: float = MAX_CLIP_SECONDS  # longer clips are filtered and counted
    eval_steps: int = 10
    save_steps: int = 50  # checkpoints for resuming a killed run
    adapter_every: int = 0  # also keep the adapter every N steps in OUT/steps/step-N (a steps sweep's points)
    backend: str = "auto"  # auto, unsloth or peft
    gradient_checkpointing: bool = False  # PEFT path; Unsloth always uses its own
    device: str = "auto"
    family: str = "auto"  # csm, orpheus, or auto: from the base checkpoint's config.json
    family_settings: dict = field(default_factory=dict, hash=False)  # the family's own (Family.training_settings)

    def __post_init__(self):
        for name in ("per_device_batch_size", "gradient_accumulation_steps", "eval_steps", "save_steps"):
            check_number(self, name, 1, integer=True)
        check_number(self, "r", 1, integer=True, optional=True)
        check_number(self, "lora_alpha", 0, low_open=True, optional=True)
        check_choice(self, "family", ("auto", *FAMILIES))
        check_number(self, "lora_dropout", 0, 0.99)
        check_number(self, "learning_rate", 0, low_open=True)
        check_number(self, "warmup_steps", 0, integer=True)
        check_number(self, "adapter_every", 0, integer=True)
        check_number(self, "epochs", 0, low_open=True)
        check_number(self, "max_steps", 1, integer=True, special=(-1,))
        check_number(self, "weight_decay", 0, 10)
        check_number(self, "seed", 0, 2**32 - 1, integer=True)
        check_number(self, "rows", 1, integer=True, optional=True)
        check_number(self, "max_audio_seconds", 0, low_open=True)
        check_choice(self, "backend", ("auto", "unsloth", "peft"))
        check_choice(self, "gradient_checkpointing", (True, False))
        check_choice(self, "use_rslora", (True, False))
        if not self.target_modules or not all(isinstance(t, str) for t in self.target_modules):
            raise OptionError("target_modules", f"{list(self.target_modules)!r}: a list of layer names such as q_proj")

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides) -> FinetuneOptions:
        """The settings of a YAML mapping, `overrides` (flags that were given) on top."""
        data = read_yaml_mapping(path, "fine-tune settings")
        return cls.from_dict({**data, **overrides}, where=str(path))

    @classmethod
    def from_dict(cls, data: dict, where: str = "finetune settings") -> FinetuneOptions:
        """Settings as a suite or YAML writes them: one flat mapping, where a key that is not a shared setting
        must be some model family's own (which family's is checked once the family is known)."""
        from .families import family_settings

        shared = {f.name for f in dataclasses.fields(cls)} - {"family_settings"}
        own = family_settings("training")
        unknown = set(data) - shared - set(own)
        if unknown:
            raise UserError(
                f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; known: "
                f"{', '.join(sorted(shared | set(own)))}"
            )
        data = dict(data)
        if "target_modules" in data:
            modules = data["target_modules"]
            data["target_modules"] = tuple(modules) if isinstance(modules, (list, tuple)) else (modules,)
        settings = {k: data.pop(k) for k in list(data) if k in own and data[k] is not None}
        data = {k: v for k, v in data.items() if k in shared}
        try:
            for key, value in settings.items():  # checked here too, by the first family that declares it
                own[key][0][1].check(value)
            return cls(**data, family_settings=settings)
        except OptionError as e:
            raise e.where(f"{where}: key '{e.key}' =") from None

    def to_dict(self) -> dict:
        """Every setting as one flat mapping (the family's own among the shared), as finetune.json keeps them."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "family_settings"}
        return {**shared, **self.family_settings}


@dataclass(frozen=True)
class FinetuneRecord(JsonRecord):
    """What a fine-tune used and did. A diverged one has `diverged` set and no adapter beside it."""

    FILE = "finetune.json"
    FIX = "fine-tune again with --overwrite (or into a new --out)"

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
    snapshots: list = field(
        default_factory=list
    )  # {step, path}: the adapter at every `adapter_every` steps, and the last

    def snapshot(self, step: int) -> Path | None:
        """The folder of the adapter saved at `step` (relative paths are under the fine-tune's folder)."""
        return next((Path(s["path"]) for s in self.snapshots if s["step"] == step), None)

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
    """The record of an adapter folder, of a merged checkpoint (`…/merged`, record one level up) or of an
    adapter saved along the way (`…/steps/step-N`, two levels up)."""
    adapter = Path(adapter)
    folders = [adapter, adapter.parent] + ([adapter.parent.parent] if adapter.parent.name == STEPS else [])
    for folder in folders:
        record = FinetuneRecord.read(folder)
        if record is not None:
            return record
    return None
