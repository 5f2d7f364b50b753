"""`ttsbench calibrate`: are the scorers trustworthy on real speech?

On a folder with `transcripts.tsv` (path, speaker, text): the ASR's WER against the true text
(micro and macro), and the speaker encoder's equal error rate with the mean same-speaker and
different-speaker cosine, pairwise and against each speaker's centroid (leave-one-out).
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np

from dataprep.asr import AsrOptions, load_asr
from dataprep.audio import load_audio
from dataprep.constants import ASR_SAMPLE_RATE
from dataprep.errors import UserError

from .scorers.speaker_sim import SpeakerEncoder
from .scorers.wer import error_counts, make_normaliser


def read_transcripts(folder: Path) -> list[dict]:
    path = Path(folder) / "transcripts.tsv"
    if not path.is_file():
        raise UserError(f"{folder}: no transcripts.tsv (columns path, speaker, text); add one")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or not {"path", "speaker", "text"} <= set(rows[0]):
        raise UserError(f"{path}: needs a header with columns path, speaker, text")
    return rows


def equal_error_rate(same: list[float], different: list[float]) -> float | None:
    """Where false accepts equal false rejects, from the ROC of same- vs different-speaker scores."""
    if not same or not different:
        return None
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve([1] * len(same) + [0] * len(different), same + different)
    fnr = 1 - tpr
    k = int(np.nanargmin(np.abs(fnr - fpr)))
    return float((fpr[k] + fnr[k]) / 2)


def calibrate(folder: str | Path, asr: str = "tiny.en", encoder: str = "resemblyzer", normaliser: str = "whisper",
              source: str | None = None) -> dict:
    folder = Path(folder)
    rows = read_transcripts(folder)
    audio = [load_audio(folder / r["path"], ASR_SAMPLE_RATE) for r in rows]
    model = load_asr(AsrOptions(model=asr))
    normalise = make_normaliser(normaliser)
    counts = []
    for a, r in zip(audio, rows):
        hyp = "".join(s.text for s in model.transcribe(a, word_timestamps=False))
        counts.append(error_counts(normalise(r["text"]), normalise(hyp)))
    errors = sum(c["substitutions"] + c["deletions"] + c["insertions"] for c in counts)
    words = sum(c["ref_words"] for c in counts)

    enc = SpeakerEncoder(encoder, source)
    emb = [enc.embed(a) for a in audio]
    keep = [k for k, e in enumerate(emb) if e is not None]
    speakers = [rows[k]["speaker"] for k in keep]
    vectors = np.stack([emb[k] for k in keep])
    same, different = [], []
    for i, j in combinations(range(len(keep)), 2):
        (same if speakers[i] == speakers[j] else different).append(float(vectors[i] @ vectors[j]))
    own, other = [], []
    for i, spk in enumerate(speakers):
        for s in set(speakers):
            members = [j for j, t in enumerate(speakers) if t == s and j != i]
            if not members:
                continue
            c = vectors[members].mean(axis=0)
            (own if s == spk else other).append(float(vectors[i] @ (c / np.linalg.norm(c))))
    mean = lambda xs: float(np.mean(xs)) if xs else None  # noqa: E731
    return {
        "data": str(folder), "n_files": len(rows), "n_speakers": len(set(r["speaker"] for r in rows)),
        "asr": model.options.model_id, "normaliser": normaliser, "encoder": enc.model_id,
        "wer_micro": errors / words, "wer_macro": float(np.mean([c["wer"] for c in counts])),
        "eer": equal_error_rate(same, different),
        "same_speaker_cos": mean(same), "different_speaker_cos": mean(different),
        "same_centroid_cos": mean(own), "different_centroid_cos": mean(other),
        "too_short_for_embedding": len(rows) - len(keep),
    }


def report(result: dict) -> str:
    f = lambda v: "n/a (needs two speakers)" if v is None else f"{v:.3f}"  # noqa: E731
    return "\n".join([
        f"calibration on {result['data']} — {result['n_files']} files, {result['n_speakers']} speaker(s)",
        f"ASR {result['asr']} ({result['normaliser']} normaliser): WER micro {result['wer_micro']:.1%}, "
        f"macro {result['wer_macro']:.1%}",
        f"speaker encoder {result['encoder']}: EER {f(result['eer'])}",
        f"  cosine same speaker {f(result['same_speaker_cos'])}, different {f(result['different_speaker_cos'])} (pairwise)",
        f"  cosine to own centroid {f(result['same_centroid_cos'])}, to others' {f(result['different_centroid_cos'])}",
    ])
