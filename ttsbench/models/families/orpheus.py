"""Orpheus (`canopylabs/orpheus-3b-0.1-ft`, `unsloth/orpheus-3b-0.1-ft`): a Llama that speaks SNAC codes.

Everything Orpheus-specific. The 24 kHz SNAC codec gives three codebooks per 2,048-sample frame
(1 + 2 + 4 codes); Orpheus writes a frame as 7 tokens in its own order, each offset into its own
block of 4,096 ids after the text vocabulary (`frame_tokens`). A training row, as Unsloth's Orpheus
notebook builds it:

    start_of_human, <bos> text <eot>, end_of_human, start_of_ai, start_of_speech, 7 × frames,
    end_of_speech, end_of_ai

with the text prefixed `"{speaker}: "` for every speaker but 0. The notebook also drops each frame
whose first code repeats the previous frame's; that shortens the audio against its text, so here
it is an option (`duplicate_frames: drop`), off by default, and recorded. Generation follows the
authors' settings (temperature 0.6, top-p 0.95, repetition penalty 1.1) and stops at
end_of_speech; a row that reaches its cap first is a stop failure. Decoding crops to the speech,
trims to whole frames and *counts* the frames it drops for an out-of-range code (never clipped).
The codec comes from `snac/` inside the checkpoint when there is one (the tiny model), else from
the Hub id `hubertsiuzdak/snac_24khz` (cache or download).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ttsbench.core.errors import UserError
from ttsbench.core.hub import MARKER, model_file
from ttsbench.core.options import Setting

from . import CheckpointError, Family, Generated
from .decode import StepLoop

TEXT_VOCAB = 128256  # Llama 3's
BOS, EOT = 128000, 128009  # <|begin_of_text|>, <|eot_id|>
START_OF_SPEECH, END_OF_SPEECH = 128257, 128258
START_OF_HUMAN, END_OF_HUMAN = 128259, 128260
START_OF_AI, END_OF_AI = 128261, 128262
PAD = 128263
AUDIO = 128266  # the first audio id: code c of frame position k is AUDIO + k * 4096 + c
CODEBOOK = 4096
FRAME_SAMPLES = 2048  # 24 kHz SNAC: one coarse code per 2,048 samples
VOCAB = 156940  # Orpheus' vocabulary (text, specials, 7 × 4,096 audio ids, spare)
SNAC_REPO = "hubertsiuzdak/snac_24khz"
# frame position k → (codebook, which of its codes in the frame): Orpheus' order
LAYOUT = ((0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (2, 2), (2, 3))


def frame_tokens(codes: list[np.ndarray]) -> list[int]:
    """SNAC codes (coarse n, middle 2n, fine 4n) → Orpheus audio tokens, 7 per frame."""
    c0, c1, c2 = (np.asarray(c).reshape(-1) for c in codes)
    n = min(len(c0), len(c1) // 2, len(c2) // 4)
    layers = (c0, c1, c2)
    per = (1, 2, 4)
    return [
        int(AUDIO + k * CODEBOOK + layers[book][i * per[book] + j])
        for i in range(n)
        for k, (book, j) in enumerate(LAYOUT)
    ]


def token_codes(tokens) -> tuple[list[np.ndarray], int]:
    """Orpheus audio tokens → (SNAC codes, frames dropped for an out-of-range code).

    Trims to whole frames; a frame with any token outside its position's block is dropped and
    counted, never clipped into range.
    """
    tokens = np.asarray(tokens, np.int64).reshape(-1)
    tokens = tokens[: len(tokens) // 7 * 7].reshape(-1, 7) - AUDIO - np.arange(7) * CODEBOOK
    valid = ((tokens >= 0) & (tokens < CODEBOOK)).all(axis=1)
    frames = tokens[valid]
    layers = [[], [], []]
    for frame in frames:
        for k, (book, _) in enumerate(LAYOUT):
            layers[book].append(frame[k])
    return [np.asarray(layer, np.int64) for layer in layers], int((~valid).sum())


class OrpheusProcessor:
    """The tokenizer and the SNAC codec, handed around together as CSM's processor is."""

    def __init__(self, tokenizer, codec, device: str = "cpu", codec_source: str = SNAC_REPO):
        self.tokenizer, self.codec, self.device, self.codec_source = tokenizer, codec, device, codec_source

    def text_ids(self, text: str, speaker: int = 0) -> list[int]:
        prefix = f"{speaker}: " if speaker else ""
        return [BOS] + self.tokenizer(prefix + text, add_special_tokens=False).input_ids + [EOT]

    def encode(self, audio: np.ndarray) -> list[int]:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.asarray(audio, np.float32))[None, None].to(self.device)
            codes = self.codec.encode(x)
        return frame_tokens([c[0].cpu().numpy() for c in codes])

    def decode(self, codes: list[np.ndarray]) -> np.ndarray:
        return self.decode_many([codes])[0]

    def decode_many(self, rows: list[list[np.ndarray]]) -> list[np.ndarray]:
        """Several rows' SNAC codes → audio; rows of the same length in one codec call.

        SNAC's convolutions look both ways, so a row padded to a longer one would change its last
        samples: only rows of equal length share a call (a random model's, which all run to their
        cap, always do). The 24 kHz SNAC adds noise inside its decoder, drawn per call, so a row's
        audio varies with the draws however it is decoded; a batch draws them in another order.
        """
        import torch

        out: list[np.ndarray | None] = [None] * len(rows)
        by_length: dict[int, list[int]] = {}
        for i, codes in enumerate(rows):
            by_length.setdefault(len(codes[0]), []).append(i)
        for members in by_length.values():
            with torch.inference_mode():
                audio = self.codec.decode(
                    [torch.from_numpy(np.stack([rows[i][book] for i in members])).to(self.device) for book in range(3)]
                )
            for k, i in enumerate(members):
                out[i] = audio[k, 0].float().cpu().numpy().astype(np.float32)
        return out

    def save_pretrained(self, path) -> None:
        """The tokenizer; and the codec too when it came bundled (a tiny model's), so the copy loads alone."""
        import shutil

        self.tokenizer.save_pretrained(path)
        if Path(self.codec_source).is_dir() and Path(self.codec_source).resolve() != (Path(path) / "snac").resolve():
            shutil.copytree(self.codec_source, Path(path) / "snac", dirs_exist_ok=True)

    def push_to_hub(self, *args, **kwargs):
        return self.tokenizer.push_to_hub(*args, **kwargs)


def codec_source(checkpoint: str) -> str:
    """Where a checkpoint's codec loads from: its own `snac/` folder, else hubertsiuzdak/snac_24khz."""
    bundled = model_file(checkpoint, "snac/config.json")
    return str(bundled.parent) if bundled is not None else SNAC_REPO


def load_snac(checkpoint: str, device: str):
    """The SNAC codec for a checkpoint (see `codec_source`)."""
    try:
        from snac import SNAC
    except ImportError:
        raise CheckpointError("Orpheus needs the SNAC codec package: pip install snac") from None
    source = codec_source(checkpoint)
    try:
        return SNAC.from_pretrained(source).to(device).eval()
    except Exception as e:  # hub errors when offline come in many kinds
        raise CheckpointError(
            f"SNAC codec {source}: cannot be loaded ({type(e).__name__}); on a machine with "
            f"network run `hf download {SNAC_REPO}` and copy the cache"
        ) from None


class Orpheus(Family):
    name = "orpheus"
    model_types = ("llama",)
    sample_rate = 24000
    frame_rate = 24000 / FRAME_SAMPLES  # SNAC frames (7 tokens each)
    default_checkpoint = "canopylabs/orpheus-3b-0.1-ft"
    lora = {"r": 64, "lora_alpha": 64}  # Unsloth's Orpheus notebook
    generation = {"temperature": 0.6, "top_p": 0.95}  # the authors'
    generation_settings = (
        Setting("repetition_penalty", 1.1, "penalty on tokens already generated, per row", 0, 10, low_open=True),
    )
    training_settings = (
        Setting(
            "duplicate_frames",
            "keep",
            "drop removes frames whose first code repeats (Unsloth's notebook); keep trains on every frame",
            choices=("keep", "drop"),
        ),
    )
    processor_files = (("tokenizer", ("tokenizer.json", "tokenizer_config.json")),)
    lora_scope = r"(.*\.)?layers\.\d+\..*"  # every decoder layer, not the embeddings or the output layer
    lora_scope_words = "the language model's layers"

    def claims(self, config: dict) -> bool:
        return config.get("model_type") == "llama" and int(config.get("vocab_size", 0)) >= AUDIO + 7 * CODEBOOK

    def check_extra(self, checkpoint: str) -> None:
        """The SNAC package, and the codec's weights (bundled, cached, or downloadable)."""
        import importlib.util

        from ttsbench.core.hub import hub_file

        if importlib.util.find_spec("snac") is None:
            raise CheckpointError("Orpheus needs the SNAC codec package: pip install snac")
        if model_file(checkpoint, "snac/config.json") is None and hub_file(SNAC_REPO, "config.json") is None:
            import os

            if os.environ.get("HF_HUB_OFFLINE") == "1":
                raise CheckpointError(
                    f"SNAC codec {SNAC_REPO}: not in the Hugging Face cache; on a machine with "
                    f"network run `hf download {SNAC_REPO}` and copy the cache"
                )

    def load_files(self, name: str, dtype, device: str):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype)
        return model, OrpheusProcessor(tokenizer, load_snac(name, device), device, codec_source(name))

    def build_tiny(self, out, seed: int = 0, size: str = "tiny"):
        if size not in ("tiny", "3b"):
            raise UserError(f"--size {size!r}: Orpheus has a tiny random model and one of Orpheus-3B's size (3b)")
        return build_tiny_orpheus(out, seed, size)

    def row_size(self, row, processor):
        frames = math.ceil(len(row.audio) / FRAME_SAMPLES)
        return len(processor.text_ids(row.text, row.speaker)), 7 * frames + 6, frames  # + the 6 special ids

    def train_dataset(self, rows, processor, options):
        """Rows encoded once (SNAC codes are the same every epoch) into Unsloth's notebook layout."""
        drop = self.training(options)["duplicate_frames"] == "drop"
        return [training_row(processor.text_ids(r.text, r.speaker), processor.encode(r.audio), drop) for r in rows]

    def collate(self, features, processor, dtype=None):
        import torch

        n = max(len(f["input_ids"]) for f in features)
        ids = torch.full((len(features), n), PAD, dtype=torch.long)
        labels = torch.full((len(features), n), -100, dtype=torch.long)
        mask = torch.zeros((len(features), n), dtype=torch.long)
        for i, f in enumerate(features):
            k = len(f["input_ids"])
            ids[i, :k] = torch.tensor(f["input_ids"])
            labels[i, :k] = torch.tensor(f["input_ids"])
            mask[i, :k] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    def unsloth_load(self, name: str, max_seq_length: int):
        from unsloth import FastLanguageModel

        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=name, max_seq_length=max_seq_length, dtype=None, load_in_4bit=False
        )
        return model, OrpheusProcessor(tokenizer, load_snac(name, "cuda"), "cuda", codec_source(name))

    def weights_per_frame(self, model) -> int:
        """Every layer, the final norm and the output layer, once per token: 7 tokens per SNAC frame."""
        net = model.get_base_model() if hasattr(model, "get_base_model") else model
        return 7 * sum(p.numel() for m in (net.model.layers, net.model.norm, net.lm_head) for p in m.parameters())

    def generate(self, model, processor, requests, generation, device: str) -> list[Generated]:
        """One group (same model, seeded by the caller), left-padded; each row stops at end_of_speech or its cap.

        `fast` (default): our decode loop (`TokenLoop`: static cache, sampling and the repetition penalty on
        the device, a captured CUDA graph per token on CUDA, each row done at its own end or cap);
        `transformers`: its `generate()`, the reference — the same greedy tokens (tested).
        """
        import torch

        ids, mask, caps = self.inputs(processor, requests, device)
        width = ids.shape[1]
        g = generation or {}
        sampling = {k: g[k] for k in ("temperature", "top_p", "top_k", "repetition_penalty") if g.get(k) is not None}
        with torch.inference_mode(), self.timed("codes", device):
            if g.get("engine", "fast") == "fast":
                rows = fast_tokens(
                    model,
                    ids,
                    mask,
                    caps,
                    sampling,
                    check_every=1 if device == "cpu" else 7,
                    compile=bool(g.get("compile")),
                    graphs=bool(g.get("cuda_graphs", True)),
                    stats=self.timing,
                ).tolist()
            else:
                out = model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    max_new_tokens=max(caps),
                    do_sample=True,
                    eos_token_id=END_OF_SPEECH,
                    pad_token_id=PAD,
                    disable_compile=True,
                    **sampling,
                )
                rows = [row[width:].tolist() for row in out]
        with self.timed("decode", device):
            return self._decode(processor, rows, caps)

    def inputs(self, processor, requests, device: str):
        """(token ids, attention mask) of the requests' prompts, left-padded, and each row's cap in tokens."""
        import torch

        prompts = [self.prompt(processor, r) for r in requests]
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[PAD] * (width - len(p)) + p for p in prompts], device=device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
        caps = [max(7, int(math.ceil(r.max_seconds * self.sample_rate / FRAME_SAMPLES)) * 7) for r in requests]
        return ids, mask, caps

    def prompt(self, processor, r) -> list[int]:
        """Reference turns (cloning: text and speech), then the prompt, ending where speech starts."""
        ids = []
        for c in r.context:
            ids += (
                [START_OF_HUMAN]
                + processor.text_ids(c.text, c.speaker)
                + [END_OF_HUMAN, START_OF_AI, START_OF_SPEECH]
                + processor.encode(c.audio)
                + [END_OF_SPEECH, END_OF_AI]
            )
        return (
            ids
            + [START_OF_HUMAN]
            + processor.text_ids(r.text, r.speaker)
            + [END_OF_HUMAN, START_OF_AI, START_OF_SPEECH]
        )

    def _decode(self, processor, rows: list[list[int]], caps: list[int]) -> list[Generated]:
        """Each row's tokens cut at end_of_speech or its cap, then SNAC on the rows with a frame to decode."""
        found = []
        for tokens, cap in zip(rows, caps, strict=False):
            end = tokens.index(END_OF_SPEECH) if END_OF_SPEECH in tokens else len(tokens)
            codes, dropped = token_codes(tokens[: min(end, cap)])
            found.append(
                (codes, end < cap, (f"{dropped} frames dropped: a code outside its block",) if dropped else ())
            )
        decodable = [k for k, (codes, _, _) in enumerate(found) if len(codes[0])]
        audio = dict(zip(decodable, processor.decode_many([found[k][0] for k in decodable]), strict=False))
        return [
            Generated(audio[k], stopped, None, notes)
            if k in audio
            else Generated(None, stopped, "no decodable frame" + (f" ({notes[0]})" if notes else ""), notes)
            for k, (_, stopped, notes) in enumerate(found)
        ]


def fast_tokens(
    model,
    ids,
    mask,
    caps: list[int],
    sampling: dict,
    sample: bool = True,
    check_every: int = 1,
    compile: bool = False,
    graphs: bool = True,
    stats: dict | None = None,
):
    """Orpheus' decode loop on transformers' modules: new tokens (B, T), T up to the largest cap.

    What `generate()` computes for a left-padded batch with these settings (RoPE positions from the mask,
    the repetition penalty over every token so far — the prompt's, padding included, and the new ones —
    then temperature, top-k and top-p, a row done at end_of_speech or its cap and padded after), on a
    static cache, one token per `TokenLoop.step`. `stats`, when given, gains `capture` (seconds)."""
    net = model.get_base_model() if hasattr(model, "get_base_model") else model
    embeds = net.model.embed_tokens(ids)
    loop = TokenLoop.get(
        net, ids.shape[0], ids.shape[1] + max(caps), embeds.dtype, ids.device, sampling, sample, compile, graphs
    )
    captured = sum(loop.capture_seconds.values())
    tokens = loop.run(ids, embeds, mask, caps, check_every)
    if stats is not None:
        stats["capture"] = stats.get("capture", 0.0) + sum(loop.capture_seconds.values()) - captured
    return tokens


class TokenLoop(StepLoop):
    """Orpheus' fast engine (a `decode.StepLoop`): per token one `step` — the output layer, the repetition
    penalty from a per-row record of the tokens seen (a static buffer the step updates), the warpers
    generate() builds and a draw, the token written and the row marked done at end_of_speech or its cap
    (later tokens are padding, as generate() makes them), one step of the Llama layers."""

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

        from .decode import processors

        self.sample = sample
        penalty = sampling.get("repetition_penalty")
        self.penalty = None if penalty in (None, 1.0) else float(penalty)
        rest = {k: v for k, v in sampling.items() if k != "repetition_penalty"}
        config, _ = net._prepare_generation_config(None, do_sample=sample, repetition_penalty=1.0, **rest)
        self.warpers = processors(net, config)
        buffers = self.allocate(net.model, batch, length, dtype, device)
        self.tokens = torch.zeros(batch, length, dtype=torch.long, device=device)  # the new tokens so far
        self.seen = torch.zeros(batch, net.config.vocab_size, dtype=torch.bool, device=device)  # the penalty's tokens
        self.setup(net, device, compile, graphs, buffers + [self.tokens, self.seen])

    def refresh(self) -> None:
        """The modules as they are now (an adapter may have been added or merged since the last call)."""
        self.stack.refresh()
        self.lm_head, self.embed = self.net.lm_head, self.net.model.embed_tokens

    def step(self) -> None:
        """One token, from the loop's state to the loop's state (see the class doc)."""
        import torch

        from .decode import pick

        logits = self.lm_head(self.hidden).float()
        if self.penalty is not None:  # as RepetitionPenaltyLogitsProcessor: a seen token's logit shrinks towards 0
            logits = torch.where(
                self.seen, torch.where(logits < 0, logits * self.penalty, logits / self.penalty), logits
            )
        token = pick(logits, self.warpers, self.sample).masked_fill(self.done, PAD)
        self.tokens.index_copy_(1, self.t, token[:, None])
        self.seen.scatter_(1, token[:, None], True)
        slot = self.start + self.t
        self.t.add_(1)
        self.done.logical_or_((token == END_OF_SPEECH) | (self.t >= self.caps))
        self.valid.index_fill_(1, slot, True)
        hidden = self.stack(
            self.embed(token[:, None]), self.kv, slot, self.rotary.at(self.position), self.valid[:, None, None, :]
        )[:, -1]
        self.hidden.copy_(hidden)
        self.position.add_(1)

    def reset(self, attention, caps: list[int], ids=None) -> None:
        """As every loop's, and the prompt's tokens (padding included, as generate() counts them) seen."""
        super().reset(attention, caps)
        self.seen.zero_()
        self.seen.scatter_(1, ids, True)

    def run(self, ids, embeds, attention, caps: list[int], check_every: int):
        """New tokens (B, T) for a left-padded prompt (ids, their embeddings, the attention mask)."""
        return self.tokens[:, : self.generate(embeds, attention, caps, check_every, ids=ids)].clone()


def training_row(text_ids: list[int], audio_tokens: list[int], drop_duplicates: bool = False) -> dict:
    """One training row in Unsloth's notebook layout (labels: the whole sequence)."""
    if drop_duplicates:
        audio_tokens = drop_repeated_frames(audio_tokens)
    ids = (
        [START_OF_HUMAN]
        + text_ids
        + [END_OF_HUMAN, START_OF_AI, START_OF_SPEECH]
        + audio_tokens
        + [END_OF_SPEECH, END_OF_AI]
    )
    return {"input_ids": ids}


def drop_repeated_frames(tokens: list[int]) -> list[int]:
    """The notebook's de-duplication: drop a frame whose first code repeats the previous frame's."""
    frames = [tokens[i : i + 7] for i in range(0, len(tokens) // 7 * 7, 7)]
    kept = frames[:1] + [f for prev, f in zip(frames, frames[1:], strict=False) if f[0] != prev[0]]
    return [t for f in kept for t in f]


TINY_LABEL = "tiny random model — pipeline check only"
SIZED_LABEL = "random model of Orpheus-3B's size — speed and memory only"
# the 24 kHz SNAC's configuration (hubertsiuzdak/snac_24khz), and the tiny one built with the tiny model
SNAC_CONFIGS = {
    "3b": {
        "sampling_rate": 24000,
        "encoder_dim": 48,
        "encoder_rates": [2, 4, 8, 8],
        "decoder_dim": 1024,
        "decoder_rates": [8, 8, 4, 2],
        "attn_window_size": None,
        "codebook_size": CODEBOOK,
        "codebook_dim": 8,
        "vq_strides": [4, 2, 1],
        "noise": True,
        "depthwise": True,
    },
    "tiny": {
        "sampling_rate": 24000,
        "encoder_dim": 8,
        "encoder_rates": [2, 4, 8, 8],
        "decoder_dim": 32,
        "decoder_rates": [8, 8, 4, 2],
        "attn_window_size": None,
        "codebook_size": CODEBOOK,
        "codebook_dim": 8,
        "vq_strides": [4, 2, 1],
    },
}


def orpheus_config(size: str = "tiny"):
    """The LlamaConfig of a random Orpheus: tiny (2 layers of 64), or Orpheus-3B's (Llama-3.2-3B's shape
    with Orpheus' vocabulary: 28 layers of 3,072, 24 heads, 8 key/value heads, 3.3 B parameters)."""
    from transformers import LlamaConfig

    ids = dict(vocab_size=VOCAB, bos_token_id=BOS, eos_token_id=END_OF_SPEECH, pad_token_id=PAD)
    if size == "3b":
        return LlamaConfig(
            **ids,
            hidden_size=3072,
            intermediate_size=8192,
            num_hidden_layers=28,
            num_attention_heads=24,
            num_key_value_heads=8,
            head_dim=128,
            max_position_embeddings=131072,
            rope_theta=500000.0,
            rms_norm_eps=1e-5,
            tie_word_embeddings=True,
            rope_scaling={
                "rope_type": "llama3",
                "factor": 32.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192,
            },
        )
    return LlamaConfig(
        **ids,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
    )


def build_tiny_orpheus(out, seed: int = 0, size: str = "tiny") -> Path:
    """A random Orpheus: a Llama with Orpheus' full vocabulary and ids, a byte tokenizer, a SNAC codec.

    `size="tiny"`: 2 layers and a tiny SNAC, for tests; `"3b"`: Orpheus-3B's configuration and the
    24 kHz SNAC's (random, saved in bf16), whose compute is the real model's, for GPU benchmarks.
    Like the tiny CSM's codec, the random weights are shaped so that an untrained model's output
    decodes: each audio block's embedding shares a direction, and the output layer maps the block
    of frame position k to that of k + 1 (and start_of_speech to position 0), so sampled tokens
    fall in the right blocks — random within them. Attention and MLP outputs start small, so this
    survives until training changes it. Everything it makes is labelled a pipeline check (tiny) or
    speed and memory only (3b).
    """
    import torch
    from snac import SNAC
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaForCausalLM, PreTrainedTokenizerFast
    from transformers.utils import logging

    logging.set_verbosity_error()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    raw = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.add_special_tokens(["<|pad|>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<|pad|>")
    torch.manual_seed(seed)
    config = orpheus_config(size)
    hidden = config.hidden_size
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        directions = torch.linalg.qr(torch.randn(hidden, 8))[0].T  # 8 orthonormal directions
        embed = model.model.embed_tokens.weight
        if config.tie_word_embeddings:  # the output layer shares the embeddings: untie it for the shaping
            model.lm_head.weight = torch.nn.Parameter(embed.detach().clone())
            model.config.tie_word_embeddings = False
        head = model.lm_head.weight
        for k in range(7):
            block = slice(AUDIO + k * CODEBOOK, AUDIO + (k + 1) * CODEBOOK)
            embed[block] = 0.5 * directions[k] + 0.05 * torch.randn(CODEBOOK, hidden)
            head[block] = 4.0 * directions[(k - 1) % 7] + 0.5 * torch.randn(CODEBOOK, hidden)
        embed[START_OF_SPEECH] = 0.5 * directions[6]  # after start_of_speech comes frame position 0
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.mul_(0.01)
            layer.mlp.down_proj.weight.mul_(0.01)
    model.to(torch.bfloat16 if size == "3b" else torch.float32).save_pretrained(out)
    tokenizer.save_pretrained(out)
    snac_config = SNAC_CONFIGS[size]
    codec = SNAC(**snac_config)
    with torch.no_grad():
        last = [m for m in codec.decoder.modules() if isinstance(m, torch.nn.Conv1d)][-1]
        last.weight.mul_(0.3)  # random codes decode well inside [-1, 1]
    snac = out / "snac"
    snac.mkdir(exist_ok=True)
    (snac / "config.json").write_text(json.dumps(snac_config, indent=1))
    torch.save(codec.state_dict(), snac / "pytorch_model.bin")
    n = sum(p.numel() for p in model.parameters())
    (out / MARKER).write_text(
        json.dumps(
            {"label": SIZED_LABEL if size == "3b" else TINY_LABEL, "parameters": n, "seed": seed, "family": "orpheus"},
            indent=1,
        )
        + "\n"
    )
    return out
