"""The base of every record stored as one JSON file: versioned, written atomically, read by one reader."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict
from pathlib import Path

from .errors import UserError


class RecordError(UserError, ValueError):
    """A record file that cannot be read (damaged, or written by a newer ttsbench)."""


class JsonRecord:
    """A dataclass stored as one JSON file: `to_dict`/`from_dict`, atomic `write`, and one `read`.

    Each record class has a `version`; a file with a newer version than this code knows is refused
    (it may mean something else), an older one is read with the fields it has. Unknown keys are
    ignored, so adding a field never breaks reading older files.
    """

    VERSION = 1
    FILE = ""  # the file name inside its folder

    def to_dict(self) -> dict:
        return {"version": self.VERSION, **asdict(self)}  # type: ignore[call-overload]  # subclasses are dataclasses

    @classmethod
    def from_dict(cls, data: dict, where: str = ""):
        if int(data.get("version", 1)) > cls.VERSION:
            raise RecordError(
                f"{where or cls.FILE}: written by a newer ttsbench (version {data['version']}, this one "
                f"reads up to {cls.VERSION}); upgrade ttsbench"
            )
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]  # subclasses are dataclasses
        return cls(**{k: v for k, v in data.items() if k in names})

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
            data = json.loads(path.read_text())
        except ValueError:
            raise RecordError(f"{path}: damaged (not JSON); restore it or run the stage that writes it again") from None
        if not isinstance(data, dict):
            raise RecordError(
                f"{path}: not a {cls.__name__} (a JSON object was expected); restore it or run the "
                "stage that writes it again"
            )
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
