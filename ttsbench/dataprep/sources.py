"""Sources of a prepare call: audio or video files, folders of them, and URLs (yt-dlp, cached)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .audio import AUDIO_SUFFIXES
from ttsbench.core.errors import UserError, redact, yaml_problem


class SourceError(UserError, ValueError):
    """A source that cannot be read or fetched; the message names it and the fix."""


@dataclass(frozen=True)
class Source:
    """One recording to prepare."""

    given: str  # as the user wrote it (a path or a URL)
    path: Path | None  # the local file; None until a URL is downloaded
    recording_id: str  # names its transcript and its clips
    url: str | None = None


def default_cache_dir() -> Path:
    return Path(
        os.environ.get("TTSBENCH_CACHE", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ttsbench")
    )


def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", text))


def recording_id_for(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "recording"


def expand_sources(given: list[str]) -> list[Source]:
    """Files, folders (their audio and video files, recursively, sorted) and URLs, in order.

    A missing path is kept (its error is reported when it is read) so that the other
    sources of the call still complete.
    """
    sources: list[Source] = []
    for item in given:
        if is_url(item):
            sources.append(Source(item, None, "", url=item))
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            if not files:
                sources.append(Source(item, path, recording_id_for(path.name)))  # reported as unreadable later
            sources += [Source(str(p), p, "") for p in files]
        else:
            sources.append(Source(item, path, ""))
    return _with_ids(sources)


def _with_ids(sources: list[Source]) -> list[Source]:
    """Give each source a recording id from its file name; a clash gets a short hash of the full path."""
    out, seen = [], set()
    for s in sources:
        rid = s.recording_id or recording_id_for(Path(s.url).stem if s.url else s.path.stem)
        if s.url:
            rid = "url-" + hashlib.sha1(s.url.encode()).hexdigest()[:10]
        if rid in seen:
            rid = f"{rid}-{hashlib.sha1(str(Path(s.given).resolve()).encode()).hexdigest()[:6]}"
        seen.add(rid)
        out.append(Source(s.given, s.path, rid, s.url))
    return out


def download(url: str, cache_dir: Path, progress=None) -> Path:
    """Best audio of `url` with yt-dlp, cached: a URL already fetched is never fetched again."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    index_path = cache_dir / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    key = hashlib.sha256(url.encode()).hexdigest()  # the URL itself may hold credentials: never written
    if key in index and (cache_dir / index[key]).is_file():
        return cache_dir / index[key]
    try:
        import yt_dlp
    except ImportError:
        raise SourceError(f"{url}: downloading needs yt-dlp: pip install yt-dlp") from None

    def hook(d):
        if progress and d.get("status") == "downloading":
            progress(d.get("downloaded_bytes") or 0, d.get("total_bytes") or d.get("total_bytes_estimate"))

    opts = {
        "format": "bestaudio/best",
        "outtmpl": str(cache_dir / "%(extractor)s-%(id)s.%(ext)s"),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "progress_hooks": [hook],
        "socket_timeout": 20,
        "retries": 2,
        "noplaylist": True,
    }
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=True)
            path = Path(ydl.prepare_filename(info))
    except Exception as e:  # yt-dlp wraps network and extractor failures in DownloadError
        msg = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).splitlines()[0][:200]
        raise SourceError(
            redact(
                f"{url}: download failed ({msg}); check the network, or download the audio elsewhere and pass the file"
            )
        ) from None
    index[key] = path.name
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index, indent=1))
    tmp.replace(index_path)
    return path


def load_speakers(path: str | Path) -> dict[str, int]:
    """A YAML mapping or TSV (source<TAB>id): source path, file name, recording id or URL → speaker id."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such speakers file; check the path")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in {".tsv", ".txt"}:
        rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
        pairs = [(r[0], r[1] if len(r) > 1 else "") for r in rows]
    else:
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise SourceError(f"{path}: not valid YAML ({yaml_problem(e)})") from None
        if not isinstance(data, dict):
            raise SourceError(f"{path}: expected a mapping 'source: speaker id'")
        pairs = list(data.items())
    out = {}
    for key, value in pairs:
        try:
            out[str(key).strip()] = int(str(value).strip())
        except ValueError:
            out[str(key).strip()] = -1
        if out[str(key).strip()] < 0 or isinstance(value, bool):
            raise SourceError(f"{path}: speaker id for {key!r} must be an integer ≥ 0, got {value!r}")
    return out


def source_names(source: Source) -> list[str]:
    """The names a speakers file may use for a source: as given, its recording id, path, file name, stem."""
    keys = [source.given, source.recording_id]
    if source.path is not None:
        keys += [str(source.path), source.path.name, source.path.stem]
    return keys


def speaker_for(source: Source, speakers: dict[str, int], default: int) -> int:
    for k in source_names(source):
        if k in speakers:
            return speakers[k]
    return default
