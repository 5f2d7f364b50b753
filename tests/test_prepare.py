"""`prepare` end to end: real speech, re-runs, hand edits, bad sources, speakers, URLs."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ttsbench.dataprep.audio import read_wav_bytes
from ttsbench.dataprep.chunking import ChunkOptions
from ttsbench.dataprep.prepare import PrepareError, PrepareOptions, prepare
from ttsbench.dataprep.records import PrepareManifest
from media import bad_inputs, tone

pytestmark = pytest.mark.slow


def load(out):
    import datasets

    return datasets.load_from_disk(str(out)).cast_column("audio", datasets.Audio(decode=False))


def wer(truth: str, hypothesis: str) -> float:
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    return jiwer.wer(norm(truth), norm(hypothesis))


@pytest.fixture(scope="module")
def lj_minute(realspeech, tmp_path_factory):
    """About a minute of one real speaker: LJSpeech utterances joined with short pauses."""
    rows = [line.split("\t") for line in (realspeech / "ljspeech" / "transcripts.tsv").read_text().splitlines()[1:]]
    parts, texts, seconds = [], [], 0.0
    for path, _, text in rows:
        audio, rate = sf.read(realspeech / "ljspeech" / path, dtype="float32")
        parts += [audio, np.zeros(int(0.4 * rate), np.float32)]
        texts.append(text)
        seconds += len(audio) / rate + 0.4
        if seconds > 60:
            break
    path = tmp_path_factory.mktemp("lj") / "lj_minute.wav"
    sf.write(path, np.concatenate(parts), rate)
    return path, " ".join(texts)


@pytest.fixture(scope="module")
def lj_dataset(lj_minute, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "voice"
    options = PrepareOptions(out=out, progress=False, chunk=ChunkOptions(max_seconds=15))
    return out, prepare([str(lj_minute[0])], options), options


def test_real_speech_clip_texts_match_the_truth(lj_minute, lj_dataset):
    out, result, _ = lj_dataset
    ds = load(out)
    manifest = PrepareManifest.read(out)
    order = sorted(range(len(ds)), key=lambda k: ds[k]["start"])
    pieces = [(ds[k]["start"], ds[k]["text"]) for k in order] + [(d["start"], d["text"]) for d in manifest.dropped]
    recognised = " ".join(text for _, text in sorted(pieces))
    assert wer(lj_minute[1], recognised) < 0.15


def test_real_speech_clips_never_end_inside_a_word(lj_dataset):
    """Independent of Whisper's timestamps: a clip's edges are quiet compared with its speech."""
    out, _, _ = lj_dataset
    for row in load(out):
        audio, rate = read_wav_bytes(row["audio"]["bytes"])
        frame = int(0.02 * rate)
        rms = np.sqrt(np.mean(audio[: len(audio) // frame * frame].reshape(-1, frame) ** 2, axis=1))
        loud = np.percentile(rms, 90)
        assert rms[-1] < 0.2 * loud and rms[0] < 0.2 * loud, row["clip_id"]


def test_dataset_columns_splits_and_manifest(lj_dataset):
    out, result, _ = lj_dataset
    import datasets

    assert datasets.load_from_disk(str(out)).features["audio"].sampling_rate == 24000
    ds = load(out)
    assert set(ds.column_names) == {
        "audio",
        "text",
        "source",
        "clip_id",
        "recording_id",
        "start",
        "end",
        "duration",
        "split",
    }
    assert set(ds["split"]) == {"train", "eval", "reference"}
    assert len(set(ds["clip_id"])) == len(ds)
    reference = [r for r in ds if r["split"] == "reference"]
    assert len(reference) >= 3 and sum(r["duration"] for r in reference) >= 10
    assert all(r["duration"] <= 15.0 + 1e-6 for r in ds)
    assert not result.manifest.warnings
    audio, rate = read_wav_bytes(ds[0]["audio"]["bytes"])
    assert rate == 24000 and len(audio) / rate == pytest.approx(ds[0]["duration"], abs=0.01)
    manifest = result.manifest
    assert manifest.counts["train"]["clips"] == ds["split"].count("train")
    assert manifest.recordings[0]["asr"] == "faster-whisper:tiny.en"
    assert "datasets" in manifest.versions


def test_users_can_decode_the_audio_column(lj_dataset):
    """What a user does: load_from_disk and read row["audio"] (datasets decodes it)."""
    import datasets

    row = datasets.load_from_disk(str(lj_dataset[0]))[0]
    samples = row["audio"].get_all_samples() if hasattr(row["audio"], "get_all_samples") else None
    array = samples.data.numpy()[0] if samples is not None else row["audio"]["array"]
    assert len(array) / 24000 == pytest.approx(row["duration"], abs=0.01)


def test_rerun_changes_nothing_and_does_no_transcription(lj_minute, lj_dataset, monkeypatch):
    out, _, options = lj_dataset

    def files():  # the dataset's files; .lock, the holder's note of who runs now, is rewritten by every call
        return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != ".lock"}

    before = files()
    monkeypatch.setattr("ttsbench.dataprep.prepare.load_asr", lambda *_: pytest.fail("transcribed again"))
    result = prepare([str(lj_minute[0])], options)
    assert result.up_to_date
    assert files() == before


def test_hand_edits_of_a_transcript_survive(target_voice, tmp_path, monkeypatch):
    out = tmp_path / "voice"
    prepare([str(target_voice)], PrepareOptions(out=out, progress=False))
    path = out / "transcripts" / "target.json"
    data = json.loads(path.read_text())
    seg = data["segments"][0]
    seg["text"] = " " + " ".join(["Zebediah"] + seg["text"].split()[1:])  # same word count: a fixed name
    path.write_text(json.dumps(data))
    monkeypatch.setattr("ttsbench.dataprep.prepare.load_asr", lambda *_: pytest.fail("transcribed again"))
    result = prepare([str(target_voice)], PrepareOptions(out=out, progress=False))
    assert not result.up_to_date  # the transcript changed, so the dataset is rebuilt
    assert json.loads(path.read_text())["segments"][0]["text"].startswith(" Zebediah")
    assert any(t.startswith("Zebediah") for t in load(out)["text"])


def test_bad_sources_are_reported_and_the_others_complete(target_voice, tmp_path):
    bad = bad_inputs(tmp_path / "bad")
    out = tmp_path / "voice"
    # a recording whose (hand-written) transcript is empty
    sf.write(tmp_path / "tone.wav", tone(3.0, 16000), 16000)
    (out / "transcripts").mkdir(parents=True)
    (out / "transcripts" / "tone.json").write_text(json.dumps({"recording_id": "tone", "segments": []}))
    sources = [str(target_voice)] + [str(p) for p in bad.values()] + [str(tmp_path / "tone.wav")]
    result = prepare(sources, PrepareOptions(out=out, progress=False))
    failed = {Path(f["source"]).name: f["error"] for f in result.failed}
    assert set(failed) == {p.name for p in bad.values()} | {"tone.wav"}
    assert "transcript is empty" in failed["tone.wav"]
    assert all("\n" not in e for e in failed.values())
    assert set(load(out)["recording_id"]) == {"target"}
    assert PrepareManifest.read(out).failed == result.failed


def test_out_must_be_ours(tmp_path, target_voice):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PrepareError, match="not a ttsbench dataset"):
        prepare([str(target_voice)], PrepareOptions(out=tmp_path, progress=False))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_speakers_file_sets_the_source_column(target_voice, tmp_path):
    second = tmp_path / "second.wav"  # another recording: the same sound at another gain would be used once
    audio, rate = sf.read(target_voice, dtype="float32")
    sf.write(second, 0.8 * np.roll(audio, len(audio) // 2), rate)  # its second half first: other sound in time
    speakers = tmp_path / "speakers.yaml"
    speakers.write_text("target.wav: 0\nsecond: 7\n")
    out = tmp_path / "voice"
    prepare(
        [str(target_voice), str(second)],
        PrepareOptions(out=out, speakers=speakers, progress=False, chunk=ChunkOptions(max_seconds=12)),
    )
    ds = load(out)
    assert {(r["recording_id"], r["source"]) for r in ds} == {("target", 0), ("second", 7)}
    for speaker in (0, 7):  # each speaker has its own reference clips
        assert any(r["split"] == "reference" and r["source"] == speaker for r in ds)


def test_url_is_downloaded_once_and_cached(target_voice, tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    (served / "talk.wav").write_bytes(target_voice.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/talk.wav"
    options = PrepareOptions(out=tmp_path / "voice", cache_dir=tmp_path / "cache", progress=False)
    try:
        prepare([url], options)
    finally:
        server.shutdown()
        server.server_close()
    # The server is gone: a second call must not need it.
    result = prepare([url], replace(options, retranscribe=True))
    assert not result.failed and len(load(tmp_path / "voice")) > 0


def test_unreachable_url_is_a_clear_error(tmp_path, target_voice):
    result = prepare(
        ["http://127.0.0.1:9/nothing.wav", str(target_voice)],
        PrepareOptions(out=tmp_path / "voice", cache_dir=tmp_path / "cache", progress=False),
    )
    assert "download failed" in result.failed[0]["error"] and "127.0.0.1:9" in result.failed[0]["error"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "ttsbench.cli", *args], capture_output=True, text=True)


def test_cli_errors_are_one_line(tmp_path, target_voice):
    bad = tmp_path / "c.tsv"
    bad.write_text("[oops\tx\tregex\n")
    proc = run_cli("prepare", str(target_voice), "--out", str(tmp_path / "v"), "--corrections", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "c.tsv" in proc.stderr and "regular expression" in proc.stderr


def test_cli_corrections_fire_and_unused_rules_warn(tmp_path, target_voice):
    text = target_voice.with_name(target_voice.name + ".txt").read_text()
    names = [
        w
        for w in [
            "Alice",
            "Rahul",
            "Sofia",
            "Tom",
            "Mei",
            "Oliver",
            "Amara",
            "Lucas",
            "Hannah",
            "Daniel",
            "Priya",
            "Jonas",
        ]
        if w in text
    ]
    assert len(names) >= 3  # Whisper may mishear one or two of them (Rahul → Rahel); not all
    rules = tmp_path / "c.yaml"
    rules.write_text("".join(f"{name}: Zorblax\n" for name in names) + "never heard this: x\n")
    proc = run_cli("prepare", str(target_voice), "--out", str(tmp_path / "v"), "--corrections", str(rules), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "never fired" in proc.stderr and "'never heard this'" in proc.stderr
    assert any("Zorblax" in t for t in load(tmp_path / "v")["text"])
    assert "'Zorblax' ×" in proc.stdout


def test_long_recordings_are_transcribed_in_pieces_with_the_same_words(lj_minute):
    from ttsbench.dataprep.asr import AsrOptions, load_asr, transcribe_stream
    from ttsbench.dataprep.audio import AudioStream, load_audio

    path, truth = lj_minute
    asr = load_asr(AsrOptions())
    whole = " ".join(s.text for s in asr.transcribe(load_audio(path, 16000)))
    stream = AudioStream(path, 16000, block_seconds=4)
    pieces = transcribe_stream(asr, stream, piece_seconds=15)  # four or five pieces of a minute
    words = [w for s in pieces for w in s.words]
    starts = [w.start for w in words]
    assert starts == sorted(starts) and words[-1].end <= stream.seconds + 0.05
    assert stream.seconds > 45 and words[-1].end > stream.seconds - 5  # the last piece is there, shifted
    assert wer(truth, " ".join(s.text for s in pieces)) < wer(truth, whole) + 0.05


def test_a_truncated_wav_is_used_with_a_warning(target_voice, tmp_path):
    data = target_voice.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])  # the header still promises the whole file
    options = PrepareOptions(out=tmp_path / "voice", progress=False, chunk=ChunkOptions(max_seconds=8))
    result = prepare([str(cut)], options)  # short clips: half a minute still holds out an eval clip
    assert not result.failed and len(load(tmp_path / "voice")) > 0
    assert any("header promises" in w and "cut.wav" in w for w in result.manifest.warnings)
