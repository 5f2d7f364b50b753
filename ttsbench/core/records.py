"""The base of every record stored as one JSON file: versioned, written atomically, read by one reader."""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

from .errors import UserError


class RecordError(UserError, ValueError):
    """A record file that cannot be read (damaged, or written by a newer ttsbench)."""


def build(cls, data: dict, where: str, fix: str):
    """A dataclass `cls` from a JSON object: unknown keys are ignored (newer fields of an older file), a missing
    field or a value of the wrong type is one RecordError naming `where` (file, and line), the field and `fix`."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: not a {cls.__name__} (a JSON object was expected, got {_kind(data)}); {fix}")
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordError(f"{where}: field '{f.name}' is missing; {fix}")
        elif f.name in hints and not _fits(data[f.name], hints[f.name]):
            raise RecordError(
                f"{where}: field '{f.name}' is {_kind(data[f.name])} {_short(data[f.name])}, not "
                f"{_type_words(hints[f.name])}; {fix}"
            )
    return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@functools.cache
def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # a name only known to type checkers: the fields are then not checked by type
        return {}


def _fits(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    base = origin or hint
    if base in (list, tuple):
        return isinstance(value, (list, tuple))
    if base is dict:
        return isinstance(value, dict)
    if isinstance(base, type) and dataclasses.is_dataclass(base):
        return isinstance(value, (dict, base))
    return True  # Any, Literal and the like: not checked here


def _type_words(hint) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_words(arm) for arm in typing.get_args(hint))
    names = {type(None): "null", bool: "true/false", int: "a whole number", float: "a number", str: "text"}
    base = typing.get_origin(hint) or hint
    containers = {list: "a list", tuple: "a list", dict: "an object"}
    return str(names.get(hint) or containers.get(base) or getattr(base, "__name__", hint))


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


class JsonRecord:
    """A dataclass stored as one JSON file: `to_dict`/`from_dict`, atomic `write`, and one `read`.

    Each record class has a `version`; a file with a newer version than this code knows is refused
    (it may mean something else), an older one is read with the fields it has. Unknown keys are
    ignored, so adding a field never breaks reading older files.
    """

    VERSION = 1
    FILE = ""  # the file name inside its folder
    FIX: ClassVar[str] = "restore it from a backup"  # what to do about a damaged file (each record says better)

    def to_dict(self) -> dict:
        return {"version": self.VERSION, **asdict(self)}  # type: ignore[call-overload]  # subclasses are dataclasses

    @classmethod
    def from_dict(cls, data: dict, where: str = ""):
        if not isinstance(data, dict):
            return build(cls, data, where or cls.FILE, cls.FIX)  # says what it is instead
        if isinstance(data.get("version", 1), int) and data.get("version", 1) > cls.VERSION:
            raise RecordError(
                f"{where or cls.FILE}: written by a newer ttsbench (version {data['version']}, this one "
                f"reads up to {cls.VERSION}); upgrade ttsbench"
            )
        return build(cls, data, where or cls.FILE, cls.FIX)

    @classmethod
    def read(cls, folder: str | Path):
        """The record in `folder`, or None when the folder has none."""
        return cls.read_file(Path(folder) / cls.FILE)

    @classmethod
    def read_data(cls, path: str | Path) -> dict | None:
        """The file's JSON as stored (for readers that convert older versions), or None when there is none."""
        path = Path(path)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise RecordError(f"{path}: damaged (not UTF-8 text, byte {e.start}); {cls.FIX}") from None
        except json.JSONDecodeError as e:
            raise RecordError(
                f"{path}: damaged (not JSON: line {e.lineno} column {e.colno}, {e.msg}); {cls.FIX}"
            ) from None
        if not isinstance(data, dict):
            raise RecordError(
                f"{path}: not a {cls.__name__} (a JSON object was expected, got {_kind(data)}); {cls.FIX}"
            )
        if not isinstance(data.get("version", 1), int) or isinstance(data.get("version"), bool):
            raise RecordError(f"{path}: field 'version' is {_short(data['version'])}, not a whole number; {cls.FIX}")
        return data

    @classmethod
    def read_file(cls, path: str | Path):
        """The record in the file at `path`, or None when there is none."""
        data = cls.read_data(path)
        return None if data is None else cls.from_dict(data, str(path))

    def write(self, folder: str | Path) -> Path:
        return self.write_file(Path(folder) / self.FILE)

    def write_file(self, path: str | Path) -> Path:
        """Atomically: a reader sees the old file or the new one, never half of one."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False, default=str) + "\n")
        tmp.replace(path)
        return path
