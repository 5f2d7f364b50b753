"""Audio in and out: decode anything FFmpeg reads (through PyAV, no system ffmpeg needed),
mix down to mono, resample with soxr, and refuse audio no model can learn from.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .constants import SILENCE_DBFS
from .errors import UserError

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wma", ".aiff", ".aif",
                  ".mp4", ".webm", ".mkv", ".mov", ".avi", ".m4v"}


class AudioError(UserError, ValueError):
    """An input that cannot be used as speech; the message names the input and the fix."""


def load_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    """Decode `path` to mono float32 at `sample_rate`; stereo and any rate are converted.

    Raises AudioError for a missing or undecodable file, a video without an audio track,
    no samples, NaN or infinite samples, and audio that is silent throughout.
    """
    audio, rate = decode_audio(path)
    return resample(audio, rate, sample_rate)


def decode_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Decode `path` to (mono float32 samples at the file's own rate, that rate); checked as in load_audio."""
    import av

    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(f"{path}: has no audio track; pass a file with speech in it")
            stream = container.streams.audio[0]
            native_rate = stream.rate or stream.codec_context.sample_rate
            # Decode as float, channels kept apart, so that the mixdown is ours to control.
            resampler = av.AudioResampler(format="fltp", rate=native_rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
    except AudioError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, IndexError) as e:
        raise AudioError(f"{path}: cannot decode it as audio ({type(e).__name__}); "
                         "re-export it as WAV or FLAC") from None
    if not chunks:
        raise AudioError(f"{path}: holds no audio samples (zero length); pass a recording with speech")
    audio = np.concatenate(chunks, axis=1).astype(np.float32).mean(axis=0)
    check_audio(audio, str(path))
    return audio, native_rate


def check_audio(audio: np.ndarray, name: str) -> None:
    """Raise AudioError unless `audio` holds finite, non-silent samples."""
    if audio.size == 0:
        raise AudioError(f"{name}: holds no audio samples (zero length); pass a recording with speech")
    bad = int(np.count_nonzero(~np.isfinite(audio)))
    if bad:
        raise AudioError(f"{name}: {bad} samples are NaN or infinite; re-export the audio from its source")
    peak = float(np.max(np.abs(audio)))
    if peak <= 10 ** (SILENCE_DBFS / 20):
        raise AudioError(f"{name}: is silent throughout (peak {20 * np.log10(peak + 1e-12):.0f} dBFS); "
                         "check the recording level or pass another file")


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling (soxr, high quality); returns float32."""
    if from_rate == to_rate:
        return audio.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(audio, from_rate, to_rate, quality="HQ").astype(np.float32)


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes, the form stored in the dataset's `audio` column."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(audio, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Inverse of `wav_bytes`: (mono float32 samples, sample rate)."""
    import soundfile as sf

    audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio.mean(axis=1), rate


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write 16-bit PCM WAV atomically (a killed run never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(wav_bytes(audio, sample_rate))
    tmp.replace(path)
    return path
