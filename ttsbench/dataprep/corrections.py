"""Transcript corrections: fix what Whisper mishears (names, jargon) with a wrong → right table.

A corrections file is YAML or TSV:

    # corrections.yaml: plain rules, whole word and case-insensitive
    Sammy Altman: Sam Altman
    open ai: OpenAI
    rules:                      # optional: rules with options
      - {from: 'g p t (\\d)', to: 'GPT-\\1', regex: true}
      - {from: CSM, to: CSM, case_sensitive: true}

    # corrections.tsv: wrong <TAB> right [<TAB> regex] [<TAB> case_sensitive]
    Sammy Altman	Sam Altman
    g p t (\\d)	GPT-\\1	regex
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ttsbench.core.errors import UserError, yaml_problem


class CorrectionsError(UserError, ValueError):
    """A corrections file that cannot be used; the message names the file, the rule and the fix."""


@dataclass(frozen=True)
class Rule:
    """One correction."""

    wrong: str  # text (or a regular expression) as Whisper writes it
    right: str  # what it should say; may use \\1 … for a regex rule's groups
    regex: bool = False  # `wrong` is a regular expression, not plain text
    case_sensitive: bool = False
    whole_word: bool = True  # plain rules only match whole words ("Al" leaves "Alice" alone)

    def pattern(self) -> re.Pattern:
        body = self.wrong if self.regex else re.escape(self.wrong)
        if self.whole_word and not self.regex:
            body = rf"(?<!\w){body}(?!\w)"
        return re.compile(body, 0 if self.case_sensitive else re.IGNORECASE)


class Corrector:
    """Applies rules in order and counts how often each fired."""

    def __init__(self, rules: list[Rule], source: str = "corrections"):
        self.rules = rules
        self.source = source
        self.fired: Counter[int] = Counter()
        self._patterns = []
        for n, rule in enumerate(rules, 1):
            try:
                self._patterns.append(rule.pattern())
            except re.error as e:
                raise CorrectionsError(
                    f"{source}: rule {n} ({rule.wrong!r}) is not a valid regular expression "
                    f"({e}); fix it, or drop 'regex' to match it as plain text"
                ) from None

    def __call__(self, text: str) -> str:
        for n, (rule, pattern) in enumerate(zip(self.rules, self._patterns, strict=False)):
            text, count = pattern.subn(rule.right if rule.regex else rule.right.replace("\\", "\\\\"), text)
            self.fired[n] += count
        return text

    def report(self) -> list[dict]:
        """One entry per rule: what it matches, what it writes, how often it fired."""
        return [
            {"wrong": r.wrong, "right": r.right, "regex": r.regex, "fired": self.fired[n]}
            for n, r in enumerate(self.rules)
        ]

    def unused(self) -> list[Rule]:
        return [r for n, r in enumerate(self.rules) if not self.fired[n]]


def load_corrections(path: str | Path) -> Corrector:
    """Read a YAML or TSV corrections file (format in the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise CorrectionsError(f"{path}: no such corrections file; check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CorrectionsError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    rules = _tsv_rules(text, path) if path.suffix.lower() in {".tsv", ".txt"} else _yaml_rules(text, path)
    return Corrector(rules, source=str(path))


def _tsv_rules(text: str, path: Path) -> list[Rule]:
    rules = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0]:
            raise CorrectionsError(f"{path}:{n}: expected 'wrong<TAB>right[<TAB>regex]', got {line!r}")
        if n == 1 and cols[0].strip().lower() in {"wrong", "from"}:
            continue  # a header row
        flags = {f.strip().lower() for f in cols[2:]} - {""}
        unknown = flags - {"regex", "case_sensitive"}
        if unknown:
            raise CorrectionsError(
                f"{path}:{n}: unknown column value(s) {', '.join(sorted(unknown))}; after wrong<TAB>right a "
                "line may say regex and case_sensitive, nothing else"
            )
        rules.append(Rule(cols[0], cols[1], regex="regex" in flags, case_sensitive="case_sensitive" in flags))
    return rules


def _yaml_rules(text: str, path: Path) -> list[Rule]:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise CorrectionsError(
            f"{path}: not valid YAML ({yaml_problem(e)}); see the format in `ttsbench prepare --help`"
        ) from None
    if not isinstance(data, (dict, list)):
        raise CorrectionsError(f"{path}: a mapping 'wrong: right' (and an optional `rules:` list), got {data!r}")
    entries = data if isinstance(data, list) else []
    if isinstance(data, dict):
        extra = data.get("rules") or []
        if not isinstance(extra, list):
            raise CorrectionsError(f"{path}: key 'rules' must be a list of {{from: …, to: …}} rules, got {extra!r}")
        entries = [{"from": k, "to": v} for k, v in data.items() if k != "rules"] + extra
    rules = []
    for n, e in enumerate(entries, 1):
        if not isinstance(e, dict) or "from" not in e or "to" not in e:
            raise CorrectionsError(f"{path}: rule {n} must be 'wrong: right' or {{from: …, to: …}}, got {e!r}")
        unknown = set(e) - {"from", "to", "regex", "case_sensitive", "whole_word"}
        if unknown:
            raise CorrectionsError(
                f"{path}: rule {n} has unknown keys {sorted(unknown)}; "
                "allowed: from, to, regex, case_sensitive, whole_word"
            )
        flags = {k: e.get(k, k == "whole_word") for k in ("regex", "case_sensitive", "whole_word")}
        for k, v in flags.items():
            if not isinstance(v, bool):
                raise CorrectionsError(f"{path}: rule {n} key {k!r} must be true or false, got {v!r}")
        rules.append(
            Rule(
                str(e["from"]),
                "" if e["to"] is None else str(e["to"]),
                flags["regex"],
                flags["case_sensitive"],
                flags["whole_word"],
            )
        )
    return rules
