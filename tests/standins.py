"""Random stand-ins for the models users load from the Hub, saved in exactly their published layouts.

Built in code, offline, small: the Hugging Face cache (`models--ORG--NAME/snapshots/REV/…` with
`refs/main`) holding `sesame/csm-1b` and `unsloth/csm-1b` (the tiny CSM with its processor files),
`speechbrain/spkrec-ecapa-voxceleb` (hyperparams.yaml and the checkpoint files SpeechBrain's
Pretrainer fetches, a small random ECAPA) and `microsoft/wavlm-base-plus-sv` (a small random
WavLMForXVector and its feature extractor); and an openai-whisper checkpoint file (dims and a
state dict, as openai-whisper saves its own). Loaded through the very code users run, with
`HF_HUB_OFFLINE=1` and `HF_HUB_CACHE` pointing here. Their numbers mean nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REVISION = "0123456789abcdef0123456789abcdef01234567"

ECAPA_HPARAMS = """# A small random stand-in with the layout of speechbrain/spkrec-ecapa-voxceleb's inference hparams
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
n_mels: 80
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [32, 32, 32, 32, 96]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 16
    lin_neurons: 24
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 24
    out_neurons: 4
mean_var_norm_emb: !new:speechbrain.processing.features.InputNormalization
    norm_type: global
    std_norm: False
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    mean_var_norm_emb: !ref <mean_var_norm_emb>
    classifier: !ref <classifier>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        mean_var_norm_emb: !ref <mean_var_norm_emb>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        mean_var_norm_emb: !ref <pretrained_path>/mean_var_norm_emb.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""


def snapshot(cache: Path, repo: str) -> Path:
    """The snapshot folder of `repo` in a Hugging Face cache, with refs/main pointing at it."""
    folder = cache / f"models--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(REVISION)
    path = folder / "snapshots" / REVISION
    path.mkdir(parents=True, exist_ok=True)
    return path


def csm(cache: Path, tiny_csm: Path, repo: str = "sesame/csm-1b") -> Path:
    """The tiny CSM's files (config, generation config, safetensors, tokenizer, processor, chat template)."""
    path = snapshot(cache, repo)
    for f in tiny_csm.iterdir():  # its ttsbench.json too: a stand-in's numbers carry its label
        shutil.copy(f, path / f.name)
    return path


def ecapa(cache: Path, repo: str = "speechbrain/spkrec-ecapa-voxceleb") -> Path:
    import torch
    from hyperpyyaml import load_hyperpyyaml

    path = snapshot(cache, repo)
    (path / "hyperparams.yaml").write_text(ECAPA_HPARAMS)
    torch.manual_seed(0)
    hparams = load_hyperpyyaml(ECAPA_HPARAMS)
    torch.save(hparams["embedding_model"].state_dict(), path / "embedding_model.ckpt")
    torch.save(hparams["classifier"].state_dict(), path / "classifier.ckpt")
    norm = hparams["mean_var_norm_emb"]
    norm(torch.randn(8, 1, 24), torch.ones(8))  # global statistics, as training leaves them
    norm._save(path / "mean_var_norm_emb.ckpt")
    encoder = hparams["label_encoder"]
    encoder.update_from_iterable(["id10001", "id10002", "id10003", "id10004"])
    encoder.save(path / "label_encoder.txt")
    label(path, "random ECAPA")
    return path


def wavlm(cache: Path, repo: str = "microsoft/wavlm-base-plus-sv") -> Path:
    import torch
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    path = snapshot(cache, repo)
    torch.manual_seed(0)
    config = WavLMConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16, 16, 16, 16, 16),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        tdnn_dim=(16, 16, 16, 16, 32),
        xvector_output_dim=24,
        num_buckets=32,
        max_bucket_distance=64,
    )
    WavLMForXVector(config).save_pretrained(path)
    Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    ).save_pretrained(path)
    label(path, "random WavLM")
    return path


def whisper_checkpoint(path: Path) -> Path:
    """A random English-only Whisper, saved as openai-whisper saves its own `.pt` files.

    openai-whisper leaves its text decoder's positional embedding uninitialised (`torch.empty`): a
    random model built by it alone holds whatever memory was there, so its transcripts differ from
    process to process. Here every weight is set from the seed, and the audio is made to matter
    (larger convolutions, sharper and stronger cross-attention) so that different clips give
    different transcripts — a mix-up between clips shows. A text context of 64 tokens caps its noise
    transcripts at 32 tokens a window (the real models have 448)."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=2,
        n_audio_layer=1,
        n_vocab=51864,
        n_text_ctx=64,
        n_text_state=64,
        n_text_head=2,
        n_text_layer=1,
    )
    model = Whisper(dims)
    with torch.no_grad():
        model.decoder.positional_embedding.normal_(0, 0.02)
        for conv in (model.encoder.conv1, model.encoder.conv2):
            conv.weight *= 10
        for block in model.decoder.blocks:
            block.cross_attn.query.weight *= 10
            block.cross_attn.out.weight *= 3
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    path.with_name(path.name + ".ttsbench.json").write_text(
        json.dumps({"label": "random Whisper — pipeline check only"})
    )
    return path


def label(folder: Path, what: str) -> None:
    (folder / "ttsbench.json").write_text(json.dumps({"label": f"{what} — pipeline check only"}))


def orpheus(cache: Path, tiny_orpheus: Path, repo: str = "canopylabs/orpheus-3b-0.1-ft") -> Path:
    """The tiny Orpheus (config, safetensors, tokenizer) in the Hub layout; its SNAC also as
    hubertsiuzdak/snac_24khz."""
    path = snapshot(cache, repo)
    for f in tiny_orpheus.iterdir():
        if f.is_file():
            shutil.copy(f, path / f.name)
    codec = snapshot(cache, "hubertsiuzdak/snac_24khz")
    for f in (tiny_orpheus / "snac").iterdir():
        shutil.copy(f, codec / f.name)
    label(codec, "random SNAC")
    return path


def hub_cache(root: Path, tiny_csm: Path, tiny_orpheus: Path | None = None) -> Path:
    """Every stand-in above in one Hugging Face cache folder; returns it (set HF_HUB_CACHE to it)."""
    cache = root / "hub"
    csm(cache, tiny_csm, "sesame/csm-1b")
    csm(cache, tiny_csm, "unsloth/csm-1b")
    if tiny_orpheus is not None:
        orpheus(cache, tiny_orpheus, "canopylabs/orpheus-3b-0.1-ft")
        orpheus(cache, tiny_orpheus, "unsloth/orpheus-3b-0.1-ft")
    ecapa(cache)
    wavlm(cache)
    return cache


def utmos(cache: Path, repo: str = "balacoon/utmos") -> Path:
    """A random TorchScript `utmos.jit` with the published file's interface: int16 16 kHz clips
    (batch, samples) in, one score in 1–5 per clip out."""
    import torch

    class Standin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.proj = torch.nn.Linear(1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            level = x.float().div(32768.0).pow(2).mean(dim=1, keepdim=True).sqrt()
            return 1.0 + 4.0 * torch.sigmoid(self.proj(level)).squeeze(1)

    path = snapshot(cache, repo)
    torch.jit.script(Standin()).save(str(path / "utmos.jit"))
    label(path, "random UTMOS")
    return path
