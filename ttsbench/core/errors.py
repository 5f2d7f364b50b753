"""The one base class of errors a user can act on, and the redaction of secrets in what is shown.

An error's message is one line that names the input and the fix; the command line prints it
without a traceback. Every stage's own errors derive from it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path


class UserError(Exception):
    """Bad input or a missing model: the message says which, and what to do."""


# user:password@ in a URL, and query parameters that carry secrets (?token=…, &sig=…, X-Amz-Signature=…)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[a-z0-9_.-]*(?:token|key|secret|password|passwd|pwd|sig|signature|auth|"
    r"credential|session)[a-z0-9_.-]*)=)[^&#\s'\"]+"
)


def redact(text: str) -> str:
    """`text` with URL credentials and secret query parameters replaced by `***`; for messages and records."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", str(text)))


class OptionError(UserError, ValueError):
    """A setting outside its allowed values. `key` is the field; callers name the flag or file."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key} {message}")
        self.key, self.detail = key, message

    def where(self, place: str) -> OptionError:
        """The same error, named for a flag (`--max-seconds`) or a file and key (`c.yaml: key 'r'`)."""
        e = OptionError(self.key, self.detail)
        e.args = (f"{place} {self.detail}",)
        return e


def check_number(
    options,
    name: str,
    low=None,
    high=None,
    integer: bool = False,
    low_open: bool = False,
    optional: bool = False,
    special=(),
) -> None:
    """Raise OptionError unless `options.name` is a finite number in [low, high] (`low_open`: > low).

    `integer` refuses fractions; `optional` allows None; `special` lists other accepted values
    (e.g. -1 for "not set"). Booleans are not numbers here.
    """
    import math

    value = getattr(options, name)
    if value is None and optional or value in special and not isinstance(value, bool):
        return
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        raise OptionError(name, f"{value!r}: must be {kind}{_range(low, high, low_open, special)}")
    if (
        not math.isfinite(value)
        or (low is not None and (value <= low if low_open else value < low))
        or (high is not None and value > high)
    ):
        raise OptionError(name, f"{value!r}: must be {kind}{_range(low, high, low_open, special)}")


def check_choice(options, name: str, choices) -> None:
    value = getattr(options, name)
    if value not in choices:
        raise OptionError(name, f"{value!r}: must be one of {', '.join(map(str, choices))}")


def _range(low, high, low_open, special) -> str:
    def num(x) -> str:
        return str(x) if isinstance(x, int) else f"{x:g}"

    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '≥'} {num(low)}")
    if high is not None:
        parts.append(f"≤ {num(high)}")
    text = (" " + " and ".join(parts)) if parts else ""
    return text + (f" (or {', '.join(map(str, special))})" if special else "")


def output_folder(path, flag: str = "--out", error=UserError) -> Path:
    """`path` as a folder to write into: an existing file there (or in its place among its parents) is `error`,
    in one line naming `flag`, before anything is made."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.exists() and not p.is_dir():
            where = "" if p == path else f" ({p} is a file)"
            raise error(f"{flag} {path}: is a file{where}; pass a folder")
    return path


def yaml_problem(e: Exception) -> str:
    """'line N: problem' of a YAML parse error, for a one-line message."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def read_yaml_mapping(path, what: str, error=UserError) -> dict:
    """A YAML file that must hold a mapping; `error` (naming the file, and the line of a syntax error) otherwise."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what} file; check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_unique_keys_loader()) or {}  # a SafeLoader
    except yaml.YAMLError as e:
        raise error(f"{path}: not valid YAML ({yaml_problem(e)})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: a {what} file is a mapping of keys, got {type(data).__name__}")
    return data


@functools.cache
def _unique_keys_loader():
    """yaml's SafeLoader refusing a key given twice in one mapping (PyYAML keeps the last, silently)."""
    import yaml

    class UniqueKeys(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice; keep one", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep)

    UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return UniqueKeys
