"""Named backends, imported on first use: scorers, synthesizers and model families share this one registry.

    SCORERS = Registry("scorer", {"wer": "ttsbench.benchmark.scorers.wer:WerScorer", …})
    SCORERS.get("wer")              # the class, its module imported now
    SCORERS.register("mine", "my_package.scorer:MyScorer")   # a plug-in, from any module

A name maps to `"module:attribute"` (or to the object itself), so importing a registry imports no
backend: `ttsbench --help` never loads torch. An unknown name is a one-line error listing the known.
"""

from __future__ import annotations

import importlib

from .errors import UserError


class Registry:
    def __init__(self, kind: str, entries: dict[str, object]):
        self.kind = kind  # "scorer", "synthesizer backend", "model family": how errors name an entry
        self._entries = dict(entries)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def register(self, name: str, target) -> None:
        """Add (or replace) `name`: a "module:attribute" string, imported on first use, or the object itself."""
        self._entries[name] = target

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str):
        """What `name` stands for; UserError naming the known entries when there is none."""
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}")
        target = self._entries[name]
        if isinstance(target, str):
            module, attribute = target.split(":")
            target = getattr(importlib.import_module(module), attribute)
        return target
