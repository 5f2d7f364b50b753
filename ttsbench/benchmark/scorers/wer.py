"""Intelligibility: Whisper transcribes each sample; word and character error rates against the prompt.

Samples are transcribed `batch_size` at a time (default 8; both Whisper backends batch each clip's
first 30 s window — faster-whisper on CPU, openai-whisper on a GPU — the same transcripts as one by
one in the tests; the batch size is part of the scorer id all the same, see `transcribe_many`).
Both sides go through the same normaliser: Whisper's `EnglishTextNormalizer` (default), or
`seedtts`, the seed-tts-eval convention (punctuation but apostrophes removed, lower case), for
comparing with published numbers. Per sample it keeps the evidence: transcript, normalised
texts, substitutions / deletions / insertions, reference length, hypothesis/reference length
ratio. Micro (corpus) WER is computed from those counts in the summary.
"""

from __future__ import annotations

import re
import string

from ttsbench.dataprep.asr import AsrOptions, asr_availability, load_asr
from ttsbench.dataprep.audio import resample
from ttsbench.dataprep.constants import ASR_SAMPLE_RATE
from ttsbench.core.errors import UserError

from . import Metric, Scorer, Value

NORMALISERS = ("whisper", "seedtts")


def seedtts_normalise(text: str) -> str:
    drop = "".join(c for c in string.punctuation if c != "'")
    text = text.translate(str.maketrans("", "", drop))
    return re.sub(r"\s+", " ", text).strip().lower()


def make_normaliser(name: str):
    if name == "whisper":
        from whisper.normalizers import EnglishTextNormalizer

        return EnglishTextNormalizer()
    if name == "seedtts":
        return seedtts_normalise
    raise UserError(f"scorer wer: unknown normaliser {name!r}; choose one of {', '.join(NORMALISERS)}")


def error_counts(reference: str, hypothesis: str) -> dict:
    """jiwer's alignment of normalised texts: S, D, I, reference words, WER, CER."""
    import jiwer

    if not reference.split():
        raise ValueError("the reference is empty after normalisation")
    words = jiwer.process_words(reference, hypothesis or "")
    s, d, i = words.substitutions, words.deletions, words.insertions
    n = s + d + words.hits
    return {
        "substitutions": s,
        "deletions": d,
        "insertions": i,
        "ref_words": n,
        "wer": (s + d + i) / n,
        "cer": jiwer.cer(reference, hypothesis or ""),
        "len_ratio": len(hypothesis.split()) / n,
    }


class WerScorer(Scorer):
    name = "wer"
    path_settings = ("asr",)  # a Whisper .pt file or a CTranslate2 folder
    declares = (
        Metric(
            "wer",
            better="lower",
            compared=True,
            cell="transcript",
            label="WER",
            role="intelligibility",
            words=("makes more word errors", "makes fewer word errors", 100.0, " points of WER"),
            merge_words=("merging added", "merging removed", 100.0, " points of WER"),
        ),
        Metric(
            "wer_micro",
            better="lower",
            of="wer",
            summary="micro",
            micro=(("substitutions", "deletions", "insertions"), "ref_words"),
            headline=True,
            curve=True,
            label="WER",
            chart=("Word error rate (micro)", "WER (lower is better)"),
        ),
        Metric("wer_macro", better="lower", of="wer", headline=True),
        Metric(
            "cer",
            better="lower",
            headline=True,
            compared=True,
            words=("makes more character errors", "makes fewer character errors", 100.0, " points of CER"),
        ),
        Metric("wer_over_50", better="lower", of="wer", summary="rate", threshold=0.5),
    )

    @classmethod
    def resolve(cls, settings):
        asr = AsrOptions(model=settings.get("asr", "tiny.en"), beam_size=int(settings.get("beam_size", 5)))
        normaliser = settings.get("normaliser", "whisper")
        if normaliser not in NORMALISERS:
            raise UserError(f"scorer wer: unknown normaliser {normaliser!r}; choose one of {', '.join(NORMALISERS)}")
        batch = settings.get("batch_size", 8)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 256:
            raise UserError(f"scorer wer: batch_size {batch!r}: an integer from 1 to 256 (clips per Whisper batch)")
        return {
            "asr": asr.model_id,
            "beam_size": asr.beam_size,
            "language": asr.language,
            "temperature": 0.0,
            "condition_on_previous_text": False,
            "normaliser": normaliser,
            "device": settings.get("device", "auto"),
            "batch_size": batch,
            "keeps": "segments",
        }

    @classmethod
    def availability(cls, settings):
        return asr_availability(settings.get("asr", "tiny.en"))

    @classmethod
    def describe(cls, settings):
        from ttsbench.core.hub import label_of

        return label_of(settings.get("asr", "tiny.en"))

    def __init__(self, settings, references=None):
        super().__init__(settings)
        self.normalise = make_normaliser(settings["normaliser"])
        self.asr = load_asr(
            AsrOptions(
                model=settings["asr"].split(":", 1)[1], beam_size=settings["beam_size"], device=settings["device"]
            )
        )

    def score(self, items):
        out = []
        transcripts = self.asr.transcribe_many(
            [resample(i.audio, i.sample_rate, ASR_SAMPLE_RATE) for i in items], self.settings["batch_size"]
        )
        for item, segments in zip(items, transcripts, strict=False):
            hypothesis = "".join(s.text for s in segments).strip()
            ref, hyp = self.normalise(item.text), self.normalise(hypothesis)
            detail = {
                "transcript": hypothesis,
                "ref_norm": ref,
                "hyp_norm": hyp,
                "model": self.settings["asr"],
                "normaliser": self.settings["normaliser"],
                "segments": [[round(s.start, 2), round(s.end, 2), s.text] for s in segments],
            }
            try:
                counts = error_counts(ref, hyp)
            except ValueError as e:
                out.append([Value("wer", None, {**detail, "error": str(e)}), Value("cer", None, detail)])
                continue
            detail.update(counts)
            out.append([Value("wer", counts["wer"], detail), Value("cer", counts["cer"], {"model": detail["model"]})])
        return out
