"""The one reader of a voice dataset: its splits and its clips, decoded (mono, 24 kHz: both families'
codecs run at 24 kHz).

Accepts what `ttsbench prepare` writes (one dataset with a `split` column: train, eval, reference),
a `DatasetDict` with `train` (and `eval` or `validation`), or a plain dataset (all train), from disk
or the Hub. Needs `audio` and `text`; `source` (integer speaker id per row) is optional and
defaults to 0. Fine-tuning reads the train and eval splits; a benchmark reads the reference clips
(the cloning context and the similarity target) and the eval clips (the ground-truth row).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ttsbench.core.errors import UserError

from .constants import DATASET_SAMPLE_RATE
from .records import PrepareManifest


class DatasetError(UserError, ValueError):
    """A dataset that cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class DatasetRow:
    """One clip of a voice dataset, decoded."""

    clip_id: str
    text: str
    audio: np.ndarray  # mono float32 at DATASET_SAMPLE_RATE (24 kHz)
    speaker: int
    sample_rate: int = DATASET_SAMPLE_RATE


@dataclass(frozen=True)
class Splits:
    """Row indices per split, into `dataset`."""

    train: list  # of dataset row indices, in the dataset's order
    eval: list
    reference: list
    dataset: object  # the datasets.Dataset the indices point into (audio not decoded)
    fingerprint: str  # changes whenever the data changes
    name: str = ""  # as given

    def rows(self, split: str) -> tuple[list[DatasetRow], list[dict]]:
        """The decoded clips of a split, and the ones that would not decode, each with the reason."""
        return decode_rows(self.dataset, getattr(self, split))


def load_splits(name: str | Path) -> Splits:
    """The splits of a voice dataset (folder or Hub id), columns checked."""
    import datasets

    name = str(name)
    try:
        ds = datasets.load_from_disk(name) if Path(name).exists() else datasets.load_dataset(name)
    except (FileNotFoundError, ValueError, ConnectionError) as e:
        raise DatasetError(
            f"dataset {name}: cannot be loaded ({str(e).splitlines()[0][:160]}); pass a folder "
            "from `ttsbench prepare` or a Hub dataset id"
        ) from None
    reference = []
    if isinstance(ds, datasets.DatasetDict):
        if "train" not in ds:
            raise DatasetError(f"dataset {name}: has splits {', '.join(ds)} but no 'train'; name one split 'train'")
        eval_name = next((s for s in ("eval", "validation") if s in ds), None)
        merged = datasets.concatenate_datasets([ds["train"]] + ([ds[eval_name]] if eval_name else []))
        n = len(ds["train"])
        train, evals, ds = list(range(n)), list(range(n, len(merged))), merged
    elif "split" in ds.column_names:
        split = ds["split"]
        train = [i for i, s in enumerate(split) if s == "train"]
        evals = [i for i, s in enumerate(split) if s == "eval"]
        reference = [i for i, s in enumerate(split) if s == "reference"]
    else:
        train, evals = list(range(len(ds))), []
    missing = {"audio", "text"} - set(ds.column_names)
    if missing:
        raise DatasetError(
            f"dataset {name}: has no column(s) {', '.join(sorted(missing))} (it has "
            f"{', '.join(ds.column_names)}); a voice dataset needs `audio` and `text` "
            "(make one with `ttsbench prepare`)"
        )
    if "source" in ds.column_names:
        for i, s in enumerate(ds["source"]):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise DatasetError(
                    f"dataset {name}: row {i} has source {s!r}; `source` is the speaker id and must "
                    "be an integer (0, 1, …) — map names to ids before training"
                )
    manifest = PrepareManifest.read(name) if Path(name).is_dir() else None
    fingerprint = manifest.input_key if manifest is not None else ds._fingerprint
    return Splits(train, evals, reference, ds.cast_column("audio", datasets.Audio(decode=False)), fingerprint, name)


def subset(train: list, rows: int | None, seed: int) -> list:
    """`rows` of the train split chosen by `seed`; nested: the rows for 10 are among those for 25."""
    if rows is None:
        return list(train)
    if rows < 1 or rows > len(train):
        raise DatasetError(f"--rows {rows}: the train split has {len(train)} rows; pick 1 to {len(train)}")
    order = np.random.default_rng(seed).permutation(len(train))
    return [train[i] for i in sorted(order[:rows])]


def decode_rows(dataset, indices: list) -> tuple[list[DatasetRow], list[dict]]:
    """(decoded rows, undecodable ones with the reason)."""
    from .audio import decode_file_or_bytes, resample

    rows, bad = [], []
    for i in indices:
        r = dataset[int(i)]
        clip_id = str(r.get("clip_id") or f"row{i}")
        a = r["audio"]
        try:
            audio, rate = decode_file_or_bytes(a["bytes"] if a.get("bytes") else a["path"])
        except Exception as e:  # counted and listed by the caller, never dropped silently
            bad.append({"clip_id": clip_id, "reason": f"audio does not decode ({type(e).__name__})"})
            continue
        audio = resample(audio, rate, DATASET_SAMPLE_RATE)
        rows.append(DatasetRow(clip_id, str(r["text"]).strip(), audio, int(r.get("source") or 0)))
    return rows, bad
