"""A voice dataset → CSM training inputs.

Accepts what `ttsbench prepare` writes (one dataset with a `split` column), a `DatasetDict` with
`train` (and `eval` or `validation`), or a plain dataset (all train), from disk or the Hub. Needs
`audio` and `text`; `source` (integer speaker id per row) is optional and defaults to 0.

Each row becomes one conversation turn `[speaker]text` + its audio, through the processor's chat
template with `output_labels=True`, exactly as at inference; batches are padded on the fly to
their own longest row (no global max-length padding to pay for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataprep.constants import CSM_FRAME_RATE, CSM_SAMPLE_RATE
from dataprep.errors import UserError
from dataprep.records import PrepareManifest



class DatasetError(UserError, ValueError):
    """A dataset that cannot be trained on; the message names it and the fix."""


@dataclass(frozen=True)
class Row:
    """One training clip, decoded."""

    clip_id: str
    text: str
    audio: np.ndarray  # mono float32 at 24 kHz
    speaker: int


@dataclass(frozen=True)
class Splits:
    train: list  # of dataset row indices, in the dataset's order
    eval: list
    dataset: object  # the datasets.Dataset the indices point into
    fingerprint: str  # changes whenever the data changes


def load_splits(name: str | Path) -> Splits:
    """The train and eval rows of a voice dataset (folder or Hub id), columns checked."""
    import datasets

    name = str(name)
    try:
        ds = datasets.load_from_disk(name) if Path(name).exists() else datasets.load_dataset(name)
    except (FileNotFoundError, ValueError, ConnectionError) as e:
        raise DatasetError(f"dataset {name}: cannot be loaded ({str(e).splitlines()[0][:160]}); pass a folder "
                           "from `ttsbench prepare` or a Hub dataset id") from None
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
    else:
        train, evals = list(range(len(ds))), []
    missing = {"audio", "text"} - set(ds.column_names)
    if missing:
        raise DatasetError(f"dataset {name}: has no column(s) {', '.join(sorted(missing))} (it has "
                           f"{', '.join(ds.column_names)}); a voice dataset needs `audio` and `text` "
                           "(make one with `ttsbench prepare`)")
    if "source" in ds.column_names:
        for i, s in enumerate(ds["source"]):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise DatasetError(f"dataset {name}: row {i} has source {s!r}; `source` is the speaker id and must "
                                   "be an integer (0, 1, …) — map names to ids before training")
    if not train:
        raise DatasetError(f"dataset {name}: the train split is empty")
    manifest = PrepareManifest.read(name) if Path(name).is_dir() else None
    fingerprint = manifest.input_key if manifest is not None else ds._fingerprint
    return Splits(train, evals, ds.cast_column("audio", datasets.Audio(decode=False)), fingerprint)


def subset(train: list, rows: int | None, seed: int) -> list:
    """`rows` of the train split chosen by `seed`; nested: the rows for 10 are among those for 25."""
    if rows is None:
        return list(train)
    if rows < 1 or rows > len(train):
        raise DatasetError(f"--rows {rows}: the train split has {len(train)} rows; pick 1 to {len(train)}")
    order = np.random.default_rng(seed).permutation(len(train))
    return [train[i] for i in sorted(order[:rows])]


def decode_rows(dataset, indices: list) -> tuple[list[Row], list[dict]]:
    """(decoded rows, undecodable ones with the reason)."""
    import io

    import soundfile as sf

    from dataprep.audio import resample

    rows, bad = [], []
    for i in indices:
        r = dataset[int(i)]
        clip_id = str(r.get("clip_id") or f"row{i}")
        a = r["audio"]
        try:
            audio, rate = sf.read(io.BytesIO(a["bytes"]) if a.get("bytes") else a["path"], dtype="float32",
                                  always_2d=True)
        except Exception as e:  # counted and listed in finetune.json, never dropped silently
            bad.append({"clip_id": clip_id, "reason": f"audio does not decode ({type(e).__name__})"})
            continue
        audio = resample(audio.mean(axis=1), rate, CSM_SAMPLE_RATE)
        rows.append(Row(clip_id, str(r["text"]).strip(), audio, int(r.get("source") or 0)))
    return rows, bad


def conversation(row: Row) -> list[dict]:
    return [{"role": str(row.speaker), "content": [{"type": "text", "text": row.text},
                                                  {"type": "audio", "audio": row.audio}]}]


def fit_rows(rows: list[Row], processor, max_audio_seconds: float, max_positions: int):
    """(rows that fit, rows filtered with the reason, the lengths computed from the data)."""
    keep, filtered, text_lengths, frames = [], [], [], []
    for r in rows:
        seconds = len(r.audio) / CSM_SAMPLE_RATE
        n_text = len(processor.tokenizer(f"[{r.speaker}]{r.text}", add_special_tokens=False).input_ids) + 2
        n_audio = math.ceil(seconds * CSM_FRAME_RATE) + 1  # frames + the audio-EOS frame
        if seconds > max_audio_seconds:
            filtered.append({"clip_id": r.clip_id, "seconds": round(seconds, 2),
                             "reason": f"longer than max_audio_seconds {max_audio_seconds:g}"})
        elif not r.text:
            filtered.append({"clip_id": r.clip_id, "seconds": round(seconds, 2), "reason": "empty text"})
        elif n_text + n_audio > max_positions:
            filtered.append({"clip_id": r.clip_id, "seconds": round(seconds, 2),
                             "reason": f"{n_text + n_audio} tokens exceed the model's {max_positions} positions"})
        else:
            keep.append(r)
            text_lengths.append(n_text)
            frames.append(n_audio)
    lengths = {"max_text_tokens": max(text_lengths, default=0), "max_audio_frames": max(frames, default=0),
               "max_audio_seconds": round(max((len(r.audio) for r in keep), default=0) / CSM_SAMPLE_RATE, 2)}
    return keep, filtered, lengths


class TurnDataset:
    """Rows → processor features (one turn each); labels for the depth decoder on `frames` of frames."""

    def __init__(self, rows: list[Row], processor, depth_decoder_frames: float = 1.0):
        self.rows, self.processor, self.ratio = rows, processor, depth_decoder_frames

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        enc = self.processor.apply_chat_template(
            conversation(self.rows[i]), tokenize=True, return_dict=True,
            processor_kwargs={"output_labels": True, "depth_decoder_labels_ratio": self.ratio})
        return {k: v[0] for k, v in enc.items()}


def collate(features: list[dict], pad_id: int, dtype=None) -> dict:
    """Right-pad a batch to its longest row: text with the pad id (label -100), audio with zeros."""
    import torch

    n = max(len(f["input_ids"]) for f in features)
    samples = max(f["input_values"].shape[-1] for f in features)
    cuts = max(len(f["input_values_cutoffs"]) for f in features)

    def pad(t, size, value):
        return torch.nn.functional.pad(t, (0, size - t.shape[-1]), value=value)

    return {
        "input_ids": torch.stack([pad(f["input_ids"], n, pad_id) for f in features]),
        "attention_mask": torch.stack([pad(f["attention_mask"], n, 0) for f in features]),
        "labels": torch.stack([pad(f["labels"], n, -100) for f in features]),
        "input_values": torch.stack([pad(f["input_values"], samples, 0.0) for f in features]).to(dtype),  # the codec's
        "input_values_cutoffs": torch.stack([pad(f["input_values_cutoffs"], cuts, -1) for f in features]),
    }
