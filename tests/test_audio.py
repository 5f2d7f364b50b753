"""Audio input: every kind of bad file gives a one-line error naming the file and the fix."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ttsbench.dataprep.audio import AudioError, load_audio
from media import bad_inputs, tone, video_file

EXPECTED = {
    "missing": "no such file",
    "corrupt": "cannot decode it as audio",
    "zero_length": "no audio samples",
    "silent": "silent throughout",
    "nan": "NaN or infinite",
    "no_audio_track": "no audio track",
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return bad_inputs(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_bad_input_is_refused_with_one_line(bad, kind):
    with pytest.raises(AudioError) as e:
        load_audio(bad[kind], 24000)
    msg = str(e.value)
    assert EXPECTED[kind] in msg and str(bad[kind]) in msg and "\n" not in msg
    assert ";" in msg  # the message goes on to say what to do


def test_stereo_8khz_is_converted_not_refused(tmp_path):
    path = tmp_path / "stereo8k.wav"
    sf.write(path, tone(2.0, 8000, channels=2), 8000)
    audio = load_audio(path, 24000)
    assert audio.ndim == 1 and audio.dtype == np.float32
    assert abs(len(audio) - 48000) <= 24
    # mixdown is the mean of the channels: 0.75 of the left channel's amplitude
    assert np.max(np.abs(audio)) == pytest.approx(0.75 * np.max(np.abs(tone(2.0, 8000))), rel=0.05)


def test_video_with_audio_track_decodes(tmp_path):
    path = video_file(tmp_path / "talk.mp4", with_audio=True, audio=tone(1.5, 16000))
    audio = load_audio(path, 16000)
    assert 1.4 * 16000 < len(audio) < 1.7 * 16000 and np.max(np.abs(audio)) > 0.1


@pytest.mark.parametrize("bad_from, bad_to", [(100, 200), (0, 48000), (30000, 48000)])
def test_the_nan_count_is_over_the_whole_file(tmp_path, bad_from, bad_to):
    path = tmp_path / "nan.wav"
    x = tone(3.0, 16000)  # 48000 samples
    x[bad_from:bad_to] = np.nan
    sf.write(path, x, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=rf"{bad_to - bad_from} of its 48000 samples are NaN or infinite"):
        load_audio(path, 16000)
