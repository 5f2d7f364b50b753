"""The runaway scorer: from wer's transcript and segment timings of the same sample (no second ASR
pass), on real speech with and without an appended noise tail; in a run it reads wer's scores."""

import numpy as np
import pytest
import yaml

from ttsbench.benchmark.scorers import Item, load_scorer


@pytest.fixture(scope="module")
def lj(realspeech):
    from ttsbench.calibration.calibrate import read_transcripts
    from ttsbench.dataprep.audio import load_audio

    rows = read_transcripts(realspeech / "ljspeech")[:5]
    return [load_audio(realspeech / "ljspeech" / r["path"], 16000) for r in rows], [r["text"] for r in rows]


def _runaway(audios, texts):
    wer = load_scorer("wer", {}, None).score([Item(a, 16000, t) for a, t in zip(audios, texts, strict=False)])
    items = [
        Item(a, 16000, t, None, {"wer": {v.metric: v.detail for v in w}})
        for a, t, w in zip(audios, texts, wer, strict=False)
    ]
    return load_scorer("runaway", {}, None).score(items)


def test_clean_speech_never_runs_away_and_a_noise_tail_always_does(lj):
    audios, texts = lj
    rng = np.random.default_rng(0)
    clean = _runaway(audios, texts)
    assert [row[0].value for row in clean] == [0.0] * 5
    tails = []
    for a in audios:
        noise = rng.normal(0, 1, 16000 * 3).astype(np.float32)
        tails.append(np.concatenate([a, noise * np.sqrt(np.mean(a**2) / np.mean(noise**2))]))
    tailed = _runaway(tails, texts)
    assert [row[0].value for row in tailed] == [1.0] * 5
    assert all(
        2.5 <= row[1].value <= 3.1 and "after the last recognised words" in row[0].detail["reasons"][0]
        for row in tailed
    )


def test_babble_that_whisper_turns_into_words_runs_away_by_its_trailing_words(lj):
    """3 s of another utterance appended: Whisper writes it down, so there is no silent tail to find,
    but the words after the prompt's last word give it away; the clean clips add none."""
    audios, texts = lj
    clean = _runaway(audios, texts)
    assert [row[4].value for row in clean] == [0.0] * 5
    babbled = _runaway([np.concatenate([a, audios[(i + 1) % 5][: 16000 * 3]]) for i, a in enumerate(audios)], texts)
    assert all(row[4].value > 3 and row[0].value == 1.0 for row in babbled), [row[0].detail for row in babbled]
    assert all(any("after the prompt's last word" in r for r in row[0].detail["reasons"]) for row in babbled)


@pytest.mark.parametrize(
    "reference,hypothesis,trailing",
    [
        ("the pot of gold", "the pot of gold", 0),
        ("the pot of gold", "the the pot of gold", 0),  # inserted inside, not after
        ("the pot of gold", "the pot of gold we are speaking about that", 5),
        ("the pot of gold", "the pot of", 0),  # a cut: nothing after
        ("the pot of gold", "the pot of cold and round", 2),  # the last word misheard, then words after
        ("the pot of gold", "the pot of cold", 0),
        ("the pot of gold", "", 0),
        ("the pot of gold", "a b c d e f", 2),  # nothing matched: the words over the prompt's
        ("", "three words here", 3),
    ],
)
def test_trailing_words_are_the_insertions_after_the_prompts_last_word(reference, hypothesis, trailing):
    from ttsbench.benchmark.scorers.runaway import _trailing_words

    assert _trailing_words(reference, hypothesis) == trailing


def test_without_a_transcript_it_fails_with_the_reason():
    values = load_scorer("runaway", {}, None).score([Item(np.zeros(16000, np.float32), 16000, "hi")])[0]
    assert all(v.value is None and "no wer transcript" in v.detail["error"] for v in values)


def test_in_a_run_it_reads_wers_scores_and_a_suite_without_wer_is_refused(voice_dataset, tmp_path):
    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import SuiteError, load_suite

    spec = {
        "name": "r",
        "model": {"backend": "fake"},
        "dataset": str(voice_dataset),
        "prompts": ["One sentence to say."],
        "seeds": 1,
        "variants": [],
        "anchors": ["ground_truth"],
        "scorers": {"runaway": {}, "wer": {"asr": "tiny.en"}},
    }
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(spec))
    summary = run_suite(load_suite(tmp_path / "r.yaml"), tmp_path / "run", progress=False).summary
    found = summary.summary("ground_truth", "runaway")
    assert found is not None and found.n > 0 and found.n_failed == 0 and found.mean == 0.0
    assert "runaway" in summary.headline()[0]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**spec, "scorers": {"runaway": {}}}))
    with pytest.raises(SuiteError, match="runaway reads what wer found"):
        load_suite(tmp_path / "bad.yaml")
