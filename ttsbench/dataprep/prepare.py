"""`prepare`: recordings → transcripts → clips → a split voice dataset saved to disk.

    from ttsbench.dataprep.prepare import PrepareOptions, prepare
    result = prepare(["talk.mp4"], PrepareOptions(out="data/voice"))
    ds = datasets.load_from_disk("data/voice")

Work already done is kept: transcripts are written as soon as each recording is transcribed and
reused on the next call (hand edits survive), and a failed source is reported without stopping
the others.
"""

from __future__ import annotations

import logging
import dataclasses
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .asr import AsrOptions, load_asr, transcribe_stream
from .audio import AudioError, AudioStream, wav_bytes
from ttsbench.core.languages import name as language_name

from .chunking import ChunkOptions, plan_clips, words_text
from .constants import ASR_SAMPLE_RATE, DATASET_SAMPLE_RATE
from ttsbench.core.errors import UserError, check_number, redact
from ttsbench.core.versions import package_versions
from .corrections import Corrector, load_corrections
from .records import Clip, Dropped, PrepareManifest, RecordError, Segment, Transcript, Word
from .sources import (
    Source,
    SourceError,
    default_cache_dir,
    download,
    expand_sources,
    load_speakers,
    source_names,
    speaker_for,
)
from .splits import SPLITS, SplitOptions, assign_splits

log = logging.getLogger(__name__)

DATASET_FILES = ("state.json", "dataset_info.json")


class PrepareError(UserError, ValueError):
    """A call that cannot start (bad output folder, bad corrections file …); nothing was changed."""


@dataclass(frozen=True)
class PrepareOptions:
    """Everything `prepare` needs besides its sources."""

    out: Path  # the dataset folder (load it with datasets.load_from_disk)
    sample_rate: int = DATASET_SAMPLE_RATE  # of the `audio` column
    asr: AsrOptions = AsrOptions(vad=True)  # Silero VAD: no "You" hallucinated over non-speech
    chunk: ChunkOptions = ChunkOptions()
    split: SplitOptions = SplitOptions()
    corrections: Path | None = None  # YAML or TSV, see dataprep.corrections
    speaker: int = 0  # the `source` id of every recording not named in `speakers`
    speakers: Path | None = None  # YAML or TSV: source → speaker id
    retranscribe: bool = False  # transcribe again even where a transcript exists
    overwrite: bool = False  # rebuild a dataset at `out` that was made from other recordings
    cache_dir: Path = field(default_factory=lambda: default_cache_dir() / "downloads")
    push_to_hub: str | None = None  # a Hub repo id; the token comes from the environment
    public: bool = False  # pushed datasets are private unless this is set
    progress: bool = True

    def __post_init__(self):
        check_number(self, "sample_rate", 8000, 192000, integer=True)
        check_number(self, "speaker", 0, integer=True)


@dataclass
class PrepareResult:
    """What a prepare call did; also written to `<out>/prepare.json`."""

    out: Path
    manifest: PrepareManifest  # also written to `<out>/prepare.json`
    failed: list[dict]  # sources that could not be used: {source, error}
    up_to_date: bool = False  # nothing changed since the last call with the same inputs


def prepare(sources: list[str], options: PrepareOptions) -> PrepareResult:
    """Build the voice dataset at `options.out` from `sources` (files, folders, URLs); one process at a time."""
    from ttsbench.core.locks import hold

    _check_out(Path(options.out))
    with hold(options.out, "ttsbench prepare"):
        return _prepare(sources, options)


def _prepare(sources: list[str], options: PrepareOptions) -> PrepareResult:
    out = Path(options.out)
    corrector = load_corrections(options.corrections) if options.corrections else Corrector([])
    speakers = load_speakers(options.speakers) if options.speakers else {}
    if not sources:
        raise PrepareError("no sources given; pass audio or video files, folders or URLs")
    expanded = expand_sources(sources)
    check_speakers(speakers, expanded, options.speakers)
    _check_same_recordings(out, expanded, options.overwrite)

    say = _Say(options.progress)
    failed: list[dict] = []
    duplicates: list[dict] = []
    recordings: list[tuple[Source, Transcript]] = []
    transcripts = _TranscriptFolder(out / "transcripts")
    first_of: dict[str, Source] = {}  # audio hash → the first source with that content
    notes: list[str] = []  # warnings about sources that were used (a truncated file …), kept in prepare.json
    for source in expanded:
        try:
            source = _fetch(source, options, say)
            digest = file_sha256(source.path)
            if digest in first_of:  # the same recording twice (a folder and a file in it …): used once
                same = first_of[digest]
                duplicates.append({"source": redact(source.given), "same_as": redact(same.given)})
                say.warn(f"{redact(source.given)} is the same audio as {redact(same.given)}; used once")
                continue
            first_of[digest] = source
            recordings.append(_transcribe(source, digest, transcripts, options, say, notes))
        except (AudioError, SourceError) as e:
            failed.append({"source": redact(source.given), "error": redact(str(e))})
            say.error(str(e))
    for source, same in _same_content(recordings):  # the same audio in another file (a.wav and a.flac …)
        duplicates.append({"source": redact(source.given), "same_as": redact(same.given)})
        say.warn(f"{redact(source.given)} decodes to the same audio as {redact(same.given)}; used once")
        recordings = [r for r in recordings if r[0] is not source]

    key = _input_key(recordings, options, corrector)
    old = _old_manifest(out, options.overwrite)
    if old is not None and not failed and old.input_key == key and all((out / f).exists() for f in DATASET_FILES):
        say(f"{out}: up to date (same recordings, transcripts and settings); nothing to do")
        if options.push_to_hub:
            _push(out, options, say)
        return PrepareResult(out, old, failed, up_to_date=True)

    clips: list[Clip] = []
    dropped: list[Dropped] = []
    for source, transcript in recordings:
        words = _edited_words(transcript, transcripts.path_of(transcript), say)
        if not words:
            msg = (
                f"{redact(source.given)}: the transcript is empty (no speech recognised); check that it is "
                f"{language_name(options.asr.language)} speech (--language), or write the text into "
                f"{transcripts.path_of(transcript)}"
            )
            failed.append({"source": redact(source.given), "error": msg})
            say.error(msg)
            continue
        plan = plan_clips(
            words,
            source.recording_id,
            transcript.duration,
            options.chunk,
            speaker=speaker_for(source, speakers, options.speaker),
            language=options.asr.language,
        )
        clips += [dataclasses.replace(c, text=corrector(c.text)) for c in plan.clips]
        dropped += plan.dropped
    for rule in corrector.unused():
        say.warn(f"correction {rule.wrong!r} → {rule.right!r} never fired; check its spelling")

    if not clips:
        raise PrepareError(
            f"no clips: every source failed or held no usable speech ({len(failed)} failed); see the errors above"
        )
    split, warnings = assign_splits(clips, options.split)
    if options.split.eval_fraction > 0 and "eval" not in split.values():
        raise PrepareError(
            f"{len(clips)} clip(s) are too few to hold one out for eval beside the reference and the train clips; "
            "add audio, or pass --eval-fraction 0 to keep none (ground_truth then has no samples and eval loss "
            "is not measured)"
        )
    warnings = notes + warnings
    for w in warnings[len(notes) :]:
        say.warn(w)
    dataset, building = _build_dataset(recordings, clips, split, options, say)
    manifest = _manifest(
        sources, recordings, clips, split, dropped, failed, corrector, options, key, warnings, duplicates, transcripts
    )
    _save(dataset, manifest, out)
    del dataset
    shutil.rmtree(building, ignore_errors=True)
    if options.push_to_hub:  # once everything is saved: a failed push loses nothing
        _push(out, options, say)
    return PrepareResult(out, manifest, failed)


def _push(out: Path, options: PrepareOptions, say) -> None:
    """Push the saved dataset to the Hub as a `datasets` repository (its transcripts and prepare.json stay here)."""
    import datasets

    from ttsbench.core.hub import push_failed

    say(f"pushing {out} to the Hub as {options.push_to_hub} ({'public' if options.public else 'private'})")
    try:
        datasets.load_from_disk(str(out)).push_to_hub(options.push_to_hub, private=not options.public)
    except Exception as e:  # offline, HTTP, auth, a bad id: one line, the dataset kept
        raise push_failed(e, out, options.push_to_hub) from None
    say(f"pushed {options.push_to_hub}")


def _old_manifest(out: Path, overwrite: bool) -> PrepareManifest | None:
    """The dataset's prepare.json at `out`; a damaged one stops the run unless `overwrite` rebuilds the dataset."""
    try:
        return PrepareManifest.read(out)
    except RecordError:
        if overwrite:
            return None
        raise


def _check_same_recordings(out: Path, sources: list[Source], overwrite: bool) -> None:
    """A dataset made from other recordings is not rebuilt from these unless told: none of its recordings is
    among the sources (by what was given or by path)."""
    old = _old_manifest(out, overwrite)
    if old is None or overwrite or not old.recordings:
        return
    given = {redact(s.given) for s in sources} | {str(Path(s.given).resolve()) for s in sources}
    before = {r.get("source") for r in old.recordings} | {
        str(Path(r.get("path", "")).resolve()) for r in old.recordings
    }
    if not given & before:
        raise PrepareError(
            f"--out {out}: holds a dataset made from other recordings ({old.recordings[0].get('source')} …); "
            "pass a new --out, or --overwrite to rebuild it from these"
        )


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PrepareError(f"--out {out}: is a file; pass a folder for the dataset")
    if (
        out.is_dir()
        and not (out / PrepareManifest.FILE).exists()
        and any(p.name != "transcripts" and not p.name.startswith(".") for p in out.iterdir())  # .staging …
    ):
        raise PrepareError(
            f"--out {out}: exists and is not a ttsbench dataset (no {PrepareManifest.FILE}); pass a new or empty folder"
        )


def check_speakers(speakers: dict[str, int], sources: list[Source], path) -> None:
    """Every entry of a speakers file must name a source: a typo would silently merge two speakers."""
    import difflib

    names = sorted({k for s in sources for k in source_names(s)})
    for entry in speakers:
        if entry not in names:
            close = difflib.get_close_matches(entry, names, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"sources: {', '.join(names[:6])}"
            raise PrepareError(f"{path}: entry {entry!r} names no source of this call ({hint}); fix or remove it")


def _fetch(source: Source, options: PrepareOptions, say) -> Source:
    """The source with a local file: a URL downloaded (cached), a path checked."""
    if source.url:
        bar = say.bar(f"download {redact(source.url)}", unit="B")
        path = download(source.url, Path(options.cache_dir), progress=bar.bytes)
        bar.close()
        return dataclasses.replace(source, path=path)
    if source.path.is_dir():
        raise SourceError(f"{source.given}: holds no audio or video files (wav, flac, mp3, m4a, mp4, webm …)")
    if not source.path.is_file():
        raise AudioError(f"{source.path}: no such file; check the path")
    return source


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class _TranscriptFolder:
    """`DATA/transcripts/*.json`, found by the hash of the audio they transcribe, not by file name.

    Two recordings may share a name (`a/take.wav`, `b/take.wav`) and the order of sources may
    change between calls: a transcript is reused only for the audio it was made from. A transcript
    written before hashes were recorded is adopted when its name and duration match.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._by_sha: dict[str, Path] | None = None
        self._paths: dict[int, Path] = {}

    def _index(self) -> dict[str, Path]:
        if self._by_sha is None:
            self._by_sha = {}
            for path in sorted(self.folder.glob("*.json")):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except OSError:
                    continue
                except ValueError:  # a hand edit gone wrong: never transcribed again over it
                    Transcript.load(path)  # raises, naming its line and column
                    continue
                sha = data.get("audio_sha256") if isinstance(data, dict) else None
                if sha:
                    self._by_sha.setdefault(sha, path)
        return self._by_sha

    def find(self, recording_id: str, sha: str, duration) -> Transcript | None:
        """The saved transcript of this audio (hand edits and all), named for this call's recording id."""
        path = self._index().get(sha)
        if path is None:
            legacy = self.folder / f"{recording_id}.json"
            if not legacy.is_file():
                return None
            old = Transcript.load(legacy)  # hand-written (no duration) or made before hashes were recorded
            if old.audio_sha256 or (old.duration and abs(old.duration - duration()) > 0.05):
                return None
            old = dataclasses.replace(old, audio_sha256=sha)
            old.save(legacy)  # adopted: the hash is added, nothing else changes
            self._index()[sha] = path = legacy
        found = Transcript.load(path)
        if found.recording_id != recording_id:  # the same audio under another name this time
            found = dataclasses.replace(found, recording_id=recording_id)
        return self._remember(found, path)

    def save(self, transcript: Transcript) -> Path:
        """Under the recording's name, unless that file transcribes other audio (it is kept, never replaced)."""
        own = self._index().get(transcript.audio_sha256)  # this audio's transcript: --retranscribe replaces it
        path = own or self.folder / f"{transcript.recording_id}.json"
        if path.is_file() and path != own:  # another recording's (or a hand-written one): never replaced
            path = self.folder / f"{transcript.recording_id}-{transcript.audio_sha256[:8]}.json"
        transcript.save(path)
        self._index()[transcript.audio_sha256] = path
        self._remember(transcript, path)
        return path

    def _remember(self, transcript: Transcript, path: Path) -> Transcript:
        self._paths[id(transcript)] = path
        return transcript

    def path_of(self, transcript: Transcript) -> Path:
        return self._paths[id(transcript)]


def _transcribe(
    source: Source, sha: str, transcripts: _TranscriptFolder, options: PrepareOptions, say, notes: list[str]
) -> tuple[Source, Transcript]:
    """The transcript of one source: reused when one exists for this audio, else made and saved at once."""
    if not options.retranscribe:
        found = transcripts.find(source.recording_id, sha, lambda: _duration(source.path))
        if found is not None:
            return source, found
    asr = load_asr(options.asr)
    stream = AudioStream(source.path, ASR_SAMPLE_RATE)  # in pieces: a long recording never sits in memory whole
    bar = say.bar(f"transcribe {source.recording_id}", unit="s")
    segments = transcribe_stream(asr, stream, progress=bar.to)
    bar.close()
    if stream.warning:
        say.warn(stream.warning)
        notes.append(stream.warning)
    transcript = Transcript(
        source.recording_id, tuple(segments), options.asr.language, options.asr.model_id, round(stream.seconds, 3), sha
    )
    transcripts.save(transcript)
    return source, transcript


ENVELOPE_FRAME = 320  # samples at 16 kHz: 20 ms


def _same_content(recordings: list[tuple[Source, Transcript]]) -> list[tuple[Source, Source]]:
    """(later, earlier) for each recording whose decoded audio is another's in another file or format: the same
    length (within 0.25 s, a codec's padding) and the same loudness contour (20 ms frames, correlation ≥ 0.98 at
    the best shift within ±0.2 s). Only recordings of equal length are decoded to compare; the rest cost nothing."""
    found: list[tuple[Source, Source]] = []
    prints: dict[int, np.ndarray] = {}

    def envelope(k: int) -> np.ndarray:
        if k not in prints:
            prints[k] = _envelope(recordings[k][0].path)
        return prints[k]

    dropped: set[int] = set()
    for i, (source, transcript) in enumerate(recordings):
        for j in range(i):
            earlier, other = recordings[j]
            if j in dropped or abs(transcript.duration - other.duration) > 0.25:
                continue
            if _alike(envelope(j), envelope(i)):
                found.append((source, earlier))
                dropped.add(i)
                break
    return found


def _envelope(path: Path) -> np.ndarray:
    """The loudness contour of a recording: dB RMS of 20 ms frames at 16 kHz, block by block (memory stays flat)."""
    levels = []
    for block in AudioStream(path, ASR_SAMPLE_RATE):
        n = len(block) // ENVELOPE_FRAME * ENVELOPE_FRAME
        frames = block[:n].reshape(-1, ENVELOPE_FRAME)
        levels.append(10 * np.log10(np.mean(frames**2, axis=1) + 1e-6))
    return np.concatenate(levels) if levels else np.zeros(0)


def _alike(a: np.ndarray, b: np.ndarray, shifts: int = 10) -> bool:
    best = -1.0
    for s in range(-shifts, shifts + 1):
        x, y = (a[s:], b) if s >= 0 else (a, b[-s:])
        n = min(len(x), len(y))
        if n < 50 or np.std(x[:n]) == 0 or np.std(y[:n]) == 0:
            continue
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best >= 0.98


def _duration(path: Path) -> float:
    stream = AudioStream(path, ASR_SAMPLE_RATE)
    for _ in stream:
        pass
    return stream.seconds


def _edited_words(transcript: Transcript, path: Path, say) -> list[Word]:
    """The transcript's words, honouring a hand edit of a segment's text.

    Clip text comes from the words (they carry the timings). A segment whose `text` a person
    changed while keeping its word count lends its words the new spellings; otherwise the words
    win and a warning says so.
    """
    words: list[Word] = []
    for n, seg in enumerate(transcript.segments):
        said = seg.text.split()
        if said != words_text(list(seg.words)).split():
            if len(said) == len(seg.words):
                seg = Segment(
                    seg.start,
                    seg.end,
                    seg.text,
                    tuple(dataclasses.replace(w, word=" " + t) for w, t in zip(seg.words, said, strict=False)),
                )
            elif seg.words:
                say.warn(
                    f"{path} segment {n}: its text was edited but "
                    "the word count changed, so the words' text is used; edit the words too (or use --corrections)"
                )
        words += seg.words
    return words


def _build_dataset(recordings, clips: list[Clip], split: dict[str, str], options: PrepareOptions, say):
    """The dataset, written row by row to an Arrow file under `out`: clips are cut as the audio streams by."""
    import datasets

    if not options.progress:
        datasets.disable_progress_bars()
    # the audio goes in as the Audio feature's own storage (WAV bytes and a name) and is then declared Audio:
    # `datasets` would otherwise encode every row through torchcodec, which a runtime whose torch has no
    # matching torchcodec cannot import; the bytes are the same either way
    features = datasets.Features(
        {
            "audio": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")},
            "text": datasets.Value("string"),
            "source": datasets.Value("int64"),
            "clip_id": datasets.Value("string"),
            "recording_id": datasets.Value("string"),
            "start": datasets.Value("float64"),
            "end": datasets.Value("float64"),
            "duration": datasets.Value("float64"),
            "split": datasets.Value("string"),
        }
    )
    by_recording: dict[str, list[Clip]] = {}
    for c in clips:
        by_recording.setdefault(c.recording_id, []).append(c)
    paths = [
        (str(source.path), by_recording[source.recording_id])
        for source, _ in recordings
        if source.recording_id in by_recording
    ]
    cache = Path(options.out) / ".building"
    shutil.rmtree(cache, ignore_errors=True)
    dataset = datasets.Dataset.from_generator(
        _rows,
        features=features,
        cache_dir=str(cache),
        keep_in_memory=False,
        writer_batch_size=16,
        gen_kwargs={"paths": paths, "split": split, "sr": options.sample_rate, "progress": options.progress},
    )
    return dataset.cast_column("audio", datasets.Audio(sampling_rate=options.sample_rate)), cache


def _rows(paths, split: dict[str, str], sr: int, progress: bool):
    """Dataset rows, one recording streamed at a time; each clip is cut as soon as its audio has passed."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=sum(len(c) for _, c in paths),
        desc="cut clips",
        unit="clip",
        disable=not progress,
        leave=False,
        file=sys.stderr,
    )
    for path, clips in paths:
        clips = sorted(clips, key=lambda c: c.start)
        buffer, offset, k = np.zeros(0, np.float32), 0, 0  # offset: samples of the recording before `buffer`
        for block in _and_then_nothing(AudioStream(path, sr)):
            buffer = np.concatenate([buffer, block]) if block is not None else buffer
            while k < len(clips) and (block is None or int(round(clips[k].end * sr)) <= offset + len(buffer)):
                c = clips[k]
                piece = buffer[max(0, int(round(c.start * sr)) - offset) : int(round(c.end * sr)) - offset]
                yield {
                    "audio": {"bytes": wav_bytes(piece, sr), "path": f"{c.id}.wav"},
                    "text": c.text,
                    "source": c.speaker,
                    "clip_id": c.id,
                    "recording_id": c.recording_id,
                    "start": round(c.start, 3),
                    "end": round(c.end, 3),
                    "duration": round(len(piece) / sr, 3),
                    "split": split[c.id],
                }
                k += 1
                bar.update(1)
            if k < len(clips):  # keep only what the next clips need
                drop = max(0, int(round(clips[k].start * sr)) - offset)
                buffer, offset = buffer[drop:], offset + drop
    bar.close()


def _and_then_nothing(stream):
    """The stream's blocks, then None (the end: clips reaching past it take what there is)."""
    yield from stream
    yield None


def _save(dataset, manifest: PrepareManifest, out: Path) -> None:
    """Write the dataset beside a staging copy, then swap it in: an interrupted save loses nothing."""
    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    dataset.save_to_disk(str(staging), max_shard_size="64MB")  # shard by shard: memory stays flat
    for old in list(out.glob("data-*.arrow")) + [out / f for f in DATASET_FILES]:
        old.unlink(missing_ok=True)
    for new in staging.iterdir():
        new.replace(out / new.name)
    staging.rmdir()
    manifest.write(out)


def _input_key(recordings, options: PrepareOptions, corrector: Corrector) -> str:
    """A hash of everything the dataset depends on: audio files, transcripts, settings, corrections."""
    h = hashlib.sha256()
    for source, transcript in recordings:  # the content, not the mtime: a re-written identical file is unchanged
        h.update(f"{source.recording_id}|{transcript.audio_sha256}".encode())
        h.update(json.dumps(transcript.to_json(), sort_keys=True).encode())
    settings = {
        k: v for k, v in _settings(options).items() if k not in ("progress", "retranscribe", "push_to_hub", "overwrite")
    }
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(json.dumps([dataclasses.asdict(r) for r in corrector.rules]).encode())
    return h.hexdigest()


def _settings(options: PrepareOptions) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(options), default=str))


def _versions() -> dict:
    return package_versions(
        "ttsbench", "datasets", "faster-whisper", "ctranslate2", "openai-whisper", "pysbd", "av", "soxr"
    )


def _manifest(
    given, recordings, clips, split, dropped, failed, corrector, options, key, warnings, duplicates, transcripts
) -> PrepareManifest:
    counts = {s: {"clips": 0, "minutes": 0.0} for s in SPLITS}
    for c in clips:
        counts[split[c.id]]["clips"] += 1
        counts[split[c.id]]["minutes"] += c.duration / 60
    for v in counts.values():
        v["minutes"] = round(v["minutes"], 2)
    return PrepareManifest(
        input_key=key,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        sources=[redact(g) for g in given],
        recordings=[
            {
                "recording_id": s.recording_id,
                "source": redact(s.given),
                "path": str(s.path),
                "sha256": t.audio_sha256,
                "transcript": transcripts.path_of(t).name,
                "seconds": t.duration,
                "asr": t.model,
            }
            for s, t in recordings
        ],
        duplicates=duplicates,
        settings=_settings(options),
        language=options.asr.language,
        versions=_versions(),
        counts=counts,
        speakers=sorted({c.speaker for c in clips}),
        dropped=[dataclasses.asdict(d) for d in dropped],
        dropped_seconds=round(sum(d.end - d.start for d in dropped), 2),
        failed=failed,
        corrections=corrector.report(),
        warnings=warnings,
    )


class _Say:
    """Progress bars (tqdm, on stderr) and messages (logged), quiet when progress is off."""

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, msg: str) -> None:
        (log.info if self.on else log.debug)(msg)

    def warn(self, msg: str) -> None:
        log.warning(redact(msg))

    def error(self, msg: str) -> None:
        log.error(redact(msg))

    def bar(self, desc: str, total=None, unit="it"):
        return _Bar(desc, total, unit, disable=not self.on)


class _Bar:
    def __init__(self, desc, total, unit, disable):
        from tqdm.auto import tqdm

        self.tqdm = tqdm(
            desc=desc, total=total, unit=unit, unit_scale=unit == "B", disable=disable, leave=False, file=sys.stderr
        )

    def update(self, n):
        self.tqdm.update(n)

    def to(self, value: float) -> None:
        self.tqdm.update(max(0.0, round(value, 1) - self.tqdm.n))

    def bytes(self, done: int, total: int | None) -> None:
        if total:
            self.tqdm.total = total
        self.to(done)

    def close(self):
        self.tqdm.close()
