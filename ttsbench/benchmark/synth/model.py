"""A model family's checkpoint as a synthesizer, with an optional fine-tune (`csm`, `orpheus`).

Suite keys under `model:`: `backend` (the family: csm or orpheus), `checkpoint` (Hub id or folder;
its config must be of that family), `device` (auto, cpu, cuda…), `speaker_id`. The suite's
`adapter:` is a PEFT adapter folder (one model in memory; base variants run with the adapter
disabled) or a merged checkpoint (a second model); its `merged:` (the merged 16-bit checkpoint
of that adapter) serves the `merged` rows as a model of its own.

Variants map to requests: `cloned` puts the reference clip(s) and their text before the prompt
as earlier conversation turns; `finetuned` switches the adapter on. Requests are generated in
batches grouped by (model: base, adapter or merged; seed), each group after
`torch.manual_seed(seed)`: the same suite gives the same audio (its batches are the same), and
`generation: {batch_size: 1}` makes each (prompt, seed) exact on its own — batched sampling draws
for all rows at once. Every row generates up to the longest cap in its batch and is then cut at
its own cap: generation is causal, so a row's first N frames do not depend on how long the batch
runs. A row that never ends by itself within its cap is a stop failure. How prompts are built,
how codes are generated and decoded, is the family's (`models.families`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .base import Generated, Synth


class ModelSynth(Synth):
    def __init__(self, model, adapter=None, generation=None, merged=None):
        super().__init__(model, adapter, generation, merged)
        import torch

        from ttsbench.models.families import family
        from ttsbench.models.model import load_checkpoint, resolve_device

        self._torch = torch
        self.family = family(model.backend)
        self.sample_rate = self.family.sample_rate
        self.device = resolve_device(model.device)
        checkpoint = model.checkpoint or self.family.default_checkpoint
        self.net, self.processor = load_checkpoint(checkpoint, self.device, expect=self.family.name)
        self.tuned = None  # the model for finetuned variants
        if adapter is not None:
            adapter = Path(adapter)
            if (adapter / "adapter_config.json").is_file():
                from peft import PeftModel

                self.net = PeftModel.from_pretrained(self.net, str(adapter)).eval()
                self.tuned = self.net
            elif (adapter / "config.json").is_file():  # a merged checkpoint
                self.tuned, _ = load_checkpoint(adapter, self.device, expect=self.family.name)
            else:
                from ttsbench.core.errors import UserError

                raise UserError(
                    f"adapter {adapter}: neither a PEFT adapter (adapter_config.json) nor a merged "
                    "checkpoint (config.json); pass the folder `ttsbench finetune --out` wrote"
                )
        self.merged_net = (
            load_checkpoint(merged, self.device, expect=self.family.name)[0] if merged is not None else None
        )  # the merged rows

    @classmethod
    def availability(cls, model: dict) -> tuple[bool, str, str]:
        from ttsbench.models.families import CheckpointError, family
        from ttsbench.models.model import check_checkpoint, checkpoint_label

        fam = family(model.backend)
        name = model.checkpoint or fam.default_checkpoint
        try:
            check_checkpoint(name, expect=fam.name)
        except CheckpointError as e:
            return False, str(e), ""
        label = checkpoint_label(name)
        return True, f"{fam.name} {name}" + (f" [{label}]" if label else ""), ""

    @classmethod
    def describe(cls, model: dict) -> str:
        from ttsbench.models.model import checkpoint_label

        return checkpoint_label(model.checkpoint)

    @property
    def id(self) -> str:
        return f"{self.family.name}:{self.model.checkpoint or self.family.default_checkpoint}"

    def generate(self, requests):
        out: list[Generated | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(("merged" if r.merged else "adapter" if r.adapter else "base", r.seed), []).append(i)
        for (which, seed), idx in groups.items():
            model, switch = self._model_for(which)
            self._torch.manual_seed(seed)
            with switch:
                results = self.family.generate(
                    model, self.processor, [requests[i] for i in idx], self._sampling(), self.device
                )
            for i, g in zip(idx, results, strict=False):
                out[i] = g
        return out

    def _sampling(self) -> dict:
        """The suite's sampling settings over the family's defaults (a setting left unset is the family's)."""
        return self.family.sampling(self.generation)

    def _model_for(self, which: str):
        """(model, context manager) for base, adapter or merged: the adapter switched on or off."""
        if which == "merged":
            if self.merged_net is None:
                raise RuntimeError("a merged variant was asked for but the suite gives no merged checkpoint")
            return self.merged_net, contextlib.nullcontext()
        if which == "adapter":
            if self.tuned is None:
                raise RuntimeError("a finetuned variant was asked for but the suite gives no adapter")
            return self.tuned, contextlib.nullcontext()
        if self.tuned is self.net:  # PEFT: the same weights with the adapter bypassed
            return self.net, self.net.disable_adapter()
        return self.net, contextlib.nullcontext()
