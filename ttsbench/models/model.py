"""Loading a model checkpoint the way users load it from the Hub, for any family.

    from ttsbench.models.families import family
    from ttsbench.models.model import load_checkpoint
    family("csm").build_tiny("runs/tiny-csm")             # ~300 k parameters, saved with save_pretrained
    model, processor = load_checkpoint("runs/tiny-csm")   # exactly the code path of a Hub checkpoint

A checkpoint is a folder (or Hub id) with the model's config and weights *and* its processor or
tokenizer files beside them — Unsloth loads nothing else. Which family it is comes from its
config.json (`models.families`). A checkpoint ttsbench built carries `ttsbench.json` with its
label, shown wherever its numbers are shown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ttsbench.core.hub import MARKER, hub_file, is_local, label_of, model_file

from .device import default_dtype, resolve_device  # noqa: F401  (re-exported: callers load through here)
from .families import CheckpointError, Family, family_claiming

__all__ = [
    "MARKER",
    "CheckpointError",
    "check_checkpoint",
    "checkpoint_label",
    "default_dtype",
    "load_checkpoint",
    "resolve_device",
]


def checkpoint_label(path: str | Path) -> str:
    """The label of a checkpoint ttsbench built, in a folder or the Hub cache ("" for real weights)."""
    return label_of(path)


def check_checkpoint(name: str | Path, expect: str | None = None) -> str:
    """A local checkpoint folder or a Hub id whose files are cached; raise a one-line fix otherwise.

    `expect` names the family the caller needs (csm, orpheus); the checkpoint's config must be one.
    """
    return _checked(str(name), expect)[0]


def _checked(name: str, expect: str | None) -> tuple[str, Family | None]:
    """(the checkpoint, its family) — the family is None for a Hub id not cached while the Hub is reachable
    (it is downloaded when loaded). config.json is read once."""
    if is_local(name):
        path = Path(name)
        if not path.is_dir():
            raise CheckpointError(
                f"base model {name}: no such folder; pass a checkpoint folder or a Hub id such as sesame/csm-1b"
            )
        if not (path / "config.json").is_file():
            raise CheckpointError(
                f"base model {name}: no config.json, so not a saved model; build one with "
                "`ttsbench tiny-model --out DIR` or download sesame/csm-1b"
            )
        fam = _family(name, expect)
        missing = [what for what, files in fam.processor_files if not any((path / f).is_file() for f in files)]
        if missing:
            raise CheckpointError(
                f"base model {name}: the {' and '.join(missing)} files are not beside the weights; "
                "save them with processor.save_pretrained(DIR)"
            )
        fam.check_extra(name)
        return str(path), fam
    if os.environ.get("HF_HUB_OFFLINE") != "1" and _hub_reachable():
        return name, None
    if hub_file(name, "config.json") is None:
        raise CheckpointError(
            f"base model {name}: not a local folder, and as a Hub id its weights are not in the Hugging Face cache "
            "and the Hub cannot be reached; "
            f"on a machine with network run `hf download {name}` (accept the model's licence on the Hub "
            "first) and copy the cache, or pass a local checkpoint folder"
        )
    fam = _family(name, expect)
    missing = [what for what, files in fam.processor_files if not any(hub_file(name, f) for f in files)]
    if missing:
        raise CheckpointError(
            f"base model {name}: its Hugging Face cache entry has no {' or '.join(missing)} "
            f"files (a partial download); run `hf download {name}` again where there is network"
        )
    fam.check_extra(name)
    return name, fam


def _family(name: str, expect: str | None) -> Family:
    """The family of a checkpoint whose config.json is here (read once); CheckpointError if it is not `expect`."""
    config = json.loads(model_file(name, "config.json").read_text())
    fam = family_claiming(config, f"base model {name}")  # raises for a model type no family handles, naming it
    if expect and fam.name != expect:
        raise CheckpointError(
            f"base model {name}: config.json says model_type {config.get('model_type')!r} (the "
            f"{fam.name} family), not {expect}; pass a {expect} checkpoint or set the suite's "
            f"backend to {fam.name}"
        )
    return fam


def _hub_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("huggingface.co", 443), timeout=2).close()
        return True
    except OSError:
        return False


def load_checkpoint(name: str | Path, device: str = "auto", dtype=None, expect: str | None = None):
    """(model, processor) of a checkpoint of any family, on `device`, in eval mode."""
    from .families import family, family_of

    name, fam = _checked(str(name), expect)
    fam = fam or (family(expect) if expect else family_of(name))
    return fam.load(name, resolve_device(device), dtype)
