"""Sesame CSM through transformers' `CsmForConditionalGeneration`, with an optional fine-tune.

Suite keys under `model:`: `checkpoint` (Hub id or folder), `device` (auto, cpu, cuda…),
`speaker_id`. The suite's `adapter:` is a PEFT adapter folder (one model in memory; base variants
run with the adapter disabled) or a merged checkpoint (a second model); its `merged:` (the merged
16-bit checkpoint of that adapter) serves the `merged` rows as a model of its own.

Variants map to requests: `cloned` puts the reference clip(s) and their text before the prompt
as earlier conversation turns; `finetuned` switches the adapter on. Requests are generated in
batches grouped by (model: base, adapter or merged; seed), each group after `torch.manual_seed(seed)`: the same suite
gives the same audio (its batches are the same), and `generation: {batch_size: 1}` makes each
(prompt, seed) exact on its own — batched sampling draws for all rows at once. Every row generates up to the longest cap in its batch and is then
cut at its own cap: generation is causal, so a row's first N frames do not depend on how long the
batch runs. A row whose frames never reach the all-EOS frame within its cap is a stop failure.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from dataprep.constants import CSM_FRAME_RATE

from . import Generated, Synth



class CsmSynth(Synth):
    def __init__(self, model, adapter=None, generation=None, merged=None):
        super().__init__(model, adapter, generation, merged)
        import torch

        from finetune.model import load_csm, resolve_device

        self._torch = torch
        self.device = resolve_device(str(model.get("device", "auto")))
        self.net, self.processor = load_csm(model.get("checkpoint", "sesame/csm-1b"), self.device)
        self.tuned = None  # the model for finetuned variants
        if adapter is not None:
            adapter = Path(adapter)
            if (adapter / "adapter_config.json").is_file():
                from peft import PeftModel

                self.net = PeftModel.from_pretrained(self.net, str(adapter)).eval()
                self.tuned = self.net
            elif (adapter / "config.json").is_file():  # a merged checkpoint
                self.tuned, _ = load_csm(adapter, self.device)
            else:
                from dataprep.errors import UserError

                raise UserError(f"adapter {adapter}: neither a PEFT adapter (adapter_config.json) nor a merged "
                                "checkpoint (config.json); pass the folder `ttsbench finetune --out` wrote")
        self.merged_net = load_csm(merged, self.device)[0] if merged is not None else None  # merged rows

    @classmethod
    def availability(cls, model: dict) -> tuple[bool, str, str]:
        from finetune.model import CheckpointError, check_checkpoint, checkpoint_label

        name = str(model.get("checkpoint", "sesame/csm-1b"))
        try:
            check_checkpoint(name)
        except CheckpointError as e:
            return False, str(e), ""
        label = checkpoint_label(name)
        return True, f"CSM {name}" + (f" [{label}]" if label else ""), ""

    @classmethod
    def describe(cls, model: dict) -> str:
        from finetune.model import checkpoint_label

        return checkpoint_label(model.get("checkpoint", ""))

    @property
    def id(self) -> str:
        return f"csm:{self.model.get('checkpoint', 'sesame/csm-1b')}"

    def generate(self, requests):
        out: list[Generated | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(("merged" if r.merged else "adapter" if r.adapter else "base", r.seed), []).append(i)
        for (which, seed), idx in groups.items():
            for i, g in zip(idx, self._generate_group([requests[i] for i in idx], which, seed)):
                out[i] = g
        return out

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

    def _generate_group(self, requests, which: str, seed: int) -> list[Generated]:
        torch = self._torch
        g = self.generation
        conversations = [self.conversation(r) for r in requests]
        inputs = self.processor.apply_chat_template(conversations, tokenize=True, return_dict=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        caps = [max(1, int(round(r.max_seconds * CSM_FRAME_RATE))) for r in requests]
        model, switch = self._model_for(which)
        sampling = {} if g is None else dict(
            temperature=g.temperature, top_k=g.top_k,
            depth_decoder_temperature=g.depth_decoder_temperature, depth_decoder_top_p=g.depth_decoder_top_p)
        torch.manual_seed(seed)
        with torch.inference_mode(), switch:
            codes = model.generate(**inputs, max_new_tokens=max(caps), do_sample=True, depth_decoder_do_sample=True,
                                   **sampling)
            return [self._decode(model, row, cap) for row, cap in zip(codes, caps)]

    def _decode(self, model, codes, cap: int) -> Generated:
        """One row of generated frames → audio, cut at the first all-EOS frame or at the cap."""
        eos = self.net.config.codebook_eos_token_id
        ends = (codes[:, :-1] == eos).all(dim=-1).nonzero()
        end = int(ends[0, 0]) if len(ends) else codes.shape[0]
        stopped = end < cap
        codes = codes[:min(end, cap)]
        if len(codes) == 0:
            return Generated(None, True, "the model stopped before its first audio frame")
        audio = model.codec_model.decode(codes.transpose(0, 1).unsqueeze(0)).audio_values[0, 0]
        return Generated(audio.float().cpu().numpy().astype(np.float32), stopped)

    def conversation(self, r) -> list[dict]:
        """The chat turns for one request: reference turns (cloning), then the prompt."""
        turns = [{"role": str(c.speaker), "content": [{"type": "text", "text": c.text},
                                                      {"type": "audio", "audio": np.asarray(c.audio, np.float32)}]}
                 for c in r.context]
        return turns + [{"role": str(r.speaker), "content": [{"type": "text", "text": r.text}]}]

