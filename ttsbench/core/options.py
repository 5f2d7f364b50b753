"""Command-line flags derived from an options record: one flag per field, its type from the annotation,
its help from the field's comment in the record's source — so a new setting is one line in one place.

    add_flags(parser, FinetuneOptions, skip={"device"})          # --max-steps, --learning-rate, --r …
    FinetuneOptions.from_dict(given(args, FinetuneOptions))       # only the flags the user gave

Every flag defaults to None (not given): the record's own default applies, and "given" can be told
from "left alone" (a flag wins over a config file only when it was given). Booleans get `--x/--no-x`.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import io
import tokenize
import typing


@functools.cache
def field_help(cls) -> dict[str, str]:
    """Field name → the comment after it in the class body (the record's documentation of the field)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    names = {f.name for f in dataclasses.fields(cls)}
    out, line_name = {}, {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.start[1] == 4 and tok.string in names:
            line_name[tok.start[0]] = tok.string
        elif tok.type == tokenize.COMMENT and tok.start[0] in line_name:
            out[line_name[tok.start[0]]] = tok.string.lstrip("# ").strip()
    return out


def _kind(cls, name: str):
    """The plain type a flag parses to: bool, int, float or str (a path or a tuple is given as text)."""
    hint = typing.get_type_hints(cls).get(name, str)
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    for kind in (bool, int, float):
        if kind in args:
            return kind
    return str


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_flags(parser, cls, skip=(), rename: dict | None = None, help: dict | None = None, defaults=None) -> None:
    """A flag per field of the dataclass `cls` (but `skip`); `rename` maps a field to another flag name,
    `help` adds to or replaces a field's comment, `defaults` (an instance) gives the defaults shown when the
    command's differ from the record's own."""
    rename, notes = rename or {}, field_help(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        kind = _kind(cls, f.name)
        text = (help or {}).get(f.name, notes.get(f.name, "")).replace("%", "%%")  # argparse formats help with %
        default = (
            getattr(defaults, f.name)
            if defaults is not None
            else f.default
            if f.default is not dataclasses.MISSING
            else None
        )
        shown = f" (default {default})" if default not in (None, (), "") and not isinstance(default, bool) else ""
        names = [flag(rename.get(f.name, f.name))]
        if kind is bool:
            parser.add_argument(
                *names,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=text + (f" (default {'on' if default else 'off'})" if default is not None else ""),
            )
        elif f.name == "target_modules":
            parser.add_argument(
                *names, dest=f.name, default=None, type=lambda s: tuple(s.split(",")), help=text + " (comma-separated)"
            )
        else:
            parser.add_argument(*names, dest=f.name, type=kind, default=None, help=text + shown)


def given(args, cls) -> dict:
    """The fields of `cls` whose flags were given on the command line."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names and v is not None}


@dataclasses.dataclass(frozen=True)
class Setting:
    """A setting that one backend (a model family) adds to a stage's shared options record.

    A family declares its own generation and training settings as these; the suite, `--help`, the
    command's flags and the checks all read them, so a new family's settings live in its own file.
    """

    name: str  # the key in a suite or YAML, and the flag (--depth-decoder-frames)
    default: typing.Any  # the family's value when the user leaves it unset
    help: str  # one line for --help and the docs
    low: float | None = None  # numbers: the allowed range [low, high] (`low_open`: > low)
    high: float | None = None
    low_open: bool = False
    integer: bool = False
    choices: tuple = ()  # strings: the allowed values

    @property
    def kind(self) -> type:
        """What a flag parses to."""
        if self.choices:
            return str
        return int if self.integer else float

    def check(self, value: typing.Any) -> typing.Any:
        """`value`, checked; OptionError naming the setting otherwise."""
        from .errors import check_choice, check_number

        holder = type("Given", (), {self.name: value})()
        if self.choices:
            check_choice(holder, self.name, self.choices)
        else:
            check_number(holder, self.name, self.low, self.high, integer=self.integer, low_open=self.low_open)
        return value


def add_setting_flags(parser, settings: dict[str, list[tuple[str, Setting]]]) -> None:
    """One flag per setting name (several families may declare one name), its help naming the families."""
    for name, owners in settings.items():
        first = owners[0][1]
        words = "; ".join(f"{family}: {s.help} (default {s.default})" for family, s in owners)
        kind = first.kind
        parser.add_argument(
            flag(name), dest=name, type=kind, default=None, choices=first.choices or None, help=words.replace("%", "%%")
        )
