"""Loading a CSM checkpoint the way users load `sesame/csm-1b`, and building a tiny random one.

    from finetune.model import load_csm, build_tiny_csm
    build_tiny_csm("runs/tiny-csm")                 # ~300 k parameters, saved with save_pretrained
    model, processor = load_csm("runs/tiny-csm")    # exactly the code path of a Hub checkpoint

A checkpoint is a folder (or Hub id) with the model's config and weights *and* the processor's
files (tokenizer, feature extractor, chat template) beside them — Unsloth loads nothing else.
A tiny checkpoint carries `ttsbench.json` with its label, shown wherever its numbers are shown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dataprep.errors import UserError
from dataprep.models import MARKER, hub_file, label_of

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


class CheckpointError(UserError, ValueError):
    """A base model that cannot be loaded; the message says which and how to provide it."""


def checkpoint_label(path: str | Path) -> str:
    """The label of a checkpoint ttsbench built, in a folder or the Hub cache ("" for real weights)."""
    return label_of(path)


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CheckpointError(f"device {device!r}: no CUDA GPU is visible; pass --device cpu or auto")
    return device


def default_dtype(device: str):
    """bf16 on GPUs that have it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def check_checkpoint(name: str | Path) -> str:
    """A local CSM folder or a Hub id whose files are cached; raise a one-line fix otherwise."""
    name = str(name)
    path = Path(name)
    if path.exists() or name.startswith((".", "/")) or name.count("/") != 1:
        if not path.is_dir():
            raise CheckpointError(f"base model {name}: no such folder; pass a CSM checkpoint folder or a Hub id "
                                  "such as sesame/csm-1b")
        config = path / "config.json"
        if not config.is_file():
            raise CheckpointError(f"base model {name}: no config.json, so not a saved model; build one with "
                                  "`ttsbench tiny-csm --out DIR` or download sesame/csm-1b")
        kind = json.loads(config.read_text()).get("model_type")
        if kind != "csm":
            raise CheckpointError(f"base model {name}: config.json says model_type {kind!r}, not 'csm'; "
                                  "pass a CSM checkpoint (sesame/csm-1b, unsloth/csm-1b or a folder saved from one)")
        has = {f.name for f in path.iterdir()}
        if not has & {"tokenizer.json", "tokenizer_config.json"} or not has & {"processor_config.json",
                                                                              "preprocessor_config.json"}:
            raise CheckpointError(f"base model {name}: the processor files (tokenizer, processor_config.json) "
                                  "are not beside the weights; save them with processor.save_pretrained(DIR)")
        return str(path)
    if os.environ.get("HF_HUB_OFFLINE") == "1" or not _hub_reachable():
        if hub_file(name, "config.json") is None:
            raise CheckpointError(
                f"base model {name}: not a local folder, and as a Hub id its weights are not in the Hugging Face cache "
                "and the Hub cannot be reached; "
                f"on a machine with network run `hf download {name}` (accept the model's licence on the Hub "
                "first) and copy the cache, or pass a local checkpoint folder")
        missing = [what for what, files in (("tokenizer", ("tokenizer.json", "tokenizer_config.json")),
                                            ("processor", ("processor_config.json", "preprocessor_config.json")))
                   if not any(hub_file(name, f) for f in files)]
        if missing:
            raise CheckpointError(f"base model {name}: its Hugging Face cache entry has no {' or '.join(missing)} "
                                  f"files (a partial download); run `hf download {name}` again where there is network")
    return name


def _hub_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("huggingface.co", 443), timeout=2).close()
        return True
    except OSError:
        return False


def load_csm(name: str | Path, device: str = "auto", dtype=None):
    """(model, processor) for a CSM checkpoint, on `device`, in eval mode."""
    from transformers import AutoProcessor, CsmForConditionalGeneration
    from transformers.utils import logging

    name = check_checkpoint(name)
    device = resolve_device(device)
    logging.set_verbosity_error()  # the config's default sub-configs warn about token ids; not actionable
    logging.disable_progress_bar()
    try:
        processor = AutoProcessor.from_pretrained(name)
        model = CsmForConditionalGeneration.from_pretrained(name, dtype=dtype or default_dtype(device))
    except OSError as e:
        raise CheckpointError(f"base model {name}: cannot be loaded ({str(e).splitlines()[0]})") from None
    return model.to(device).eval(), processor


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
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token=special[0], eos_token=special[1],
                                        pad_token=special[4])
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

    from dataprep.constants import CSM_SAMPLE_RATE

    tokens = dict(bos_token_id=ids["<|begin_of_text|>"], pad_token_id=ids["<|pad|>"],
                  audio_token_id=ids["<|AUDIO|>"], audio_eos_token_id=ids["<|audio_eos|>"])
    if size == "1b":
        return CsmConfig(**tokens, vocab_size=2048, codebook_pad_token_id=2047, depth_decoder_config={"vocab_size": 2048},
                         codec_config={"model_type": "mimi", "num_quantizers": 32})
    codebooks, codebook_size = 4, 32
    codec = dict(model_type="mimi", sampling_rate=CSM_SAMPLE_RATE, frame_rate=12.5, audio_channels=1,
                 upsampling_ratios=[8, 6, 5, 4], hidden_size=16, num_filters=4, num_residual_layers=1,
                 codebook_size=codebook_size, codebook_dim=16, vector_quantization_hidden_dimension=16,
                 upsample_groups=16, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, head_dim=8,
                 intermediate_size=32, sliding_window=16, num_quantizers=codebooks, num_semantic_quantizers=1)
    depth = dict(num_codebooks=codebooks, backbone_hidden_size=64, vocab_size=codebook_size, hidden_size=32,
                 intermediate_size=64, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                 max_position_embeddings=codebooks + 1)
    return CsmConfig(**tokens, num_codebooks=codebooks, vocab_size=codebook_size, text_vocab_size=text_vocab,
                     hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, max_position_embeddings=1024, codebook_eos_token_id=0,
                     codebook_pad_token_id=codebook_size - 1, depth_decoder_config=depth, codec_config=codec)


def _save_random(config, tokenizer, out: Path, seed: int, label: str, dtype) -> Path:
    import torch
    from transformers import CsmForConditionalGeneration, CsmProcessor, EncodecFeatureExtractor

    from dataprep.constants import CSM_SAMPLE_RATE

    torch.manual_seed(seed)
    model = CsmForConditionalGeneration(config)
    _randomise_codec(model.codec_model)
    processor = CsmProcessor(EncodecFeatureExtractor(feature_size=1, sampling_rate=CSM_SAMPLE_RATE), tokenizer,
                             chat_template=CHAT_TEMPLATE)
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
