"""Model families behind one registry: everything model-specific lives in one module per family.

A family knows how to check and load its checkpoints, build a tiny random one, turn a dataset row
into training inputs and labels, where LoRA goes (and its LoRA defaults), how the variants build
their prompt (cloning included), how to generate codes and tell whether a row stopped by itself,
and how to decode codes to audio. The trainer (`models.train`), the synthesizer
(`benchmark.synth.model`), the runner, the sweep and the command line call the family and nothing
else of it. Adding a family is one file here and one line in FAMILIES.

    from ttsbench.models.families import family, family_of
    fam = family_of("canopylabs/orpheus-3b-0.1-ft")   # from the checkpoint's config.json
    model, processor = fam.load(path, "cpu")
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ttsbench.core.errors import OptionError, UserError
from ttsbench.core.options import Setting
from ttsbench.core.registry import Registry

log = logging.getLogger(__name__)


class CheckpointError(UserError, ValueError):
    """A base model that cannot be loaded; the message says which and how to provide it."""


@dataclass(frozen=True)
class Context:
    """A reference clip given as an earlier turn (cloning)."""

    audio: np.ndarray  # mono float32 at the family's sample rate
    text: str
    speaker: int = 0


@dataclass(frozen=True)
class Request:
    """One utterance to generate."""

    text: str
    seed: int
    max_seconds: float  # the frame cap; hitting it is a stop failure
    speaker: int = 0
    context: tuple[Context, ...] = ()  # empty: no cloning
    adapter: bool = False  # use the fine-tuned adapter
    merged: bool = False  # use the merged checkpoint of that adapter instead


@dataclass(frozen=True)
class Generated:
    audio: np.ndarray | None  # mono float32; None when generation failed
    stopped: bool | None  # ended by itself (False: hit max_seconds)
    error: str | None = None
    notes: tuple[str, ...] = ()  # what decoding had to leave out (out-of-range codes …), counted


class Family:
    """The interface every family module implements (see the module docstring)."""

    name = ""
    model_types: tuple[str, ...] = ()  # config.json `model_type`s that can be this family
    sample_rate = 24000
    frame_rate = 12.5  # codec frames per second of audio
    default_checkpoint = ""
    tiny_label = "tiny random model — pipeline check only"
    lora = {"r": 32, "lora_alpha": 16}  # LoRA defaults (FinetuneOptions fields left unset): the workshop's
    generation = {"temperature": 0.8, "top_k": 50}  # sampling defaults (GenerationOptions fields left unset)
    generation_settings: tuple[Setting, ...] = ()  # sampling settings only this family has (CSM's depth decoder …)
    training_settings: tuple[Setting, ...] = ()  # fine-tuning settings only this family has
    processor_files = (("tokenizer", ("tokenizer.json", "tokenizer_config.json")),)  # what must sit beside the weights

    def options(self, options):
        """FinetuneOptions with this family named, its LoRA defaults in the settings left unset (None) and its
        own training settings checked and filled in: the one place where the family's defaults go under the
        user's settings."""
        import dataclasses

        unset = {k: v for k, v in self.lora.items() if getattr(options, k) is None}
        own = self.own_settings(options.family_settings, self.training_settings, "fine-tuning")
        return dataclasses.replace(options, family=self.name, family_settings=own, **unset)

    def own_settings(self, given: dict, declared: tuple[Setting, ...], stage: str) -> dict:
        """`given` (setting → value) checked against the family's `declared` settings, with the defaults of
        those not given; OptionError naming a setting this family does not have."""
        known = {s.name: s for s in declared}
        for key in given:
            if key not in known:
                raise OptionError(
                    key,
                    f"{given[key]!r}: not a {stage} setting of the {self.name} family"
                    + (f" (its own: {', '.join(known)})" if known else " (it has none of its own)"),
                )
        return {name: s.check(given[name]) if given.get(name) is not None else s.default for name, s in known.items()}

    def training(self, options) -> dict:
        """This family's own training settings in FinetuneOptions `options`, defaults filled in."""
        return self.own_settings(options.family_settings, self.training_settings, "fine-tuning")

    def sampling(self, generation) -> dict:
        """The sampling settings a generation uses: the family's defaults under the ones set in
        `generation` (GenerationOptions, or None for all defaults)."""
        given = generation.sampling() if generation is not None else {}
        return {**self.generation, **{s.name: s.default for s in self.generation_settings}, **given}

    def claims(self, config: dict) -> bool:
        """Whether a checkpoint's config.json is one of this family's."""
        return config.get("model_type") in self.model_types

    # checkpoints
    def load(self, name: str, device: str, dtype=None):
        """(model, processor) of a checkpoint, on `device`, in eval mode (bf16/fp16 on CUDA, fp32 on CPU)."""
        from transformers.utils import logging

        from ..device import default_dtype

        logging.set_verbosity_error()  # configs' default sub-configs warn about token ids; not actionable
        logging.disable_progress_bar()
        try:
            model, processor = self.load_files(name, dtype or default_dtype(device), device)
        except OSError as e:
            raise CheckpointError(f"base model {name}: cannot be loaded ({str(e).splitlines()[0]})") from None
        return model.to(device).eval(), processor

    def load_files(self, name: str, dtype, device: str):
        """(model, processor) read from a checkpoint (transformers' from_pretrained)."""
        raise NotImplementedError

    def build_tiny(self, out, seed: int = 0, size: str = "tiny"):
        raise NotImplementedError

    # training
    lora_scope = r".*"  # where LoRA may go: a regex over module paths (CSM: backbone and depth decoder only)
    lora_scope_words = "the model"

    def lora_targets(self, model, modules: tuple[str, ...]) -> list[str]:
        """The full names of the linear layers in `lora_scope` named like `modules` (q_proj …).

        Full names, not suffixes: a suffix would also match layers outside the scope (a codec's),
        which never get gradients. A list (not a regex) is what both PEFT and Unsloth accept.
        """
        import re

        import torch

        pattern = re.compile(rf"^{self.lora_scope}\.({'|'.join(modules)})$")
        names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and pattern.match(n)]
        if not names:
            raise UserError(
                f"target_modules {list(modules)}: no such linear layers in {self.lora_scope_words}; use "
                "names like q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"
            )
        return names

    def row_size(self, row, processor) -> tuple[int, int, int]:
        """(text tokens, audio positions, audio frames) of a training row."""
        raise NotImplementedError

    def fit_rows(self, rows, processor, max_audio_seconds: float, max_positions: int):
        """(rows that fit, rows filtered with the reason, the lengths computed from the data)."""
        keep, filtered, text_lengths, frames = [], [], [], []
        for r in rows:
            seconds = round(len(r.audio) / self.sample_rate, 2)
            n_text, n_audio, n_frames = self.row_size(r, processor)
            reason = (
                f"longer than max_audio_seconds {max_audio_seconds:g}"
                if len(r.audio) / self.sample_rate > max_audio_seconds
                else "empty text"
                if not r.text
                else f"{n_text + n_audio} tokens exceed the model's {max_positions} positions"
                if n_text + n_audio > max_positions
                else None
            )
            if reason:
                filtered.append({"clip_id": r.clip_id, "seconds": seconds, "reason": reason})
            else:
                keep.append(r)
                text_lengths.append(n_text)
                frames.append(n_frames)
        lengths = {
            "max_text_tokens": max(text_lengths, default=0),
            "max_audio_frames": max(frames, default=0),
            "max_audio_seconds": round(max((len(r.audio) for r in keep), default=0) / self.sample_rate, 2),
        }
        return keep, filtered, lengths

    def train_dataset(self, rows, processor, options):
        raise NotImplementedError

    def eval_dataset(self, rows, processor, options):
        return self.train_dataset(rows, processor, options)

    def collate(self, features: list[dict], processor, dtype=None) -> dict:
        raise NotImplementedError

    def check_extra(self, checkpoint: str) -> None:
        """More than the checkpoint's own files (a codec from elsewhere …); raise CheckpointError."""

    def after_lora(self, model) -> None:
        """Fix-ups once LoRA (and gradient checkpointing) is on; nothing by default."""

    def unsloth_load(self, name: str, max_seq_length: int):
        raise NotImplementedError

    def max_positions(self, model) -> int:
        return int(model.config.max_position_embeddings)

    # generation
    def weights_per_frame(self, model) -> int:
        """How many weights generating one audio frame reads, each as often as a token step uses it (the
        embedding tables are looked up, not read whole): with the device's memory bandwidth, the limit of
        generation at small batch, where reading the weights is all the time."""
        raise NotImplementedError

    timing: dict | None = None  # set to {} to have generate() add up its seconds per phase (codes, decode)

    def generate(self, model, processor, requests: list[Request], generation, device: str) -> list[Generated]:
        raise NotImplementedError

    def timed(self, phase: str, device: str):
        """A context that adds the seconds it took to `self.timing[phase]` (CUDA synchronised) when timing."""
        return _Timer(self.timing, phase, device)


class _Timer:
    def __init__(self, timing, phase, device):
        self.timing, self.phase, self.cuda = timing, phase, str(device).startswith("cuda")

    def _sync(self):
        if self.cuda and self.timing is not None:
            import torch

            torch.cuda.synchronize()

    def __enter__(self):
        import time

        self._sync()
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        import time

        self._sync()
        if self.timing is not None:
            self.timing[self.phase] = self.timing.get(self.phase, 0.0) + time.perf_counter() - self.start


FAMILIES: Registry[Family] = Registry(
    "model family",
    Family,
    {"csm": "ttsbench.models.families.csm:Csm", "orpheus": "ttsbench.models.families.orpheus:Orpheus"},
    group="ttsbench.families",
)


def family(name: str) -> Family:
    return FAMILIES.get(name)()


def family_settings(stage: str) -> dict[str, list[tuple[str, Setting]]]:
    """Setting name → [(family, its Setting)] over every registered family, for `stage` "generation" or
    "training" (the command line's flags and the suite's keys); a family that fails to load is left out
    (the registry says why)."""
    out: dict[str, list[tuple[str, Setting]]] = {}
    for name in FAMILIES:
        try:
            fam = FAMILIES.get(name)
        except UserError as e:  # a broken plug-in: one line, logged; the built-in families go on
            if str(e) not in FAMILIES.problems:
                FAMILIES.problems.append(str(e))
                log.warning(str(e))
            continue
        for s in fam.generation_settings if stage == "generation" else fam.training_settings:
            out.setdefault(s.name, []).append((name, s))
    return out


def family_of(name: str) -> Family:
    """The family of a checkpoint (folder or cached Hub id), from its config.json."""
    from ttsbench.core.hub import is_local, model_file

    path = model_file(str(name), "config.json")
    if path is None and not is_local(str(name)):  # a Hub id not cached yet: its config alone, when there is network
        try:
            from huggingface_hub import hf_hub_download

            path = Path(hf_hub_download(str(name), "config.json"))
        except Exception:  # offline, gated, unknown id: said below
            path = None
    if path is None:
        raise CheckpointError(
            f"base model {name}: no config.json (not a saved model, or not in the Hugging Face "
            f"cache); pass a checkpoint folder or a cached Hub id"
        )
    return family_claiming(json.loads(path.read_text()), f"base model {name}")


def family_claiming(config: dict, what: str) -> Family:
    """The family whose `claims` accepts a model's config (as a dict); CheckpointError naming `what` if none."""
    for key in FAMILIES:
        fam = family(key)
        if fam.claims(config):
            return fam
    raise CheckpointError(
        f"{what}: config.json says model_type {config.get('model_type')!r}, which no model family "
        f"claims (known: {', '.join(sorted(FAMILIES))}); pass a checkpoint of one of them"
    )
