"""Sesame CSM (`sesame/csm-1b`, `unsloth/csm-1b`): transformers' `CsmForConditionalGeneration` + Mimi.

Everything CSM-specific: loading, the tiny random builder (`Csm().build_tiny`), the conversation
format (`[speaker]text` turns, audio after each earlier turn), training inputs with labels for the
backbone and the depth decoder, LoRA on the backbone and depth decoder (never Mimi), generation
(12.5 frames/s; a row stops at its first all-EOS frame) and decoding with Mimi.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ttsbench.core.errors import UserError
from ttsbench.core.hub import MARKER
from ttsbench.core.options import Setting

from . import Family, Generated
from .decode import StepLoop

CSM_SAMPLE_RATE = 24_000  # Mimi, CSM's codec, works at 24 kHz
CSM_FRAME_RATE = 12.5  # Mimi frames per second: CSM's audio tokens
TINY_LABEL = "tiny random model — pipeline check only"
SIZED_LABEL = "random model of CSM-1B's size — speed and memory only"

# The CSM-1B conversation format: each turn is `<bos>[speaker]text<eos>`, followed by its audio
# frames when it has audio; the last turn (what to say) has no audio.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if not (message['role'] is string and message['role'].isdigit()) -%}"
    "{{ raise_exception(\"a turn's role is its speaker id as a string of digits, e.g. '0'\") }}{%- endif -%}"
    "{%- set texts = message['content'] | selectattr('type', 'equalto', 'text') | list -%}"
    "{%- set audios = message['content'] | selectattr('type', 'equalto', 'audio') | list -%}"
    "{%- if texts | length != 1 -%}{{ raise_exception('each turn needs exactly one text item') }}{%- endif -%}"
    "{%- if audios | length > 1 or (not loop.last and audios | length != 1) -%}"
    "{{ raise_exception('each turn but the last needs exactly one audio item') }}{%- endif -%}"
    "{{- bos_token + '[' + message['role'] + ']' + texts[0]['text'] + eos_token -}}"
    "{%- if audios -%}{{- '<|AUDIO|><|audio_eos|>' -}}{%- endif -%}"
    "{%- endfor -%}"
)


class Csm(Family):
    name = "csm"
    model_types = ("csm",)
    sample_rate = CSM_SAMPLE_RATE
    frame_rate = CSM_FRAME_RATE
    default_checkpoint = "sesame/csm-1b"
    generation = {"temperature": 0.8, "top_k": 50}  # the workshop's
    generation_settings = (
        Setting("depth_decoder_temperature", 0.6, "the depth decoder's sampling temperature", 0, 10),
        Setting("depth_decoder_top_p", 0.9, "the depth decoder's nucleus (top-p) sampling", 0, 1, low_open=True),
    )
    training_settings = (
        Setting(
            "depth_decoder_frames",
            1.0,
            "fraction of frames the depth decoder trains on (Sesame: 1/16)",
            0,
            1,
            low_open=True,
        ),
    )
    processor_files = (
        ("tokenizer", ("tokenizer.json", "tokenizer_config.json")),
        ("processor", ("processor_config.json", "preprocessor_config.json")),
    )
    lora_scope = r"(backbone_model|depth_decoder)\..*"  # never Mimi: its layers would get no gradient
    lora_scope_words = "the backbone or depth decoder"

    def load_files(self, name: str, dtype, device: str):
        from transformers import AutoProcessor, CsmForConditionalGeneration

        return CsmForConditionalGeneration.from_pretrained(name, dtype=dtype), AutoProcessor.from_pretrained(name)

    def build_tiny(self, out, seed: int = 0, size: str = "tiny"):
        return build_tiny_csm(out, seed, size)

    def row_size(self, row, processor):
        n_text = len(processor.tokenizer(f"[{row.speaker}]{row.text}", add_special_tokens=False).input_ids) + 2
        frames = math.ceil(len(row.audio) / CSM_SAMPLE_RATE * CSM_FRAME_RATE) + 1  # + the audio-EOS frame
        return n_text, frames, frames

    def train_dataset(self, rows, processor, options):
        return TurnDataset(rows, processor, self.training(options)["depth_decoder_frames"])

    def eval_dataset(self, rows, processor, options):
        return TurnDataset(rows, processor)

    def collate(self, features, processor, dtype=None):
        return collate(features, processor.tokenizer.pad_token_id, dtype)

    def after_lora(self, model) -> None:
        release_depth_decoder_inputs(model)

    def unsloth_load(self, name: str, max_seq_length: int):
        from transformers import CsmForConditionalGeneration
        from unsloth import FastModel

        model, processor = FastModel.from_pretrained(
            model_name=name,
            auto_model=CsmForConditionalGeneration,
            dtype=None,
            load_in_4bit=False,
            max_seq_length=max_seq_length,
        )
        if not hasattr(processor, "feature_extractor"):  # some Unsloth versions hand back only the tokenizer
            from transformers import AutoProcessor

            processor = AutoProcessor.from_pretrained(name)
        return model, processor

    def weights_per_frame(self, model) -> int:
        """The backbone and codebook 0's head once; the depth decoder (and its input projection and one
        codebook head) once per depth step, 31 on CSM-1B."""
        net = model.get_base_model() if hasattr(model, "get_base_model") else model
        depth = net.depth_decoder
        once = _count(net.backbone_model.layers, net.backbone_model.norm, net.lm_head)
        per_step = _count(depth.model.layers, depth.model.norm, depth.model.inputs_embeds_projector)
        return once + (net.config.num_codebooks - 1) * (per_step + depth.codebooks_head.weight[0].numel())

    def generate(self, model, processor, requests, generation, device: str) -> list[Generated]:
        """One group (same model, seeded by the caller): each row to its own cap or stop, decoded in batches.

        `generation["engine"]`: `fast` (ours: static caches, no host sync inside a frame, rows stop on
        their own; `generation["compile"]` compiles its per-frame work) or `transformers` (its
        `generate()`: every row runs to the longest cap).
        """
        import torch

        conversations = [conversation_for(r) for r in requests]
        inputs = processor.apply_chat_template(conversations, tokenize=True, return_dict=True)
        inputs = {k: v.to(device) for k, v in inputs.items()}
        caps = [max(1, int(round(r.max_seconds * CSM_FRAME_RATE))) for r in requests]
        g = generation or {}
        sampling = {k: g[k] for k in SAMPLING if g.get(k) is not None}
        with torch.inference_mode():
            with self.timed("codes", device):
                if g.get("engine", "fast") == "fast":
                    codes = fast_generate(
                        model,
                        inputs,
                        caps,
                        sampling,
                        check_every=1 if device == "cpu" else 8,
                        compile=bool(g.get("compile")),
                        graphs=bool(g.get("cuda_graphs", True)),
                        stats=self.timing,
                    )
                else:
                    codes = model.generate(
                        **inputs, max_new_tokens=max(caps), do_sample=True, depth_decoder_do_sample=True, **sampling
                    )
            with self.timed("decode", device):
                return decode_rows(model, codes, caps)


SAMPLING = ("temperature", "top_k", "depth_decoder_temperature", "depth_decoder_top_p")


def _count(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def processors_for(net, sampling: dict, sample: bool):
    """The logits processors transformers' generate() builds for the backbone and the depth decoder."""
    from .decode import processors

    config, _ = net._prepare_generation_config(None, do_sample=sample, depth_decoder_do_sample=sample, **sampling)
    return [processors(net, config), processors(net.depth_decoder, net.depth_decoder.generation_config)]


def fast_generate(
    model,
    inputs: dict,
    caps: list[int],
    sampling: dict,
    sample: bool = True,
    check_every: int = 1,
    compile: bool = False,
    graphs: bool = True,
    stats: dict | None = None,
):
    """CSM's decode loop on transformers' modules: codes (B, T, codebooks), T up to the largest cap.

    The same computation as `CsmForConditionalGeneration.generate` (left-padded rows, RoPE positions
    from the attention mask, the backbone's last hidden state into the depth decoder, a frame ends a
    row when all but its last codebook are the end code), with both stacks on static caches and the
    depth decoder's steps unrolled with sampling on the device. A row is done at its end frame or its
    cap; the loop looks at that every `check_every` frames (a host sync) and ends when all are done.
    Rows past their end keep generating (their frames are cut by `decode_rows`), as in transformers.
    `compile`: the per-frame work compiled (see `FastLoop`). `graphs`: on CUDA, replay each frame as one
    captured graph (False: launch its kernels one by one, for comparison). `stats`, when given, gains
    `capture` (seconds spent capturing graphs in this call).
    """
    net = model.get_base_model() if hasattr(model, "get_base_model") else model
    ids = inputs["input_ids"]
    embeds = net._merge_input_ids_with_input_values(
        ids, inputs.get("input_values"), inputs.get("input_values_cutoffs")
    )["inputs_embeds"]
    loop = FastLoop.get(
        net, ids.shape[0], ids.shape[1] + max(caps), embeds.dtype, ids.device, sampling, sample, compile, graphs
    )
    captured = sum(loop.capture_seconds.values())
    codes = loop.run(embeds, inputs["attention_mask"], caps, check_every)
    if stats is not None:
        stats["capture"] = stats.get("capture", 0.0) + sum(loop.capture_seconds.values()) - captured
    return codes


class FastLoop(StepLoop):
    """CSM's fast engine (a `decode.StepLoop`) for one model, batch size, cache length, dtype, device and
    sampling settings. Made once per shape: both stacks' static caches (the backbone is the loop's `stack`),
    the RoPE tables, the masks of the depth decoder's steps, the logits processors, and the state a frame
    reads and writes — the loop's own, and the codes so far.

    A frame is one `step`: the codebook-0 head and its draw, the depth decoder's steps unrolled with a draw
    each, the frame written into the codes, the validity mask and positions advanced, one backbone step.
    """

    def __init__(
        self,
        net,
        batch: int,
        length: int,
        dtype,
        device,
        sampling: dict,
        sample: bool,
        compile: bool,
        graphs: bool = True,
    ):
        import torch

        from .decode import Rotary, Stack, StaticKV

        self.sample = sample
        depth = net.depth_decoder
        buffers = self.allocate(net.backbone_model, batch, length, dtype, device)  # the backbone: `stack`
        self.depth = Stack(depth.model)
        self.books, self.vocab = net.config.num_codebooks, depth.config.vocab_size
        self.depth_kv = StaticKV(depth.config, batch, self.books, dtype, device)
        self.depth_slots = torch.arange(self.books, device=device)
        self.depth_rotary = Rotary(depth.model, self.books, dtype, device)
        causal = (self.depth_slots[:, None] >= self.depth_slots[None, :])[None, None]
        self.codes = torch.zeros(batch, length, self.books, dtype=torch.long, device=device)  # the frames so far
        self.eos = net.config.codebook_eos_token_id
        # per depth-decoder step: (cache slots, RoPE, mask) of positions first…last-1 — 0…1 (the hidden
        # state and codebook 0), then i + 1 for codebook i
        spans = [(0, 2)] + [(i, i + 1) for i in range(2, self.books)]
        self.depth_steps = {
            a: (self.depth_slots[a:b], self.depth_rotary.at(self.depth_slots[None, a:b]), causal[:, :, a:b])
            for a, b in spans
        }
        self.head_processors, self.depth_processors = processors_for(net, sampling, sample)
        self.setup(
            net,
            device,
            compile,
            graphs,
            buffers + [self.depth_slots, self.depth_rotary.cos, self.depth_rotary.sin, causal, self.codes],
        )

    def refresh(self) -> None:
        """The modules as they are now (an adapter may have been added or merged since the last call)."""
        net, depth = self.net, self.net.depth_decoder
        self.stack.refresh()
        self.depth.refresh()
        self.lm_head, self.embed_frame = net.lm_head, net.backbone_model.embed_tokens
        self.project, self.embed = depth.model.inputs_embeds_projector, depth.model.embed_tokens
        self.heads = depth.codebooks_head

    def _depth_step(self, inputs, first: int):
        """The depth decoder on its positions from `first` (see `depth_steps`); its last hidden state."""
        return self.depth(self.project(inputs), self.depth_kv, *self.depth_steps[first])[:, -1]

    def _frame(self, hidden):
        """One frame's codes (B, codebooks) from the backbone's last hidden state (B, D)."""
        import torch

        from .decode import pick

        embed, heads = self.embed, self.heads.weight  # codebook i's head: heads[i - 1]
        codes = [pick(self.lm_head(hidden), self.head_processors, self.sample)]
        y = self._depth_step(torch.stack([hidden, embed(codes[0])], dim=1), 0)
        for i in range(1, self.books):
            codes.append(pick(torch.nn.functional.linear(y, heads[i - 1].T), self.depth_processors, self.sample))
            if i < self.books - 1:  # its token goes in at slot i + 1, offset by i codebooks
                y = self._depth_step(embed(codes[-1] + i * self.vocab)[:, None], i + 1)
        return torch.stack(codes, dim=-1)

    def step(self) -> None:
        """One frame, from the loop's state to the loop's state: the frame is drawn from `hidden`, written at
        `codes[:, t]`, rows that end (all but the last codebook the end code) or reach their cap are marked
        done, and the backbone takes the frame at cache slot `start + t` (which becomes visible in `valid`)
        to give the next `hidden`."""
        frame = self._frame(self.hidden)
        self.codes.index_copy_(1, self.t, frame[:, None])
        slot = self.start + self.t
        self.t.add_(1)
        self.done.logical_or_((frame[:, :-1] == self.eos).all(-1) | (self.t >= self.caps))
        self.valid.index_fill_(1, slot, True)
        hidden = self.stack(
            self.embed_frame(frame[:, None]), self.kv, slot, self.rotary.at(self.position), self.valid[:, None, None, :]
        )[:, -1]
        self.hidden.copy_(hidden)
        self.position.add_(1)

    def run(self, embeds, attention, caps: list[int], check_every: int):
        """Codes (B, T, codebooks) for a prompt of input embeddings and its attention mask (left-padded)."""
        return self.codes[:, : self.generate(embeds, attention, caps, check_every)].clone()


def decode_rows(model, codes, caps: list[int], frames_per_call: int = 4096) -> list[Generated]:
    """Every row of generated frames → audio, cut at its first end frame or its cap; Mimi on batches of rows.

    Mimi is causal, so a row decoded beside longer rows (its own later frames included) gives the
    audio of its first frames; rows go to the codec in chunks of about `frames_per_call` frames.
    """
    import torch

    net = model.get_base_model() if hasattr(model, "get_base_model") else model
    eos = net.config.codebook_eos_token_id
    ends, out = [], [None] * len(caps)
    for b, cap in enumerate(caps):
        row = codes[b]
        hits = (row[:, :-1] == eos).all(dim=-1).nonzero()
        end = int(hits[0, 0]) if len(hits) else row.shape[0]
        ends.append((min(end, cap), end < cap))
    todo = [b for b, (n, _) in enumerate(ends) if n > 0]
    for b, (n, _) in enumerate(ends):
        if n == 0:
            out[b] = Generated(None, True, "the model stopped before its first audio frame")
    per_call = max(1, frames_per_call // max(1, max((ends[b][0] for b in todo), default=1)))
    for start in range(0, len(todo), per_call):
        rows = todo[start : start + per_call]
        width = max(ends[b][0] for b in rows)
        with torch.inference_mode():
            audio = net.codec_model.decode(codes[rows, :width].transpose(1, 2)).audio_values[:, 0]
        step = audio.shape[-1] // width  # samples per frame
        for k, b in enumerate(rows):
            n, stopped = ends[b]
            out[b] = Generated(audio[k, : n * step].float().cpu().numpy().astype(np.float32), stopped)
    return out


def conversation_for(r) -> list[dict]:
    """The chat turns for one request: reference turns (cloning), then the prompt."""
    turns = [
        {
            "role": str(c.speaker),
            "content": [{"type": "text", "text": c.text}, {"type": "audio", "audio": np.asarray(c.audio, np.float32)}],
        }
        for c in r.context
    ]
    return turns + [{"role": str(r.speaker), "content": [{"type": "text", "text": r.text}]}]


def conversation(row) -> list[dict]:
    return [
        {
            "role": str(row.speaker),
            "content": [{"type": "text", "text": row.text}, {"type": "audio", "audio": row.audio}],
        }
    ]


class TurnDataset:
    """Rows → processor features (one turn each); labels for the depth decoder on `frames` of frames."""

    def __init__(self, rows, processor, depth_decoder_frames: float = 1.0):
        self.rows, self.processor, self.ratio = rows, processor, depth_decoder_frames

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        enc = self.processor.apply_chat_template(
            conversation(self.rows[i]),
            tokenize=True,
            return_dict=True,
            processor_kwargs={"output_labels": True, "depth_decoder_labels_ratio": self.ratio},
        )
        return {k: v[0] for k, v in enc.items()}


def collate(features: list[dict], pad_id: int, dtype=None) -> dict:
    """Right-pad a batch to its longest row: text with the pad id (label -100), audio with zeros."""
    import torch

    n = max(len(f["input_ids"]) for f in features)
    samples = max(f["input_values"].shape[-1] for f in features)
    cuts = max(len(f["input_values_cutoffs"]) for f in features)

    def pad(t, size, value):
        return torch.nn.functional.pad(t, (0, size - t.shape[-1]), value=value)

    return {
        "input_ids": torch.stack([pad(f["input_ids"], n, pad_id) for f in features]),
        "attention_mask": torch.stack([pad(f["attention_mask"], n, 0) for f in features]),
        "labels": torch.stack([pad(f["labels"], n, -100) for f in features]),
        "input_values": torch.stack([pad(f["input_values"], samples, 0.0) for f in features]).to(dtype),  # the codec's
        "input_values_cutoffs": torch.stack([pad(f["input_values_cutoffs"], cuts, -1) for f in features]),
    }


def release_depth_decoder_inputs(model) -> int:
    """Undo the input-grad hook on the depth decoder's embeddings; returns how many were removed.

    With frozen weights and gradient checkpointing, transformers (and PEFT, Unsloth) hook every
    input-embedding layer so that its output `requires_grad_(True)`: reentrant checkpoints need an
    input that requires grad. That makes the depth decoder's token embeddings a *leaf* tensor, into
    which CSM's depth decoder then writes the backbone's last hidden state in place
    (`inputs_embeds[:, 0] = backbone_last_hidden_state`) — "a view of a leaf Variable that requires
    grad is being used in an in-place operation". The hook is not needed there: that hidden state
    comes from the backbone's LoRA layers and already carries the gradient into the depth decoder.
    The backbone keeps its hook.
    """
    net = model.get_base_model() if hasattr(model, "get_base_model") else model
    embeddings = net.depth_decoder.get_input_embeddings()
    hooks = embeddings._forward_hooks
    doomed = [k for k, fn in hooks.items() if "require" in getattr(fn, "__name__", "") and "grad" in fn.__name__]
    for k in doomed:
        del hooks[k]
    return len(doomed)


def build_tiny_csm(out: str | Path, seed: int = 0, size: str = "tiny") -> Path:
    """A random CSM of ~300 k parameters with its processor, saved like a real checkpoint.

    `size="1b"` builds CSM-1B's configuration instead (1.77 B parameters, saved in bf16; see
    `csm_config`): the compute and memory of the real weights, for GPU speed and memory benchmarks.

    Mimi keeps 24 kHz, 12.5 frames/s and upsampling ratios [8, 6, 5, 4] (the processor computes
    audio-token counts from those strides); CSM's codebook vocabulary equals Mimi's codebook
    size, so any generated code decodes.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    out = Path(out)
    special = ["<|begin_of_text|>", "<|end_of_text|>", "<|AUDIO|>", "<|audio_eos|>", "<|pad|>"]
    # Byte-level BPE without merges: every text encodes, and nothing needs training data.
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    raw = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.add_special_tokens(special)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, bos_token=special[0], eos_token=special[1], pad_token=special[4]
    )
    ids = {s: tokenizer.convert_tokens_to_ids(s) for s in special}
    if size not in ("tiny", "1b"):
        raise UserError(f"--size {size!r}: use tiny or 1b")
    config = csm_config(size, ids, len(tokenizer))
    if size == "1b":
        return _save_random(config, tokenizer, out, seed, SIZED_LABEL, torch.bfloat16)
    return _save_random(config, tokenizer, out, seed, TINY_LABEL, torch.float32)  # CPU tests: fp32


def csm_config(size: str, ids: dict, text_vocab: int):
    """The CsmConfig of a random model; `ids` maps the special tokens to this tokenizer's ids.

    "1b" is CSM-1B's default configuration except the codebook vocabulary: 2048 (Mimi's codebook
    size, a power of two) instead of 2051, so every code a random model samples decodes; that is
    0.5 M of 1,766 M parameters, the same compute.
    """
    from transformers import CsmConfig

    tokens = dict(
        bos_token_id=ids["<|begin_of_text|>"],
        pad_token_id=ids["<|pad|>"],
        audio_token_id=ids["<|AUDIO|>"],
        audio_eos_token_id=ids["<|audio_eos|>"],
    )
    if size == "1b":
        return CsmConfig(
            **tokens,
            vocab_size=2048,
            codebook_pad_token_id=2047,
            depth_decoder_config={"vocab_size": 2048},
            codec_config={"model_type": "mimi", "num_quantizers": 32},
        )
    codebooks, codebook_size = 4, 32
    codec = dict(
        model_type="mimi",
        sampling_rate=CSM_SAMPLE_RATE,
        frame_rate=12.5,
        audio_channels=1,
        upsampling_ratios=[8, 6, 5, 4],
        hidden_size=16,
        num_filters=4,
        num_residual_layers=1,
        codebook_size=codebook_size,
        codebook_dim=16,
        vector_quantization_hidden_dimension=16,
        upsample_groups=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        intermediate_size=32,
        sliding_window=16,
        num_quantizers=codebooks,
        num_semantic_quantizers=1,
    )
    depth = dict(
        num_codebooks=codebooks,
        backbone_hidden_size=64,
        vocab_size=codebook_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=codebooks + 1,
    )
    return CsmConfig(
        **tokens,
        num_codebooks=codebooks,
        vocab_size=codebook_size,
        text_vocab_size=text_vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        codebook_eos_token_id=0,
        codebook_pad_token_id=codebook_size - 1,
        depth_decoder_config=depth,
        codec_config=codec,
    )


def _save_random(config, tokenizer, out: Path, seed: int, label: str, dtype) -> Path:
    import torch
    from transformers import CsmForConditionalGeneration, CsmProcessor, EncodecFeatureExtractor

    torch.manual_seed(seed)
    model = CsmForConditionalGeneration(config)
    _randomise_codec(model.codec_model)
    processor = CsmProcessor(
        EncodecFeatureExtractor(feature_size=1, sampling_rate=CSM_SAMPLE_RATE), tokenizer, chat_template=CHAT_TEMPLATE
    )
    out.mkdir(parents=True, exist_ok=True)
    model.to(dtype).save_pretrained(out)
    processor.save_pretrained(out)
    n = sum(p.numel() for p in model.parameters())
    n += sum(b.numel() for name, b in model.named_buffers() if name.endswith("embed_sum"))
    (out / MARKER).write_text(json.dumps({"label": label, "parameters": n, "seed": seed}, indent=1) + "\n")
    return out


def _randomise_codec(codec) -> None:
    """Give a fresh Mimi distinct codebook vectors and a quiet output.

    A new Mimi's codebooks are all zeros: every code would decode to the same sound and every
    clip would encode to code 0, which is CSM's end-of-audio code — training on it teaches the
    model to stop, and cloning contexts would be all end frames. The decoder's last layer is
    scaled so random codes decode to audio well inside [-1, 1] instead of clipping.
    """
    import torch

    with torch.no_grad():
        for name, buffer in codec.named_buffers():
            if name.endswith("codebook.embed_sum"):
                buffer.normal_()
        last = [m for m in codec.decoder.modules() if isinstance(m, torch.nn.Conv1d)][-1]
        codes = torch.randint(0, codec.config.codebook_size, (1, codec.config.num_quantizers, 25))
        scale = 0.1 / float(codec.decode(codes).audio_values.std())
        last.weight.mul_(scale)
        if last.bias is not None:
            last.bias.mul_(scale)
