"""The records dataprep reads and writes: transcripts, clips and what chunking decided.

They are the contract between transcription, chunking and the dataset, stored as JSON. A
transcript file is Whisper-shaped (segments with start, end, text and words) so that a person
can open it and fix a misheard word by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ttsbench.core.records import JsonRecord, RecordError  # noqa: F401  (re-exported: the stage records' base)


@dataclass(frozen=True)
class Word:
    """One recognised word of a recording."""

    start: float  # seconds from the start of the recording
    end: float  # seconds; >= start
    word: str  # as Whisper writes it, usually with a leading space
    probability: float | None = None  # the recogniser's confidence, when it gives one


@dataclass(frozen=True)
class Segment:
    """One transcription segment of a recording (seconds)."""

    start: float
    end: float
    text: str  # what a person reads; clip text is built from `words`
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """The transcript of one recording, as saved in `transcripts/<recording>.json`."""

    recording_id: str
    segments: tuple[Segment, ...]
    language: str = "en"
    model: str = ""  # which ASR model and settings produced it
    duration: float = 0.0  # seconds of audio it covers
    audio_sha256: str = ""  # of the file it transcribes: a transcript is reused only for the same audio

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()

    def to_json(self) -> dict:
        return {
            "recording_id": self.recording_id,
            "language": self.language,
            "model": self.model,
            "duration": self.duration,
            "audio_sha256": self.audio_sha256,
            "text": self.text,
            "segments": [
                {"id": i, "start": s.start, "end": s.end, "text": s.text, "words": [asdict(w) for w in s.words]}
                for i, s in enumerate(self.segments)
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Transcript:
        """A transcript from its JSON; a missing or wrong field raises KeyError/TypeError/ValueError naming where."""
        if not isinstance(data, dict):
            raise TypeError(f"a JSON object was expected, got {type(data).__name__}")
        segments = []
        for i, s in enumerate(data.get("segments", ())):
            place = f"segments[{i}]"
            try:
                words = tuple(
                    Word(float(w["start"]), float(w["end"]), _text(w["word"]), w.get("probability"))
                    for w in s.get("words") or ()
                )
                segments.append(Segment(float(s["start"]), float(s["end"]), _text(s.get("text", "")), words))
            except KeyError as e:
                raise KeyError(f"{place}: field {e} is missing") from None
            except (TypeError, ValueError, AttributeError) as e:
                raise ValueError(f"{place}: {e}") from None
        if not isinstance(data.get("recording_id"), str):
            raise KeyError("field 'recording_id' is missing or not text")
        return cls(
            data["recording_id"],
            tuple(segments),
            data.get("language", "en"),
            data.get("model", ""),
            float(data.get("duration", 0.0)),
            data.get("audio_sha256", ""),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Transcript:
        """The transcript in `path`; a file that does not read (a hand edit gone wrong) is one RecordError naming
        its line or field."""
        fix = "fix it by hand, or delete it to transcribe the recording again"
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise RecordError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8, or delete it") from None
        except json.JSONDecodeError as e:
            raise RecordError(f"{path}: not valid JSON (line {e.lineno} column {e.colno}: {e.msg}); {fix}") from None
        try:
            return cls.from_json(data)
        except (KeyError, TypeError, ValueError) as e:
            raise RecordError(f"{path}: not a transcript ({str(e).strip(chr(34))}); {fix}") from None


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


@dataclass(frozen=True)
class Clip:
    """One dataset row before its audio is cut."""

    id: str  # "<recording_id>-<nnnn>", unique in a dataset
    recording_id: str
    start: float  # seconds in the recording, margins included
    end: float
    text: str  # the words of the clip, corrections applied
    speaker: int = 0  # the `source` column
    first_word: int = 0  # index of its first word in the transcript's word list
    last_word: int = 0  # index of its last word (inclusive)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Dropped:
    """A piece of a recording that did not become a clip, and why."""

    recording_id: str
    start: float
    end: float
    text: str
    reason: str  # a sentence a person can act on
    first_word: int = 0
    last_word: int = 0


@dataclass(frozen=True)
class ChunkPlan:
    """What chunking decided for one recording, including what it dropped."""

    clips: tuple[Clip, ...]
    dropped: tuple[Dropped, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PrepareManifest(JsonRecord):
    """`prepare.json` beside a voice dataset: what went in, what came out, what was dropped and why."""

    FILE = "prepare.json"
    FIX = "prepare again with --overwrite (or into a new --out)"

    input_key: str  # hash of audio, transcripts, settings and corrections: an unchanged call is "up to date"
    created: str  # UTC, ISO 8601
    sources: list  # as given (secrets redacted)
    recordings: list  # {recording_id, source, path, sha256, transcript, seconds, asr}
    settings: dict  # PrepareOptions as used
    versions: dict  # package versions
    counts: dict  # split → {clips, minutes}
    speakers: list  # speaker ids present
    dropped: list  # Dropped pieces, each with its reason
    dropped_seconds: float
    failed: list  # {source, error} for each source that could not be used
    corrections: list  # each rule with how often it fired
    warnings: list  # sentences a person should read (a truncated file, a speaker short of reference audio …)
    duplicates: list = field(default_factory=list)  # {source, same_as}: the same audio given twice, used once
    kind: str = "ttsbench voice dataset"
    language: str = "en"  # ISO 639-1: what the recordings speak (forced in the ASR, the suite's default)

    @property
    def clips(self) -> int:
        return sum(c["clips"] for c in self.counts.values())
