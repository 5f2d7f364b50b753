"""Named backends, imported on first use: scorers, synthesizers, model families and ASR backends.

    SCORERS = Registry("scorer", Scorer, {"wer": "ttsbench.benchmark.scorers.wer:WerScorer", …},
                       group="ttsbench.scorers")
    SCORERS.get("wer")              # the class, its module imported now, checked to be a Scorer
    SCORERS.register("mine", "my_package.scorer:MyScorer")   # from any module

A name maps to `"module:attribute"` (or to the class itself), so importing a registry imports no
backend: `ttsbench --help` never loads torch. A registry knows the base class of what it holds and
refuses a name twice, naming both registrants; `freeze()` closes it.

Plug-ins: a package installed beside ttsbench declares entry points in the registry's group
(`ttsbench.scorers`, `ttsbench.families`, `ttsbench.synthesizers`), e.g. in its pyproject.toml

    [project.entry-points."ttsbench.scorers"]
    loudness = "my_package.loudness:LoudnessScorer"

They are read (metadata only, nothing imported) the first time a registry is asked what it holds.
A broken plug-in — a name already taken, a module that fails to import, a class of the wrong
kind — is one line naming the package, logged, and never stops the built-in entries.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib import metadata
from typing import Generic, TypeVar, cast
from collections.abc import Iterator

from .errors import UserError

log = logging.getLogger(__name__)

T = TypeVar("T")

BUILT_IN = "ttsbench"


@dataclass(frozen=True)
class Entry:
    """One registered name: what it stands for and who registered it."""

    target: object  # "module:attribute", imported on first use, or the class itself
    source: str  # who registered it: "ttsbench", "package my-plugin" or a module name


class Registry(Generic[T]):
    """Names → subclasses of `base`, imported lazily; entry points of `group` add plug-ins."""

    def __init__(self, kind: str, base: type[T], entries: dict[str, str | type[T]], group: str = ""):
        self.kind = kind  # "scorer", "synthesizer", "model family": how errors name an entry
        self.base = base
        self.group = group  # the entry-point group plug-ins register in ("" : none)
        self._entries = {name: Entry(target, BUILT_IN) for name, target in entries.items()}
        self._frozen = False
        self._discovered = not group
        self.problems: list[str] = []  # one line per plug-in that was skipped or failed, for `ttsbench check`

    # what it holds
    def names(self) -> list[str]:
        """The registered names, built-in ones first, in registration order."""
        self._discover()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def source(self, name: str) -> str:
        """Who registered `name` ("ttsbench" for the built-in entries)."""
        self._discover()
        return self._entries[name].source

    def plugins(self) -> list[str]:
        """The names that packages other than ttsbench added."""
        return [n for n in self.names() if self._entries[n].source != BUILT_IN]

    # changing it
    def register(self, name: str, target: str | type[T], source: str | None = None) -> None:
        """Add `name`: a "module:attribute" string, imported on first use, or the class itself.

        Raises UserError when the name is taken (naming both registrants) or the registry is frozen.
        """
        self._discover()
        source = source or _caller_module()
        if self._frozen:
            raise UserError(
                f"{self.kind} {name!r} ({source}): the {self.kind} registry is frozen; register before the run starts"
            )
        if not isinstance(name, str) or not name or ":" in name:
            raise UserError(f"{self.kind} name {name!r} ({source}): a non-empty name without ':'")
        if name in self._entries:
            raise UserError(
                f"{self.kind} {name!r} is registered twice: by {self._entries[name].source} and by "
                f"{source}; give one of them another name"
            )
        if isinstance(target, str) and target.count(":") != 1:
            raise UserError(f"{self.kind} {name!r} ({source}): {target!r} is not 'module:attribute'")
        self._entries[name] = Entry(target, source)

    def unregister(self, name: str) -> None:
        if self._frozen:
            raise UserError(f"{self.kind} {name!r}: the {self.kind} registry is frozen")
        self._entries.pop(name, None)

    def freeze(self) -> None:
        """Refuse any further registration (a run's registry does not change under it)."""
        self._discover()
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    # using it
    def get(self, name: str) -> type[T]:
        """The class `name` stands for, checked to be a `base`; UserError naming the known entries, or naming
        the registrant when its module fails to import or it is not a `base`."""
        self._discover()
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}")
        entry = self._entries[name]
        target = entry.target
        if isinstance(target, str):
            module, attribute = target.split(":")
            try:
                target = getattr(importlib.import_module(module), attribute)
            except Exception as e:  # a plug-in's import error is its own, never a traceback of ours
                if entry.source == BUILT_IN:
                    raise
                raise UserError(
                    f"{self.kind} {name!r} from {entry.source}: {entry.target} cannot be loaded "
                    f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                    "fix or uninstall that package"
                ) from None
        if not (isinstance(target, type) and issubclass(target, self.base)):
            raise UserError(
                f"{self.kind} {name!r} from {entry.source}: {entry.target!r} is not a "
                f"{self.base.__module__}.{self.base.__qualname__} subclass; fix or uninstall that package"
            )
        return cast("type[T]", target)

    def verify(self) -> list[str]:
        """Load every plug-in entry once: one line per broken one (also kept in `problems`)."""
        for name in self.plugins():
            try:
                self.get(name)
            except UserError as e:
                if str(e) not in self.problems:
                    self.problems.append(str(e))
        return list(self.problems)

    def _discover(self) -> None:
        """Read the entry points of `group` once (metadata only: no plug-in module is imported here)."""
        if self._discovered:
            return
        self._discovered = True
        try:
            found = metadata.entry_points(group=self.group)
        except Exception as e:  # a broken installed distribution must not stop the built-ins
            self._skip(f"{self.kind} plug-ins ({self.group}): cannot be read ({e})")
            return
        for ep in sorted(found, key=lambda ep: (ep.name, ep.value)):
            dist = getattr(ep, "dist", None)
            package = f"package {dist.name}" if dist is not None else f"entry point {ep.value}"
            try:
                self.register(ep.name, ep.value, package)
            except UserError as e:
                self._skip(f"{e} (plug-in skipped)")

    def _skip(self, line: str) -> None:
        self.problems.append(line)
        log.warning(line)


def _caller_module() -> str:
    """The module that called `register` (how a registration is named when two clash)."""
    import inspect

    frame = inspect.currentframe()
    try:
        outer = frame.f_back.f_back if frame and frame.f_back else None
        return f"module {outer.f_globals.get('__name__', '?')}" if outer else "?"
    finally:
        del frame


def reset_discovery(*registries: Registry) -> None:
    """Forget what was read from entry points, so packages installed since are read again (tests, notebooks)."""
    for registry in registries:
        registry._entries = {n: e for n, e in registry._entries.items() if not e.source.startswith("package ")}
        registry.problems = []
        registry._discovered = not registry.group
