"""The offline voices: reproducible, and told apart by a real speaker encoder."""

from __future__ import annotations

import numpy as np
import pytest

from ttsbench.dataprep.synthvoice import sentences, synth_voice, synthesize


def test_text_is_varied_and_reproducible():
    a = [s for s, _ in zip(sentences(5), range(60), strict=False)]
    assert a == [s for s, _ in zip(sentences(5), range(60), strict=False)]
    assert any("?" in s for s in a) and any(any(c.isdigit() for c in s) for s in a)
    lengths = [len(s.split()) for s in a]
    assert min(lengths) <= 3 and max(lengths) >= 20


def test_synth_voice_writes_audio_and_text(tmp_path):
    import soundfile as sf

    path = synth_voice(tmp_path / "v.wav", minutes=0.25, voice="hibari", seed=1)
    audio, rate = sf.read(path)
    assert rate == 24000 and 15 <= len(audio) / rate <= 30
    assert path.with_name("v.wav.txt").read_text().strip()


@pytest.mark.slow
def test_resemblyzer_tells_the_two_voices_apart():
    from resemblyzer import VoiceEncoder, preprocess_wav

    from ttsbench.dataprep.audio import resample

    encoder = VoiceEncoder("cpu", verbose=False)
    texts = [s for s, _ in zip(sentences(11), range(6), strict=False) if len(s.split()) > 5][:4]

    def embed(voice):
        return np.stack(
            [
                encoder.embed_utterance(preprocess_wav(resample(synthesize(t, voice, seed=k), 24000, 16000), 16000))
                for k, t in enumerate(texts)
            ]
        )

    hibari, espeak = embed("hibari"), embed("espeak")
    same = [float(hibari[i] @ hibari[j]) for i in range(len(texts)) for j in range(i + 1, len(texts))]
    cross = [float(h @ e) for h in hibari for e in espeak]
    assert min(same) > max(cross) + 0.1, (same, cross)


def test_a_recording_at_out_is_never_written_over(tmp_path, capsys):
    from ttsbench.cli import main

    mine = tmp_path / "mine.wav"
    mine.write_bytes(b"RIFF my own recording")
    assert main(["synth-voice", "--out", str(mine), "--minutes", "0.05"]) == 2
    assert "already exists and was not made by synth-voice" in capsys.readouterr().err
    assert mine.read_bytes() == b"RIFF my own recording"
    assert main(["synth-voice", "--out", str(tmp_path / "x.mp3"), "--minutes", "0.05"]) == 2
    assert "synth-voice writes WAV" in capsys.readouterr().err and not (tmp_path / "x.mp3").exists()
    made = tmp_path / "made.wav"
    assert main(["synth-voice", "--out", str(made), "--minutes", "0.05"]) == 0
    before = made.stat().st_mtime_ns
    assert main(["synth-voice", "--out", str(made), "--minutes", "0.05"]) == 0  # its own, same settings: kept
    assert made.stat().st_mtime_ns == before
    assert main(["synth-voice", "--out", str(made), "--minutes", "0.05", "--seed", "4"]) == 2
    assert main(["synth-voice", "--out", str(mine), "--minutes", "0.05", "--overwrite"]) == 0
