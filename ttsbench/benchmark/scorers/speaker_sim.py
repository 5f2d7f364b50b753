"""Voice similarity: cosine between a sample's speaker embedding and the centroid of the
dataset's reference clips (computed once per run).

Encoders (`encoder:`): `resemblyzer` (default; its weights ship in its wheel), `ecapa`
(SpeechBrain `spkrec-ecapa-voxceleb`) and `wavlm` (`microsoft/wavlm-base-plus-sv` via
transformers); the last two load from `source:` (a local folder or a Hub id in the local cache).
Audio is resampled to 16 kHz first.

ECAPA and WavLM embed `batch_size` samples (default 8; in the scorer id) per call, sorted by
length and zero-padded with their true lengths passed on (`wav_lens`, the attention mask): the
GPU's way. Padding is not free of effect: the convolutions of the padded rows' last frames see
zeros where one-at-a-time sees the clip's own edge padding, so a batched embedding differs from
one-at-a-time (cosine 0.9999 and up on real speech with the random stand-ins; tested ≥ 0.999); the
batch size is in the scorer id, so runs never mix the two.
resemblyzer embeds one sample at a time (its partial-window average has no batched form).
"""

from __future__ import annotations

import os

import numpy as np

from ttsbench.dataprep.audio import resample
from ttsbench.dataprep.constants import ASR_SAMPLE_RATE, SILENCE_DBFS
from ttsbench.core.errors import UserError

from . import Metric, Scorer, Value

SPEECHBRAIN_EXTRA = "pip install 'ttsbench[speechbrain]'"
ENCODERS = {"resemblyzer": None, "ecapa": "speechbrain/spkrec-ecapa-voxceleb", "wavlm": "microsoft/wavlm-base-plus-sv"}


class SpeakerEncoder:
    """Embeds 16 kHz speech as a unit vector; None when there is too little speech."""

    def __init__(
        self, encoder: str = "resemblyzer", source: str | None = None, device: str = "cpu", min_seconds: float = 0.5
    ):
        if encoder not in ENCODERS:
            raise UserError(f"unknown speaker encoder {encoder!r}; choose one of {', '.join(ENCODERS)}")
        self.encoder, self.source, self.min_seconds = encoder, source or ENCODERS[encoder], min_seconds
        self.model_id = encoder if encoder == "resemblyzer" else f"{encoder}:{self.source}"
        try:
            getattr(self, f"_load_{encoder}")(device)
        except UserError:
            raise
        except Exception as e:  # hub and file errors come in many kinds when offline
            raise UserError(
                f"weights for {self.model_id} could not be loaded "
                f"({type(e).__name__}: {str(e).splitlines()[0][:160]}); download {self.source} where there is "
                f"network (huggingface-cli download {self.source} --local-dir DIR) and set `source: DIR`, "
                "or use `encoder: resemblyzer` (offline)"
            ) from None

    def _load_resemblyzer(self, device):
        import warnings

        with warnings.catch_warnings():  # webrtcvad imports pkg_resources; nothing to act on
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder, preprocess_wav

        self._model, self._pre = VoiceEncoder(device, verbose=False), preprocess_wav

    def _load_ecapa(self, device):
        try:
            from speechbrain.inference.speaker import EncoderClassifier
        except ImportError:
            raise UserError(f"speaker encoder ecapa needs SpeechBrain: {SPEECHBRAIN_EXTRA}") from None

        cache = os.path.join(os.path.expanduser("~/.cache/ttsbench/speechbrain"), self.source.replace("/", "--"))
        self._model = EncoderClassifier.from_hparams(source=self.source, savedir=cache, run_opts={"device": device})

    def _load_wavlm(self, device):
        from transformers import AutoFeatureExtractor, WavLMForXVector

        self._features = AutoFeatureExtractor.from_pretrained(self.source)
        self._model = WavLMForXVector.from_pretrained(self.source).to(device).eval()

    def _usable(self, audio16: np.ndarray) -> np.ndarray | None:
        """The audio the encoder reads, or None: silence has no speaker, and too little speech none either."""
        if not len(audio16) or np.max(np.abs(audio16)) <= 10 ** (SILENCE_DBFS / 20):
            return None
        if self.encoder == "resemblyzer":
            audio16 = self._pre(audio16, ASR_SAMPLE_RATE)  # volume-normalised, long silences trimmed
        return None if len(audio16) < self.min_seconds * ASR_SAMPLE_RATE else audio16

    def embed_many(self, clips16: list[np.ndarray], batch_size: int = 8) -> list[np.ndarray | None]:
        """`embed` of each clip, ECAPA and WavLM `batch_size` at a time (see the module doc)."""
        if self.encoder == "resemblyzer" or batch_size <= 1:
            return [self.embed(a) for a in clips16]
        import torch

        usable = [self._usable(a) for a in clips16]
        order = sorted((k for k, a in enumerate(usable) if a is not None), key=lambda k: len(usable[k]))
        out: list[np.ndarray | None] = [None] * len(clips16)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            longest = max(len(usable[k]) for k in chunk)
            with torch.inference_mode():
                if self.encoder == "ecapa":
                    wavs = torch.zeros(len(chunk), longest)
                    for row, k in enumerate(chunk):
                        wavs[row, : len(usable[k])] = torch.from_numpy(usable[k])
                    lens = torch.tensor([len(usable[k]) / longest for k in chunk])
                    found = self._model.encode_batch(wavs, lens).reshape(len(chunk), -1).cpu().numpy()
                else:
                    inputs = self._features(
                        [usable[k] for k in chunk],
                        sampling_rate=ASR_SAMPLE_RATE,
                        return_tensors="pt",
                        padding=True,
                        return_attention_mask=True,
                    )
                    found = self._model(**inputs.to(self._model.device)).embeddings.cpu().numpy()
            for row, k in enumerate(chunk):
                out[k] = (found[row] / (np.linalg.norm(found[row]) + 1e-12)).astype(np.float32)
        return out

    def embed(self, audio16: np.ndarray) -> np.ndarray | None:
        audio16 = self._usable(audio16)
        if audio16 is None:
            return None
        if self.encoder == "resemblyzer":
            e = self._model.embed_utterance(audio16)
        else:
            import torch

            with torch.inference_mode():
                if self.encoder == "ecapa":
                    e = self._model.encode_batch(torch.from_numpy(audio16)[None]).squeeze().cpu().numpy()
                else:
                    inputs = self._features(audio16, sampling_rate=ASR_SAMPLE_RATE, return_tensors="pt")
                    e = self._model(**inputs.to(self._model.device)).embeddings[0].cpu().numpy()
        return (e / (np.linalg.norm(e) + 1e-12)).astype(np.float32)


class SpeakerSimScorer(Scorer):
    name = "speaker_sim"
    declares = (
        Metric(
            "speaker_sim",
            headline=True,
            compared=True,
            curve=True,
            role="voice",
            cell="value",
            label="Similarity",
            chart=("Speaker similarity to the reference clips", "cosine (higher = closer)"),
            words=("is more similar to the reference voice", "is less similar to the reference voice", 1.0, ""),
            merge_words=("merging gained", "merging cost", 1.0, " similarity"),
        ),
    )
    uses_references = True
    path_settings = ("source",)  # ECAPA / WavLM weights in a folder

    @classmethod
    def resolve(cls, settings):
        encoder = settings.get("encoder", "resemblyzer")
        if encoder not in ENCODERS:
            raise UserError(f"scorer speaker_sim: unknown encoder {encoder!r}; choose one of {', '.join(ENCODERS)}")
        out = {
            "encoder": encoder,
            "source": settings.get("source") or ENCODERS[encoder],
            "min_seconds": float(settings.get("min_seconds", 0.5)),
            "device": settings.get("device", "cpu"),
        }
        if encoder != "resemblyzer":  # batched embeddings differ slightly from one at a time: in the id
            out["batch_size"] = int(settings.get("batch_size", 8))
        return out

    @classmethod
    def availability(cls, settings):
        import importlib.util

        from ttsbench.core.hub import model_file

        encoder = settings.get("encoder", "resemblyzer")
        if encoder == "resemblyzer":
            ok = importlib.util.find_spec("resemblyzer") is not None
            return ok, "resemblyzer (weights in its wheel)", "" if ok else "pip install resemblyzer"
        if encoder == "ecapa" and importlib.util.find_spec("speechbrain") is None:
            return False, "ecapa: SpeechBrain is not installed", SPEECHBRAIN_EXTRA
        source = settings.get("source") or ENCODERS[encoder]
        needed = {
            "ecapa": ("hyperparams.yaml", "embedding_model.ckpt"),
            "wavlm": ("config.json", "preprocessor_config.json"),
        }[encoder]
        missing = [f for f in needed if model_file(source, f) is None]
        if not missing:
            return True, f"{encoder} from {source}", ""
        where = "folder" if "/" not in source or source.startswith((".", "/")) else "Hugging Face cache entry"
        return (
            False,
            f"{encoder}: {source} ({where}) has no {', '.join(missing)}",
            f"hf download {ENCODERS[encoder]} (or --local-dir DIR and `source: DIR`)",
        )

    @classmethod
    def describe(cls, settings):
        from ttsbench.core.hub import label_of

        encoder = settings.get("encoder", "resemblyzer")
        return "" if encoder == "resemblyzer" else label_of(settings.get("source") or ENCODERS[encoder])

    def __init__(self, settings, references=None):
        super().__init__(settings)
        if not references:
            raise UserError(
                "scorer speaker_sim needs the dataset's reference clips, and there are none; "
                "re-run `ttsbench prepare` with --reference-clips 1 or more"
            )
        self.encoder = SpeakerEncoder(
            settings["encoder"], settings["source"], settings["device"], settings["min_seconds"]
        )
        embeddings = [self.encoder.embed(resample(a, r, ASR_SAMPLE_RATE)) for a, r in references]
        embeddings = [e for e in embeddings if e is not None]
        if not embeddings:
            raise UserError("scorer speaker_sim: no reference clip holds enough speech for an embedding")
        centroid = np.mean(embeddings, axis=0)
        self.centroid = centroid / np.linalg.norm(centroid)

    def score(self, items):
        out = []
        found = self.encoder.embed_many(
            [resample(i.audio, i.sample_rate, ASR_SAMPLE_RATE) for i in items], self.settings.get("batch_size", 1)
        )
        for e in found:
            detail = {"encoder": self.encoder.model_id}
            if e is None:
                detail["error"] = f"too little speech for an embedding (under {self.encoder.min_seconds:g} s)"
            out.append([Value("speaker_sim", None if e is None else float(e @ self.centroid), detail)])
        return out
