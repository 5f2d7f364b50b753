"""Intelligibility: Whisper transcribes each sample; word and character error rates against the prompt.

Samples are transcribed `batch_size` at a time (default 8; both Whisper backends batch each clip's
first 30 s window — faster-whisper on CPU, openai-whisper on a GPU — the same transcripts as one by
one in the tests; the batch size is part of the scorer id all the same, see `transcribe_many`).
Both sides go through the same normaliser: Whisper's (default: `EnglishTextNormalizer` for English,
which also spells numbers one way; `BasicTextNormalizer` for every other language, which does not, so
"268" and its spoken words differ), or `seedtts`, the seed-tts-eval convention (punctuation but
apostrophes removed, lower case), for comparing with published numbers.

`language` (the suite's, ISO 639-1) is forced in Whisper and picks the default ASR (tiny.en for English,
the embedded multilingual base otherwise). Where a language is written without spaces (zh, ja, th …),
characters are the unit, as seed-tts-eval scores Chinese (punctuation and spaces removed, one token per
character): `cer` leads (the answer table, gates, sweeps) and WER stays beside it.

Per sample it keeps the evidence: transcript, normalised texts, substitutions / deletions / insertions,
reference length, hypothesis/reference length ratio, character errors and reference characters. Micro
(corpus) WER and CER are computed from those counts in the summary.
"""

from __future__ import annotations

import re
import string

import dataclasses

from ttsbench.core.languages import unspaced
from ttsbench.dataprep.asr import AsrOptions, asr_availability, default_asr, load_asr
from ttsbench.dataprep.audio import resample
from ttsbench.dataprep.constants import ASR_SAMPLE_RATE
from ttsbench.core.errors import UserError

from . import Metric, Scorer, Value

NORMALISERS = ("whisper", "seedtts")


def seedtts_normalise(text: str) -> str:
    drop = "".join(c for c in string.punctuation if c != "'")
    text = text.translate(str.maketrans("", "", drop))
    return re.sub(r"\s+", " ", text).strip().lower()


def make_normaliser(name: str, language: str = "en"):
    if name == "whisper":
        from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

        return EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()
    if name == "seedtts":
        return seedtts_normalise
    raise UserError(f"scorer wer: unknown normaliser {name!r}; choose one of {', '.join(NORMALISERS)}")


def characters(text: str) -> str:
    """The text as seed-tts-eval scores a language without spaces: punctuation and spaces removed, one token per
    character."""
    import unicodedata

    return " ".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))


def error_counts(reference: str, hypothesis: str, by_character: bool = False) -> dict:
    """jiwer's alignment of normalised texts: S, D, I, reference words, WER; character errors, reference
    characters, CER (`by_character`: characters as tokens, punctuation and spaces dropped, for zh, ja …)."""
    import jiwer

    if not reference.split():
        raise ValueError("the reference is empty after normalisation")
    words = jiwer.process_words(reference, hypothesis or "")
    s, d, i = words.substitutions, words.deletions, words.insertions
    n = s + d + words.hits
    if by_character:
        chars = jiwer.process_words(characters(reference), characters(hypothesis or "") or "")
    else:
        chars = jiwer.process_characters(reference, hypothesis or "")
    errors = chars.substitutions + chars.deletions + chars.insertions
    ref_chars = chars.substitutions + chars.deletions + chars.hits
    return {
        "substitutions": s,
        "deletions": d,
        "insertions": i,
        "ref_words": n,
        "wer": (s + d + i) / n,
        "char_errors": errors,
        "ref_chars": ref_chars,
        "cer": errors / ref_chars if ref_chars else float(errors > 0),
        "len_ratio": len(hypothesis.split()) / n,
    }


class WerScorer(Scorer):
    name = "wer"
    path_settings = ("asr",)
    takes_language = True  # a Whisper .pt file or a CTranslate2 folder
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
        Metric("wer_macro", label="WER (macro)", better="lower", of="wer", headline=True),
        Metric(
            "cer",
            label="CER",
            better="lower",
            headline=True,
            compared=True,
            words=("makes more character errors", "makes fewer character errors", 100.0, " points of CER"),
        ),
        Metric("wer_over_50", label="WER over 50 %", better="lower", of="wer", summary="rate", threshold=0.5),
    )

    @classmethod
    def declarations(cls, settings):
        """Where words are not separated (the suite's language zh, ja, th …), characters lead: CER is compared,
        shown with the transcript, the intelligibility a verdict and a sweep read, and summarised micro."""
        if not unspaced(str((settings or {}).get("language", "en"))):
            return cls.declares
        wer, wer_micro, wer_macro, cer, over = cls.declares
        lead = dataclasses.replace(
            cer,
            cell="transcript",
            label="CER",
            role="intelligibility",
            merge_words=("merging added", "merging removed", 100.0, " points of CER"),
        )
        cer_micro = Metric(
            "cer_micro",
            better="lower",
            of="cer",
            summary="micro",
            micro=(("char_errors",), "ref_chars"),
            headline=True,
            curve=True,
            label="CER",
            chart=("Character error rate (micro)", "CER (lower is better)"),
        )
        return (
            lead,
            cer_micro,
            dataclasses.replace(wer, cell="", role="", merge_words=()),
            dataclasses.replace(wer_micro, curve=False, chart=()),
            wer_macro,
            over,
        )

    @classmethod
    def resolve(cls, settings):
        language = settings.get("language", "en")
        asr = AsrOptions(
            model=settings.get("asr", "auto"), beam_size=int(settings.get("beam_size", 5)), language=language
        )
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
        return asr_availability(settings.get("asr") or default_asr(settings.get("language", "en")))

    @classmethod
    def describe(cls, settings):
        from ttsbench.core.hub import label_of

        return label_of(settings.get("asr") or default_asr(settings.get("language", "en")))

    def __init__(self, settings, references=None):
        super().__init__(settings)
        self.normalise = make_normaliser(settings["normaliser"], settings["language"])
        self.by_character = unspaced(settings["language"])
        self.asr = load_asr(
            AsrOptions(
                model=settings["asr"].split(":", 1)[1],
                beam_size=settings["beam_size"],
                device=settings["device"],
                language=settings["language"],
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
                counts = error_counts(ref, hyp, self.by_character)
            except ValueError as e:
                out.append([Value("wer", None, {**detail, "error": str(e)}), Value("cer", None, detail)])
                continue
            detail.update(counts)
            chars = {"model": detail["model"], "char_errors": counts["char_errors"], "ref_chars": counts["ref_chars"]}
            out.append([Value("wer", counts["wer"], detail), Value("cer", counts["cer"], chars)])
        return out
