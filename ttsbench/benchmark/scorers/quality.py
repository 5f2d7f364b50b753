"""Naturalness and signal-quality predictors: DNSMOS and Distill-MOS (embedded, offline), UTMOS (Hub).

- DNSMOS P.835 (`dnsmos_sig`: the speech itself, `dnsmos_bak`: background, `dnsmos_ovrl`: overall)
  and P.808 (`dnsmos_p808`), Microsoft's ONNX models as shipped inside the `speechmos` wheel. Built
  to rate noise suppressors on 16 kHz speech; it reads 9 s windows (hop 1 s) and *repeats a shorter
  clip until it fills one*, so a 2 s sample is judged as the same 2 s looped.
- Distill-MOS (`distill_mos`), a small convolutional-transformer model distilled from an XLS-R
  quality model (weights inside the `distillmos` wheel); 16 kHz, any length (cut in 7.68 s crops).

- UTMOS (`utmos`, opt-in: `predictors: [dnsmos, distillmos, utmos]`), the UTMOS22 strong learner
  as the TorchScript file `utmos.jit` of the Hub repo `balacoon/utmos` (16 kHz int16 in, one score
  per clip out), loaded from `utmos_source:` (a local folder or a Hub id in the local cache, like
  ECAPA) on `device:` — it is not embedded: `hf download balacoon/utmos utmos.jit` where there is
  network. The published file was exported for CUDA; on a CPU machine it may fail to load, which is
  a one-line error naming it. Built on VoiceMOS 2022 (TTS and VC systems of the time).

All predict a 1–5 opinion score. On modern TTS such predictors agree only weakly with listeners
(TTSDS2: Spearman ≈ 0.3 for MOS predictors against ≈ 0.6 for speaker similarity): read them as
regression detectors beside the ground-truth ceiling and the noise floor, not as a ranking of
systems that are close. Samples shorter than `min_seconds` (default 1 s) are counted as failed
scores with that reason.
"""

from __future__ import annotations

import numpy as np

from ttsbench.dataprep.audio import resample
from ttsbench.dataprep.constants import ASR_SAMPLE_RATE
from ttsbench.core.errors import UserError

from . import Metric, Scorer, Value

PREDICTORS = ("dnsmos", "distillmos", "utmos")
DEFAULT = ("dnsmos", "distillmos")  # the embedded ones
UTMOS = "balacoon/utmos"  # holds utmos.jit
PREDICTOR_OF = {"distill_mos": "distillmos", "utmos": "utmos"}  # metric → predictor (the rest: dnsmos)
_MOS = dict(better="higher", digits=2, unit="MOS")


class QualityScorer(Scorer):
    name = "quality"
    path_settings = ("utmos_source",)  # UTMOS's TorchScript file in a folder
    declares = (
        Metric(
            "dnsmos_ovrl",
            label="DNSMOS",
            **_MOS,
            headline=True,
            compared=True,
            chart=("Predicted quality (DNSMOS overall)", "MOS, as predicted (higher = more natural)"),
            words=("is predicted more natural (DNSMOS)", "is predicted less natural (DNSMOS)", 1.0, " MOS"),
            merge_words=("merging raised DNSMOS by", "merging lowered DNSMOS by", 1.0, " MOS"),
        ),
        Metric("dnsmos_sig", label="DNSMOS signal", **_MOS),
        Metric("dnsmos_bak", label="DNSMOS background", **_MOS),
        Metric("dnsmos_p808", label="DNSMOS P.808", **_MOS),
        Metric(
            "distill_mos",
            label="Distill-MOS",
            **_MOS,
            headline=True,
            compared=True,
            words=("is predicted more natural (Distill-MOS)", "is predicted less natural (Distill-MOS)", 1.0, " MOS"),
            merge_words=("merging raised Distill-MOS by", "merging lowered Distill-MOS by", 1.0, " MOS"),
        ),
        Metric(
            "utmos",
            label="UTMOS",
            **_MOS,
            compared=True,
            words=("is predicted more natural (UTMOS)", "is predicted less natural (UTMOS)", 1.0, " MOS"),
        ),
    )

    @classmethod
    def resolve(cls, settings):
        predictors = settings.get("predictors", list(DEFAULT))
        if not isinstance(predictors, list) or not predictors or any(p not in PREDICTORS for p in predictors):
            raise UserError(f"scorer quality: predictors {predictors!r}: a list of {', '.join(PREDICTORS)}")
        versions = {
            p: _version({"dnsmos": "speechmos", "distillmos": "distillmos"}[p]) for p in predictors if p != "utmos"
        }
        out = {
            "predictors": predictors,
            "versions": versions,
            "min_seconds": float(settings.get("min_seconds", 1.0)),
            "device": settings.get("device", "cpu"),
        }
        if "utmos" in predictors:
            out["utmos_source"] = settings.get("utmos_source") or UTMOS
        return out

    @classmethod
    def metrics_for(cls, settings):
        chosen = settings.get("predictors", DEFAULT)
        return tuple(m for m in cls.metrics if PREDICTOR_OF.get(m, "dnsmos") in chosen)

    @classmethod
    def availability(cls, settings):
        chosen = settings.get("predictors", DEFAULT)
        missing = [
            w for p, w in (("dnsmos", "speechmos"), ("distillmos", "distillmos")) if p in chosen and _version(w) is None
        ]
        if missing:
            return False, f"{', '.join(missing)} not installed", f"pip install {' '.join(missing)}"
        if "utmos" in chosen:
            from ttsbench.core.hub import model_file

            source = settings.get("utmos_source") or UTMOS
            if model_file(source, "utmos.jit") is None:
                return (
                    False,
                    f"UTMOS: {source} has no utmos.jit (here or in the Hugging Face cache)",
                    f"hf download {UTMOS} utmos.jit (or --local-dir DIR and `utmos_source: DIR`)",
                )
        return True, "DNSMOS (speechmos ONNX) and Distill-MOS, embedded" + (", UTMOS" if "utmos" in chosen else ""), ""

    @classmethod
    def describe(cls, settings):
        from ttsbench.core.hub import label_of

        chosen = settings.get("predictors", DEFAULT)
        return label_of(settings.get("utmos_source") or UTMOS) if "utmos" in chosen else ""

    def __init__(self, settings, references=None):
        super().__init__(settings)
        self.dnsmos = self.distill = self.utmos = None
        if "utmos" in settings["predictors"]:
            self.utmos = _load_utmos(settings["utmos_source"], settings["device"])
        try:
            if "dnsmos" in settings["predictors"]:
                from speechmos import dnsmos

                self.dnsmos = dnsmos
            if "distillmos" in settings["predictors"]:
                import contextlib
                import io

                import distillmos

                with contextlib.redirect_stdout(io.StringIO()):  # it prints where its weights are
                    self.distill = distillmos.ConvTransformerSQAModel().eval()
        except ImportError as e:
            raise UserError(
                f"scorer quality: {e.name} is missing (its weights ship inside the wheel): "
                f"pip install {e.name} (or run `make install`)"
            ) from None

    def score(self, items):
        out = []
        for item in items:
            audio = resample(item.audio, item.sample_rate, ASR_SAMPLE_RATE).astype(np.float32)
            seconds = len(audio) / ASR_SAMPLE_RATE
            problem = (
                f"shorter than {self.settings['min_seconds']:g} s ({seconds:.2f} s)"
                if seconds < self.settings["min_seconds"]
                else "non-finite audio"
                if not np.isfinite(audio).all()
                else "silent: no signal to judge"
                if not np.abs(audio).max() > 0
                else None
            )
            values = []
            if self.dnsmos is not None:
                found = None if problem else self.dnsmos.run(np.clip(audio, -1.0, 1.0), sr=ASR_SAMPLE_RATE)
                detail = {"error": problem} if problem else {"seconds": round(seconds, 2), "looped": seconds < 9.01}
                for metric, key in (
                    ("dnsmos_ovrl", "ovrl_mos"),
                    ("dnsmos_sig", "sig_mos"),
                    ("dnsmos_bak", "bak_mos"),
                    ("dnsmos_p808", "p808_mos"),
                ):
                    values.append(Value(metric, None if found is None else float(found[key]), detail))
            if self.distill is not None:
                if problem:
                    values.append(Value("distill_mos", None, {"error": problem}))
                else:
                    import torch

                    with torch.inference_mode():
                        mos = float(self.distill(torch.from_numpy(audio)[None]).squeeze())
                    values.append(Value("distill_mos", mos, {"seconds": round(seconds, 2)}))
            if self.utmos is not None:
                if problem:
                    values.append(Value("utmos", None, {"error": problem}))
                else:
                    import torch

                    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
                    with torch.inference_mode():  # one clip at a time: padding would be judged too
                        found = self.utmos(torch.from_numpy(pcm)[None].to(self.settings["device"]))
                    values.append(Value("utmos", float(found.reshape(-1)[0]), {"seconds": round(seconds, 2)}))
            out.append(values)
        return out


def _load_utmos(source: str, device: str):
    """UTMOS's TorchScript file from a folder or the Hub cache; a one-line error naming it otherwise."""
    from ttsbench.core.hub import model_file

    path = model_file(source, "utmos.jit")
    if path is None:
        raise UserError(
            f"scorer quality: UTMOS weights not found: {source} has no utmos.jit here or in the Hugging "
            f"Face cache; download them where there is network (hf download {UTMOS} utmos.jit, or "
            "--local-dir DIR and `utmos_source: DIR`), or drop utmos from `predictors:`"
        )
    import torch

    try:
        return torch.jit.load(str(path), map_location=device).eval()
    except Exception as e:  # a file exported for CUDA on a CPU machine, a damaged download
        raise UserError(
            f"scorer quality: {path} could not be loaded on {device} ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:160]}); try `device: cuda`"
        ) from None


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None
