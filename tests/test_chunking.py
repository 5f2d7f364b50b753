"""Chunking: invariants as properties (hypothesis), preferences as table cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttsbench.dataprep.chunking import ChunkOptions, plan_clips, sentence_ends, tidy_words, words_text
from ttsbench.dataprep.records import Word

SENTENCE = [
    "The",
    "cat",
    "sat",
    "on",
    "the",
    "mat.",
    "Dr.",
    "Smith",
    "arrived",
    "at",
    "10",
    "o'clock!",
    "Did",
    "you",
    "see",
    "him?",
    "Yes",
]


def make_words(durations, gaps, texts=SENTENCE):
    words, t = [], 0.0
    for n, (d, g) in enumerate(zip(durations, gaps, strict=False)):
        t += g
        words.append(Word(t, t + d, " " + texts[n % len(texts)]))
        t += d
    return words


words_strategy = st.integers(min_value=0, max_value=120).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.0, 4.0), min_size=n, max_size=n),  # word durations, a few absurdly long
        st.lists(st.floats(-0.05, 5.0), min_size=n, max_size=n),  # gaps, a few slightly negative (Whisper overlap)
    )
)
options_strategy = st.builds(
    ChunkOptions,
    max_seconds=st.floats(3.0, 30.0),
    min_seconds=st.floats(0.0, 2.9),
    margin=st.floats(0.0, 0.5),
    max_pause=st.floats(0.5, 6.0),
)


@settings(max_examples=300, deadline=None)
@given(words_strategy, options_strategy)
def test_chunking_invariants(durations_gaps, options):
    raw = make_words(*durations_gaps)
    total = raw[-1].end + 1.0 if raw else 0.0
    plan = plan_clips(raw, "rec", total, options)
    words = tidy_words(raw)  # the times chunking works with
    assert len(words) == len(raw) and all(b.start >= a.end for a, b in zip(words, words[1:], strict=False))

    # every clip is at most max_seconds long, and holds its words
    for c in plan.clips:
        assert 0 < c.duration <= options.max_seconds + 1e-9
        assert c.start <= words[c.first_word].start + 1e-9 and c.end >= words[c.last_word].end - 1e-9
    # clips are in time order and do not overlap
    for a, b in zip(plan.clips, plan.clips[1:], strict=False):
        assert a.end <= b.start + 1e-9 and a.last_word < b.first_word
    # every word is in exactly one clip or one dropped piece
    covered = [k for c in plan.clips for k in range(c.first_word, c.last_word + 1)]
    covered += [k for d in plan.dropped for k in range(d.first_word, d.last_word + 1)]
    assert sorted(covered) == list(range(len(words)))
    # every dropped piece says why
    assert all(d.reason for d in plan.dropped)


def test_prefers_to_end_on_a_sentence_end():
    # 16 words of 0.5 s with 0.1 s gaps; the only sentence end inside the window is word 5
    texts = [
        "One",
        "two",
        "three",
        "four",
        "five",
        "six.",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
    ]
    words = make_words([0.5] * 16, [0.1] * 16, texts)
    plan = plan_clips(words, "rec", 10.0, ChunkOptions(max_seconds=6.0, min_seconds=1.0, margin=0.0))
    assert plan.clips[0].text == "One two three four five six."


def test_without_sentence_end_cuts_at_the_longest_pause():
    texts = [f"w{k}" for k in range(20)]
    gaps = [0.05] * 20
    gaps[8] = 0.9  # the pause before word 8
    words = make_words([0.3] * 20, gaps, texts)
    plan = plan_clips(words, "rec", 20.0, ChunkOptions(max_seconds=4.0, min_seconds=1.0, margin=0.1))
    assert plan.clips[0].last_word == 7


def test_long_pause_always_ends_a_clip():
    words = make_words([0.4] * 6, [0.1, 0.1, 0.1, 4.0, 0.1, 0.1], ["a", "b", "c.", "d", "e", "f."])
    plan = plan_clips(words, "rec", 10.0, ChunkOptions(max_seconds=30, min_seconds=0.5, max_pause=3.0))
    assert [c.text for c in plan.clips] == ["a b c.", "d e f."]


def test_short_piece_is_merged_into_its_neighbour():
    texts = ["Hi.", "This", "is", "a", "longer", "sentence", "that", "goes", "on", "for", "a", "while."]
    words = make_words([0.4] * len(texts), [0.1] * len(texts), texts)
    plan = plan_clips(words, "rec", 10.0, ChunkOptions(max_seconds=30, min_seconds=2.0))
    assert len(plan.clips) == 1 and plan.clips[0].text.startswith("Hi. This") and not plan.dropped


def test_isolated_short_piece_is_dropped_with_a_reason():
    words = make_words([0.3, 0.3], [0.0, 5.0], ["Hi.", "Bye."])  # 5 s apart: never merged
    plan = plan_clips(words, "rec", 10.0, ChunkOptions(max_seconds=30, min_seconds=2.0, max_pause=3.0))
    assert plan.clips == ()
    assert [d.text for d in plan.dropped] == ["Hi.", "Bye."]
    assert "shorter than min_seconds" in plan.dropped[0].reason


def test_word_longer_than_a_clip_is_dropped():
    words = make_words([0.5, 40.0, 0.5], [0.0, 0.1, 0.1], ["a", "b", "c"])
    plan = plan_clips(words, "rec", 50.0, ChunkOptions(min_seconds=0.1))
    assert any("one word lasts" in d.reason and d.text == "b" for d in plan.dropped)


def test_margins_never_reach_into_neighbouring_words():
    words = make_words([1.0] * 4, [0.0, 0.1, 2.0, 0.1], ["Aa", "bb.", "Cc", "dd."])
    plan = plan_clips(words, "rec", 10.0, ChunkOptions(max_seconds=3.0, min_seconds=0.5, margin=0.3))
    first, second = plan.clips
    assert first.end == pytest.approx(words[1].end + 0.3)  # the pause after is 2 s: full margin
    assert second.start == pytest.approx(words[2].start - 0.3)


@pytest.mark.parametrize(
    "text, ends",
    [
        ("Dr. Smith went home. Then he slept.", [3, 6]),
        ("Is it 3.5 percent? Yes.", [3, 4]),
        ("no punctuation at all", [3]),
    ],
)
def test_sentence_ends(text, ends):
    words = make_words([0.2] * len(text.split()), [0.1] * len(text.split()), text.split())
    assert sorted(sentence_ends(words)) == ends


def test_words_text_joins_like_whisper():
    words = [Word(0, 1, " Ten"), Word(1, 2, " o"), Word(2, 3, "'clock."), Word(3, 4, "  Bye")]
    assert words_text(words) == "Ten o'clock. Bye"
