"""Nothing mixed up, nothing leaked: same-named recordings, duplicate sources, speaker typos, secrets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from ttsbench.core.errors import redact
from ttsbench.dataprep.prepare import PrepareError, PrepareOptions, prepare

pytestmark = pytest.mark.slow


def lj(realspeech, n: int):
    """The n-th LJSpeech utterance: (audio, rate, text)."""
    row = (realspeech / "ljspeech" / "transcripts.tsv").read_text().splitlines()[1 + n].split("\t")
    audio, rate = sf.read(realspeech / "ljspeech" / row[0], dtype="float32")
    return audio, rate, row[2]


def words(text: str) -> set[str]:
    return {w.strip(".,;:!?\"'").lower() for w in text.split()} - {""}


def texts_by_recording(out) -> dict[str, str]:
    import datasets

    ds = datasets.load_from_disk(str(out))
    got: dict[str, str] = {}
    for r in ds.select_columns(["recording_id", "text"]):
        got[r["recording_id"]] = got.get(r["recording_id"], "") + " " + r["text"]
    return got


def test_same_named_recordings_keep_their_own_text_when_the_order_changes(realspeech, tmp_path):
    truths = {}
    for folder, n in (("a", 1), ("b", 2)):
        audio, rate, text = lj(realspeech, n)
        (tmp_path / folder).mkdir()
        sf.write(tmp_path / folder / "take.wav", np.concatenate([audio, audio[::-1] * 0, audio]), rate)
        truths[folder] = text
    out = tmp_path / "voice"
    options = PrepareOptions(out=out, progress=False)
    a, b = str(tmp_path / "a" / "take.wav"), str(tmp_path / "b" / "take.wav")
    for order in ([a, b], [b, a]):
        result = prepare(order, options)
        ids = {r["source"]: r["recording_id"] for r in result.manifest.recordings}
        text = texts_by_recording(out)
        for folder, truth in truths.items():
            said = words(text[ids[str(tmp_path / folder / "take.wav")]])
            assert len(said & words(truth)) > 0.6 * len(said), (order, folder)  # its own words, not the other's
    # the first call's transcripts were reused (by content), none overwritten: two files, two hashes
    files = sorted((out / "transcripts").glob("*.json"))
    assert len(files) == 2 and len({json.loads(f.read_text())["audio_sha256"] for f in files}) == 2


def test_the_same_recording_given_twice_is_used_once(target_voice, tmp_path):
    folder = tmp_path / "talks"
    folder.mkdir()
    inside = folder / "target.wav"
    inside.write_bytes(target_voice.read_bytes())
    out = tmp_path / "voice"
    result = prepare([str(folder), str(inside)], PrepareOptions(out=out, progress=False))
    assert result.manifest.duplicates == [{"source": str(inside), "same_as": str(inside)}]
    assert len(result.manifest.recordings) == 1
    import datasets

    ds = datasets.load_from_disk(str(out))
    assert len(set(ds["clip_id"])) == len(ds) and len(set(ds["recording_id"])) == 1


def test_the_same_audio_in_another_format_is_found_by_its_content(target_voice, voice_dataset, tmp_path, monkeypatch):
    """a.flac (lossless) and a.ogg (lossy) of a.wav are the same audio; a recording of the same length with other
    sound is not. Transcripts are written beforehand so no ASR runs: only the content decides."""
    from ttsbench.dataprep.prepare import file_sha256

    audio, rate = sf.read(target_voice, dtype="float32")
    talks = tmp_path / "talks"
    talks.mkdir()
    sf.write(talks / "a.wav", audio, rate)
    sf.write(talks / "a.flac", audio, rate)
    sf.write(talks / "a.ogg", audio, rate, format="OGG", subtype="VORBIS")
    sf.write(talks / "quiet.wav", 0.5 * audio, rate)  # the same recording at another gain
    sf.write(talks / "other.wav", audio[::-1], rate)  # the same length, other sound
    out = tmp_path / "voice"
    (out / "transcripts").mkdir(parents=True)
    made = json.loads(next((voice_dataset / "transcripts").glob("*.json")).read_text())
    for f in talks.iterdir():
        mine = {**made, "recording_id": f.stem + f.suffix[1:], "audio_sha256": file_sha256(f)}
        (out / "transcripts" / f"{f.name}.json").write_text(json.dumps(mine))
    given = [str(talks / n) for n in ("a.wav", "a.flac", "other.wav", "a.ogg", "quiet.wav")]
    monkeypatch.setattr("ttsbench.dataprep.prepare.load_asr", lambda *_: pytest.fail("transcribed"))
    result = prepare(given, PrepareOptions(out=out, progress=False))
    assert result.manifest.duplicates == [
        {"source": given[1], "same_as": given[0]},
        {"source": given[3], "same_as": given[0]},
        {"source": given[4], "same_as": given[0]},
    ]
    assert sorted(r["source"] for r in result.manifest.recordings) == sorted([given[0], given[2]])


def test_a_speakers_entry_that_names_no_source_is_an_error(target_voice, tmp_path, monkeypatch):
    speakers = tmp_path / "speakers.yaml"
    speakers.write_text("targte.wav: 1\n")  # a typo of target.wav
    monkeypatch.setattr("ttsbench.dataprep.prepare.load_asr", lambda *_: pytest.fail("work started"))
    with pytest.raises(PrepareError, match=r"speakers.yaml: entry 'targte.wav' names no source.*'target.wav'"):
        prepare([str(target_voice)], PrepareOptions(out=tmp_path / "voice", speakers=speakers, progress=False))


@pytest.mark.parametrize(
    "url, secret",
    [
        ("https://alice:hunter2@example.com/talk.mp3", "hunter2"),
        ("https://example.com/talk.mp3?token=s3cr3t&x=1", "s3cr3t"),
        ("https://bucket.s3.amazonaws.com/t.wav?X-Amz-Signature=abcd1234&X-Amz-Credential=AKIA99", "AKIA99"),
    ],
)
def test_secrets_in_urls_are_never_shown_or_written(url, secret, tmp_path, target_voice, capsys):
    assert secret not in redact(f"error: {url}: download failed")
    result = prepare(
        [url, str(target_voice)], PrepareOptions(out=tmp_path / "voice", cache_dir=tmp_path / "cache", progress=False)
    )
    assert result.failed and "download failed" in result.failed[0]["error"]
    written = (tmp_path / "voice" / "prepare.json").read_text()
    assert secret not in written and secret not in capsys.readouterr().err
    cache_index = tmp_path / "cache" / "index.json"
    assert not cache_index.exists() or secret not in cache_index.read_text()


def test_a_transcript_of_other_audio_is_never_overwritten(tmp_path):
    from ttsbench.dataprep.prepare import _TranscriptFolder
    from ttsbench.dataprep.records import Segment, Transcript

    folder = tmp_path / "transcripts"
    hand = Transcript("take", (Segment(0.0, 1.0, " Written by hand."),), duration=99.0)  # no hash: another take
    hand.save(folder / "take.json")
    before = (folder / "take.json").read_text()
    transcripts = _TranscriptFolder(folder)
    assert transcripts.find("take", "a" * 64, lambda: 3.0) is None  # its duration says it is other audio
    new = Transcript("take", (Segment(0.0, 3.0, " New words."),), duration=3.0, audio_sha256="a" * 64)
    path = transcripts.save(new)
    assert path.name == "take-aaaaaaaa.json" and (folder / "take.json").read_text() == before
    assert _TranscriptFolder(folder).find("take", "a" * 64, lambda: 3.0).segments[0].text == " New words."
