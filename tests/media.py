"""Small media files for bad-input tests, made in code (no audio is kept in git)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return np.stack([mono, 0.5 * mono], axis=1) if channels == 2 else mono


def video_file(path: Path, with_audio: bool, audio: np.ndarray | None = None, rate: int = 16000) -> Path:
    """An MP4 with a few frames of video and, optionally, an AAC track."""
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("mpeg4", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=rate, layout="mono") if with_audio else None
        for k in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 20, np.uint8), format="rgb24")
            for packet in v.encode(frame):
                out.mux(packet)
        for packet in v.encode(None):
            out.mux(packet)
        if a is not None:
            samples = audio if audio is not None else tone(1.0, rate)
            frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None, :], format="fltp", layout="mono")
            frame.sample_rate = rate
            for packet in a.encode(frame):
                out.mux(packet)
            for packet in a.encode(None):
                out.mux(packet)
    return path


def bad_inputs(folder: Path) -> dict[str, Path]:
    """One file per kind of bad input, keyed by what is wrong with it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    files["missing"] = folder / "missing.wav"
    files["corrupt"] = folder / "corrupt.wav"
    files["corrupt"].write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + bytes(range(256)) * 4)
    files["zero_length"] = folder / "empty.wav"
    sf.write(files["zero_length"], np.zeros(0, np.float32), 16000)
    files["silent"] = folder / "silent.wav"
    sf.write(files["silent"], np.zeros(32000, np.float32), 16000)
    files["nan"] = folder / "nan.wav"
    x = tone(1.0, 16000).astype(np.float32)
    x[100:200] = np.nan
    sf.write(files["nan"], x, 16000, subtype="FLOAT")
    files["no_audio_track"] = video_file(folder / "video_only.mp4", with_audio=False)
    return files
