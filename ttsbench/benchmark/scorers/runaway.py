"""Audio that goes on after the words: the failures fine-tunes are known for (a garbage tail after the
last word, babbling, loops), from the `wer` scorer's transcript and its segment timings.

It never loads a model: it reads what `wer` recognised in the same sample (one ASR pass; the
suite must list `wer`, and runaway's scores are keyed to wer's settings). Per sample:

- `tail_seconds`: sound (frames within 40 dB of the clip's peak) after the end of the last
  recognised segment — all of the sound when nothing was recognised;
- `unrecognised_seconds`: the longest stretch of sound between recognised segments;
- `ngram_repeats`: how often the transcript's most repeated word 3-gram occurs beyond what the
  prompt itself repeats (Whisper turning a loop into text);
- `trailing_words`: words recognised beyond the prompt's end (the normalised transcript aligned
  to the normalised prompt, as `wer` aligns them: after the last matched word, the recognised
  words over the prompt's words still to come) — babble that Whisper turned into words has no
  silent tail to find, but it does add words at the end;
- `runaway` (0 or 1, its mean is the rate; headline): a tail over `max_tail_seconds` (1.0), an
  unrecognised stretch over `max_unrecognised_seconds` (2.0), 3-gram repeats over `max_repeats`
  (2), trailing words over `max_trailing_words` (3), or a transcript over `max_length_ratio`
  (1.5) times the prompt's words plus 2.
Segment timings are Whisper's (about ±0.3 s), so the thresholds leave room for them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from . import Metric, Scorer, Value


class RunawayScorer(Scorer):
    name = "runaway"
    needs = ("wer",)
    declares = (
        Metric(
            "runaway",
            better="lower",
            headline=True,
            compared=True,
            curve=True,
            label="Runaway rate",
            words=(
                "runs on after its words more often",
                "runs on after its words less often",
                100.0,
                " points of runaway samples",
            ),
            merge_words=("merging added", "merging removed", 100.0, " points of runaway samples"),
        ),
        Metric("tail_seconds", label="Tail after speech", better="lower", unit="s", digits=2),
        Metric("unrecognised_seconds", label="Unrecognised speech", better="lower", unit="s", digits=2),
        Metric("ngram_repeats", label="Repeated n-grams", better="lower", digits=1),
        Metric("trailing_words", label="Trailing words", better="lower", digits=1),
    )

    @classmethod
    def resolve(cls, settings):
        return {
            "max_tail_seconds": float(settings.get("max_tail_seconds", 1.0)),
            "max_unrecognised_seconds": float(settings.get("max_unrecognised_seconds", 2.0)),
            "max_repeats": int(settings.get("max_repeats", 2)),
            "max_length_ratio": float(settings.get("max_length_ratio", 1.5)),
            "max_trailing_words": int(settings.get("max_trailing_words", 3)),
            "silence_below_peak_db": 40.0,
            "uses": settings.get("uses", {}),
        }

    def score(self, items):
        out = []
        for item in items:
            wer = ((item.evidence or {}).get("wer") or {}).get("wer")  # wer's evidence of this sample
            if wer is None or "segments" not in wer:
                why = (
                    "no wer transcript for this sample"
                    if wer is None
                    else "its wer score has no segment timings (scored before they were kept); score wer again"
                )
                out.append([Value(m, None, {"error": why}) for m in self.metrics])
                continue
            segments = [(float(a), float(b)) for a, b, _ in wer["segments"]]
            sound = _sound(item.audio, item.sample_rate, self.settings["silence_below_peak_db"])
            if not sound.any():  # nothing to measure a tail or a gap against: excluded, and said why
                why = f"the sample is silent (no 10 ms frame above {SILENT_DBFS} dBFS); nothing to judge"
                out.append([Value(m, None, {"error": why}) for m in self.metrics])
                continue
            last = max((b for _, b in segments), default=0.0)
            tail = float(sound[int(last * 100) :].sum()) * 0.01
            gaps = [(b, a2) for (_, b), (a2, _) in zip(segments, segments[1:], strict=False) if a2 > b]
            gap = max((float(sound[int(b * 100) : int(a * 100)].sum()) * 0.01 for b, a in gaps), default=0.0)
            repeats = max(0, _most_repeated(wer.get("transcript", "")) - _most_repeated(item.text))
            s = self.settings
            said, asked = len(wer.get("transcript", "").split()), len(item.text.split())
            trailing = _trailing_words(wer.get("ref_norm", ""), wer.get("hyp_norm", ""))
            reasons = [
                why
                for why, hit in (
                    (f"{trailing} words recognised after the prompt's last word", trailing > s["max_trailing_words"]),
                    (f"{said} words recognised for a prompt of {asked}", said > s["max_length_ratio"] * asked + 2),
                    (f"{tail:.1f} s of sound after the last recognised words", tail > s["max_tail_seconds"]),
                    (f"{gap:.1f} s of sound with no recognised words", gap > s["max_unrecognised_seconds"]),
                    (f"a 3-gram repeated {repeats} times more than the prompt does", repeats > s["max_repeats"]),
                )
                if hit
            ]
            detail = {"reasons": reasons, "last_segment_end": round(last, 2)}
            out.append(
                [
                    Value("runaway", 1.0 if reasons else 0.0, detail),
                    Value("tail_seconds", tail, {}),
                    Value("unrecognised_seconds", gap, {}),
                    Value("ngram_repeats", float(repeats), {}),
                    Value("trailing_words", float(trailing), {}),
                ]
            )
        return out


SILENT_DBFS = -80.0  # a frame quieter than this is silence, however quiet the whole clip is


def _sound(audio: np.ndarray, rate: int, below_peak_db: float) -> np.ndarray:
    """Per 10 ms frame: is there sound (within `below_peak_db` of the clip's loudest frame)?"""
    n = max(1, int(0.01 * rate))
    frames = np.asarray(audio, np.float64)[: len(audio) // n * n].reshape(-1, n)
    if not len(frames):
        return np.zeros(0, bool)
    db = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)
    return db > max(db.max() - below_peak_db, SILENT_DBFS)  # digital silence is never sound


def _trailing_words(reference: str, hypothesis: str) -> int:
    """Words of `hypothesis` beyond the prompt's end (both normalised): after the last word the
    alignment matches, the recognised words over the prompt's words still to come there — an
    alignment may put an insertion before a substitution as well as after, this counts it either way."""
    import jiwer

    ref, hyp = reference.split(), hypothesis.split()
    if not ref or not hyp:
        return len(hyp)
    equal = [c for c in jiwer.process_words(reference, hypothesis).alignments[0] if c.type == "equal"]
    ref_end, hyp_end = (equal[-1].ref_end_idx, equal[-1].hyp_end_idx) if equal else (0, 0)
    return max(0, (len(hyp) - hyp_end) - (len(ref) - ref_end))


def _most_repeated(text: str) -> int:
    words = [w.strip(".,!?;:\"'()").lower() for w in text.split()]
    grams = Counter(zip(words, words[1:], words[2:], strict=False))
    return max(grams.values(), default=0)
