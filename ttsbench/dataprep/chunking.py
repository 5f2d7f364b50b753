"""Chunking: cut a transcribed recording into clips of at most `max_seconds` on word timestamps.

Clips end on a sentence end when one fits (sentences found with pysbd, not a regex), else at the
longest pause; never inside a word. Each clip gets a small silence margin on both sides, taken
only from the gap to its neighbours, so clips never overlap. Pieces shorter than `min_seconds`
are merged into a neighbour when the result still fits, and otherwise dropped *with a reason*:
every word of the transcript ends up in exactly one clip or one dropped piece.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .constants import MAX_CLIP_SECONDS, MIN_CLIP_SECONDS
from ttsbench.core.errors import check_number
from .records import ChunkPlan, Clip, Dropped, Word


@dataclass(frozen=True)
class ChunkOptions:
    """How recordings are cut into clips."""

    max_seconds: float = MAX_CLIP_SECONDS  # no clip is longer, margins included
    min_seconds: float = MIN_CLIP_SECONDS  # shorter pieces are merged into a neighbour or dropped
    margin: float = 0.2  # silence kept before the first and after the last word, seconds
    max_pause: float = 3.0  # a longer pause between two words always ends a clip

    def __post_init__(self):
        check_number(self, "max_seconds", 0, MAX_CLIP_SECONDS, low_open=True)
        check_number(self, "min_seconds", 0, self.max_seconds)
        check_number(self, "margin", 0, self.max_seconds / 2)
        check_number(self, "max_pause", 0, low_open=True)


def words_text(words: list[Word]) -> str:
    """The text of consecutive words. As in Whisper, a word starts with a space unless it continues
    the previous one (" o" + "'clock." is "o'clock.")."""
    return " ".join("".join(w.word for w in words).split())


@functools.lru_cache(maxsize=4)
def _segmenter(language: str = "en"):
    """pysbd's segmenter for the language, or None where pysbd has none (sentences end on punctuation)."""
    import pysbd
    from pysbd.languages import LANGUAGE_CODES

    if language not in LANGUAGE_CODES:
        return None
    return pysbd.Segmenter(language=language, clean=False, char_span=True)


# a sentence ends at one of these, followed by a space or the end (Latin, Devanagari, CJK, Arabic, Armenian …)
SENTENCE_END = re.compile(r"[.!?。！？।॥؟።։]+[\"'”’»)]*(?=\s|$)|[。！？]")


def _spans(text: str, language: str) -> list[tuple[int, str]]:
    """(start, sentence) of each sentence of the text."""
    segmenter = _segmenter(language)
    if segmenter is not None:
        return [(span.start, span.sent) for span in segmenter.segment(text)]
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        out.append((start, text[start : m.end()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def sentence_ends(words: list[Word], language: str = "en") -> set[int]:
    """Indices of the words that end a sentence (the last word always does)."""
    if not words:
        return set()
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w.word)
    text = "".join(w.word for w in words)
    ends = {len(words) - 1}
    word_at = 0
    for start, sentence in _spans(text, language):
        stripped = sentence.rstrip()
        if not stripped.strip():
            continue
        last_char = start + len(stripped) - 1
        while word_at + 1 < len(words) and starts[word_at + 1] <= last_char:
            word_at += 1
        ends.add(word_at)
    return ends


def plan_clips(
    words: list[Word],
    recording_id: str,
    duration: float,
    options: ChunkOptions = ChunkOptions(),
    speaker: int = 0,
    language: str = "en",
) -> ChunkPlan:
    """Decide the clips of one recording from its transcript's words (in time order)."""
    if options.min_seconds >= options.max_seconds or options.margin * 2 >= options.max_seconds:
        raise ValueError(
            f"chunking needs min_seconds < max_seconds and a margin under half of max_seconds, got {options}"
        )
    budget = options.max_seconds - 2 * options.margin  # the span of words a clip may hold
    words = tidy_words(words)
    ends = sentence_ends(words, language)
    pieces: list[tuple[int, int]] = []
    dropped: list[Dropped] = []

    def span(i: int, j: int) -> float:
        return words[j].end - words[i].start

    def pause_after(k: int) -> float:
        return words[k + 1].start - words[k].end if k + 1 < len(words) else float("inf")

    i = 0
    while i < len(words):
        if span(i, i) > budget:
            dropped.append(
                _dropped(
                    words,
                    recording_id,
                    i,
                    i,
                    f"one word lasts {span(i, i):.1f} s, more than a {options.max_seconds:g} s clip "
                    "can hold; check the transcript's timestamps",
                )
            )
            i += 1
            continue
        j = i
        while j + 1 < len(words) and span(i, j + 1) <= budget and pause_after(j) <= options.max_pause:
            j += 1
        end = j
        if j + 1 < len(words) and pause_after(j) <= options.max_pause:
            # The next word does not fit: end on the last sentence end that leaves a long enough
            # clip, else on the longest pause in the second half of the window.
            full = [k for k in range(i, j + 1) if k in ends and span(i, k) >= options.min_seconds]
            if full:
                end = full[-1]
            else:
                late = [k for k in range(i, j + 1) if span(i, k) >= budget / 2] or [j]
                end = max(late, key=pause_after)
        pieces.append((i, end))
        i = end + 1

    merged = _merge_short(pieces, words, span, budget, options, recording_id, dropped)
    clips = tuple(
        Clip(
            id=f"{recording_id}-{n:04d}",
            recording_id=recording_id,
            start=_clip_start(words, i, options.margin),
            end=_clip_end(words, j, options.margin, duration),
            text=words_text(words[i : j + 1]),
            speaker=speaker,
            first_word=i,
            last_word=j,
        )
        for n, (i, j) in enumerate(merged)
    )
    return ChunkPlan(clips=clips, dropped=tuple(sorted(dropped, key=lambda d: d.first_word)))


def _merge_short(pieces, words, span, budget, options, recording_id, dropped):
    """Merge pieces under min_seconds into a neighbour that keeps the result within budget."""
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(pieces):
        i, j = pieces[k]
        if span(i, j) >= options.min_seconds and span(i, j) > 0:
            out.append((i, j))
            k += 1
            continue
        prev_ok = (
            out
            and out[-1][1] == i - 1
            and span(out[-1][0], j) <= budget
            and words[i].start - words[i - 1].end <= options.max_pause
        )
        next_ok = (
            k + 1 < len(pieces)
            and pieces[k + 1][0] == j + 1
            and span(i, pieces[k + 1][1]) <= budget
            and words[j + 1].start - words[j].end <= options.max_pause
        )
        if prev_ok:
            out[-1] = (out[-1][0], j)
            k += 1
        elif next_ok:
            pieces[k + 1] = (i, pieces[k + 1][1])  # re-examined as one piece on the next turn
            k += 1
        else:
            dropped.append(
                _dropped(
                    words,
                    recording_id,
                    i,
                    j,
                    f"{span(i, j):.1f} s is shorter than min_seconds={options.min_seconds:g} "
                    "and no neighbour could take it",
                )
            )
            k += 1
    return out


def tidy_words(words: list[Word]) -> list[Word]:
    """Word times as chunking uses them: Whisper's can overlap by a few milliseconds (or, edited
    by hand, start before 0); make them start at 0 or later and follow one another."""
    out, t = [], 0.0
    for w in words:
        start = max(w.start, t)
        end = max(w.end, start)
        out.append(w if (start, end) == (w.start, w.end) else Word(start, end, w.word, w.probability))
        t = end
    return out


def _dropped(words: list[Word], recording_id: str, i: int, j: int, reason: str) -> Dropped:
    return Dropped(
        recording_id=recording_id,
        start=words[i].start,
        end=words[j].end,
        text=words_text(words[i : j + 1]),
        reason=reason,
        first_word=i,
        last_word=j,
    )


def _clip_start(words: list[Word], i: int, margin: float) -> float:
    start = words[i].start - margin
    if i > 0:  # never reach into the previous word: stop halfway through the pause
        start = max(start, (words[i - 1].end + words[i].start) / 2)
    return max(0.0, min(start, words[i].start))


def _clip_end(words: list[Word], j: int, margin: float, duration: float) -> float:
    end = words[j].end + margin
    if j + 1 < len(words):
        end = min(end, (words[j].end + words[j + 1].start) / 2)
    if duration > words[j].end:
        end = min(end, duration)
    return max(end, words[j].end)
