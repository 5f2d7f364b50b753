"""Audio in and out: decode anything FFmpeg reads (through PyAV, no system ffmpeg needed),
mix down to mono, resample with soxr, and refuse audio no model can learn from.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .constants import SILENCE_DBFS
from ttsbench.core.errors import UserError

AUDIO_SUFFIXES = {
    ".wav",
    ".flac",
    ".mp3",
    ".m4a",
    ".aac",
    ".ogg",
    ".opus",
    ".wma",
    ".aiff",
    ".aif",
    ".mp4",
    ".webm",
    ".mkv",
    ".mov",
    ".avi",
    ".m4v",
}


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
    stream = AudioStream(path, rate=None)
    audio = np.concatenate(list(stream))
    return audio, stream.rate


class AudioStream:
    """A recording decoded block by block: mono float32 at `rate`, `block_seconds` at a time.

    Memory stays at a few blocks whatever the recording's length (a 2-hour talk never sits in
    memory whole). Iterating raises AudioError as `decode_audio` does (missing, undecodable, no
    audio track, NaN samples); a recording that turns out empty or silent raises at the end.
    After a full pass, `seconds` is what decoded and `warning` says if the file's header promised
    more (a truncated WAV is used as far as it goes).
    """

    def __init__(self, path: str | Path, rate: int | None, block_seconds: float = 60.0):
        self.path, self.rate, self.block_seconds = Path(path), rate, block_seconds  # rate None: the file's own
        self.seconds = 0.0
        self.warning: str | None = None

    def __iter__(self):
        import av
        import soxr

        path = self.path
        if not path.exists():
            raise AudioError(f"{path}: no such file; check the path")
        peak, n, pending, promised, seen = 0.0, 0, [], None, 0
        try:
            with av.open(str(path)) as container:
                if not container.streams.audio:
                    raise AudioError(f"{path}: has no audio track; pass a file with speech in it")
                stream = container.streams.audio[0]
                native = stream.rate or stream.codec_context.sample_rate
                self.rate = self.rate or native
                size = int(self.block_seconds * self.rate)  # samples per block
                promised = wav_header_seconds(path)
                converter = (
                    soxr.ResampleStream(native, self.rate, 1, dtype="float32", quality="HQ")
                    if native != self.rate
                    else None
                )
                resampler = av.AudioResampler(format="fltp", rate=native)
                frames = (out for frame in container.decode(stream) for out in resampler.resample(frame))
                for out in _chain(frames, resampler.resample(None)):
                    mono = out.to_ndarray().astype(np.float32).mean(axis=0)  # our own mixdown: the channel mean
                    if not np.isfinite(mono).all():  # counted over the whole file, then refused
                        bad, rest = _count_bad(_chain([out], frames))
                        raise AudioError(
                            f"{path}: {bad} of its {seen + rest} samples are NaN or infinite; re-export the audio "
                            "from its source"
                        )
                    seen += len(mono)
                    mono = converter.resample_chunk(mono) if converter is not None else mono
                    pending.append(mono)
                    n += len(mono)
                    if n >= size:
                        block = np.concatenate(pending)
                        pending, n = [], 0
                        peak = max(peak, float(np.max(np.abs(block))) if block.size else 0.0)
                        self.seconds += len(block) / self.rate
                        yield block
                if converter is not None:
                    pending.append(converter.resample_chunk(np.zeros(0, np.float32), last=True))
        except AudioError:
            raise
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError, IndexError) as e:
            raise AudioError(
                f"{path}: cannot decode it as audio ({type(e).__name__}); re-export it as WAV or FLAC"
            ) from None
        block = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        peak = max(peak, float(np.max(np.abs(block))) if block.size else 0.0)
        self.seconds += len(block) / self.rate
        if self.seconds == 0:
            raise AudioError(f"{path}: holds no audio samples (zero length); pass a recording with speech")
        if peak <= 10 ** (SILENCE_DBFS / 20):
            raise AudioError(
                f"{path}: is silent throughout (peak {20 * np.log10(peak + 1e-12):.0f} dBFS); "
                "check the recording level or pass another file"
            )
        if promised and promised - self.seconds > 0.5:
            self.warning = (
                f"{path}: its header promises {promised:.1f} s but only {self.seconds:.1f} s decode "
                "(a truncated file?); the audio that is there is used"
            )
        if block.size:
            yield block


def wav_header_seconds(path: Path) -> float | None:
    """What a WAV file's header says it holds (its `data` chunk size), or None for other files.

    Decoders (and soundfile's info) measure the bytes actually there; the header is what the
    writer promised, so the two differ exactly when a file was cut short.
    """
    import struct

    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, rate, align = 12, None, None
    while pos + 8 <= len(head):
        kind, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if kind == b"fmt " and pos + 20 <= len(head):
            rate, align = (
                struct.unpack("<I", head[pos + 12 : pos + 16])[0],
                struct.unpack("<H", head[pos + 20 : pos + 22])[0],
            )
        if kind == b"data":
            return size / (rate * align) if rate and align and size != 0xFFFFFFFF else None
        pos += 8 + size + (size & 1)
    return None


def decode_file_or_bytes(source) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate of an audio file path or its bytes (a dataset's audio cell):
    soundfile first, PyAV for what libsndfile does not read (mp3 on older builds, AAC, Opus in MP4). Neither
    needs torchcodec."""
    import io

    import soundfile as sf

    try:
        audio, rate = sf.read(
            io.BytesIO(source) if isinstance(source, bytes) else source, dtype="float32", always_2d=True
        )
        return audio.mean(axis=1), rate
    except Exception as first:  # not a format libsndfile reads: PyAV, then the first error if that fails too
        try:
            import av

            with av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source)) as container:
                stream = container.streams.audio[0]
                resampler = av.AudioResampler(format="fltp", rate=stream.rate or stream.codec_context.sample_rate)
                parts = [o.to_ndarray().mean(axis=0) for f in container.decode(stream) for o in resampler.resample(f)]
                parts += [o.to_ndarray().mean(axis=0) for o in resampler.resample(None)]
                return np.concatenate(parts).astype(np.float32), resampler.rate
        except Exception:
            raise first from None


def _count_bad(frames) -> tuple[int, int]:
    """(NaN or infinite samples, samples) over the rest of a decode, in any channel."""
    bad = total = 0
    for out in frames:
        values = out.to_ndarray()
        bad += int(np.count_nonzero(~np.isfinite(values).all(axis=0)))
        total += values.shape[-1]
    return bad, total


def _chain(*iterables):
    for it in iterables:
        yield from it


def check_audio(audio: np.ndarray, name: str) -> None:
    """Raise AudioError unless `audio` holds finite, non-silent samples."""
    if audio.size == 0:
        raise AudioError(f"{name}: holds no audio samples (zero length); pass a recording with speech")
    bad = int(np.count_nonzero(~np.isfinite(audio)))
    if bad:
        raise AudioError(f"{name}: {bad} samples are NaN or infinite; re-export the audio from its source")
    peak = float(np.max(np.abs(audio)))
    if peak <= 10 ** (SILENCE_DBFS / 20):
        raise AudioError(
            f"{name}: is silent throughout (peak {20 * np.log10(peak + 1e-12):.0f} dBFS); "
            "check the recording level or pass another file"
        )


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


def speech_from_folder(folder: Path, seconds: float, rate: int) -> np.ndarray:
    """Real speech from `folder` (its audio files, over and over) joined with short pauses to about `seconds`;
    for benchmarks."""
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise UserError(f"--data {folder}: no audio files; pass a folder of speech recordings")
    parts, total = [], 0
    while total < seconds * rate:
        for f in files:
            parts += [load_audio(f, rate), np.zeros(rate // 3, np.float32)]
            total += len(parts[-2]) + len(parts[-1])
            if total >= seconds * rate:
                break
    return np.concatenate(parts)
