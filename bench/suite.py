"""Suite YAML: what to generate, how to score it, and the gates it must pass.

A suite may `include:` another (path relative to itself) and override its keys; mappings merge
key by key, everything else is replaced. Every error names the file and the key.

    name: my-voice
    include: base.yaml
    model: {backend: csm, checkpoint: sesame/csm-1b, speaker_id: 0}
    adapter: runs/ft/adapter          # for the finetuned variants
    dataset: data/voice               # `ttsbench prepare` output: reference and eval clips
    prompts: default                  # the shipped set, a YAML file, or an inline list
    variants: [base, cloned, finetuned, finetuned_cloned]
    seeds: 3                          # or a list: [0, 1, 2]
    generation: {temperature: 0.8, top_k: 50, depth_decoder_temperature: 0.6, depth_decoder_top_p: 0.9}
    scorers: {wer: {asr: tiny.en}, speaker_sim: {encoder: resemblyzer}, signal: {}}
    gates: ["finetuned_cloned.speaker_sim - base.speaker_sim >= 0.05 (p < 0.05)"]
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path


from dataprep.errors import OptionError, UserError, check_choice, check_number, read_yaml_mapping

from .records import ANCHORS, DEFAULT_VARIANTS, VARIANTS, Prompt, PromptSet

PROMPTS_DIR = Path(__file__).parent / "prompts"


class SuiteError(UserError, ValueError):
    """A suite file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling settings; one left unset (None) is the model family's default.

    CSM (the workshop's): temperature 0.8, top_k 50, depth decoder temperature 0.6 and top_p 0.9.
    Orpheus (its authors'): temperature 0.6, top_p 0.95, repetition penalty 1.1.
    """

    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float | None = None  # Orpheus
    depth_decoder_temperature: float | None = None  # CSM
    depth_decoder_top_p: float | None = None  # CSM
    seconds_per_char: float = 0.12  # frame budget: about twice a normal speaking rate …
    min_seconds: float = 3.0  # … plus this …
    max_seconds: float = 30.0  # … and never more than this (the cap that reveals stop failures)
    batch_size: int = 8
    engine: str = "fast"  # fast: the family's own decode loop; transformers: its generate() (the reference)
    compile: bool = False  # fast engine: the per-frame work compiled (CUDA graphs on CUDA), once per batch shape

    def __post_init__(self):
        for name in ("temperature", "depth_decoder_temperature"):
            check_number(self, name, 0, 10, optional=True)
        check_number(self, "top_k", 0, integer=True, optional=True)
        for name in ("top_p", "depth_decoder_top_p"):
            check_number(self, name, 0, 1, low_open=True, optional=True)
        check_number(self, "repetition_penalty", 0, 10, low_open=True, optional=True)
        check_number(self, "seconds_per_char", 0, 10, low_open=True)
        check_number(self, "min_seconds", 0, 600)
        check_number(self, "max_seconds", 0, 600, low_open=True)
        check_number(self, "batch_size", 1, 4096, integer=True)
        check_choice(self, "engine", ("fast", "transformers"))
        if not isinstance(self.compile, bool):
            raise OptionError("compile", f"{self.compile!r}: must be true or false")
        if self.compile and self.engine != "fast":
            raise OptionError("compile", "true: compiling is the fast engine's; set engine: fast, or compile: false")

    @property
    def engine_id(self) -> str:
        """What made the codes, as a run records it: samples of two engines never mix in one run."""
        return self.engine + (", compiled" if self.compile else "")

    def max_seconds_for(self, text: str) -> float:
        return min(self.max_seconds, self.min_seconds + self.seconds_per_char * len(text))


@dataclass(frozen=True)
class Suite:
    """A resolved suite (includes applied, defaults filled in)."""

    name: str
    path: Path
    model: dict
    dataset: Path | None
    prompts: PromptSet
    variants: tuple[str, ...]
    anchors: tuple[str, ...]
    seeds: tuple[int, ...]
    generation: GenerationOptions
    scorers: dict
    adapter: Path | None = None
    merged: Path | None = None  # the adapter's merged 16-bit checkpoint: the `merged` rows
    impostor: dict = field(default_factory=lambda: {"voice": "espeak"})
    gates: tuple = ()
    out: Path | None = None
    raw: dict = field(default_factory=dict)  # the merged YAML, as recorded in run.json


TOP_KEYS = {"name", "include", "model", "adapter", "merged", "dataset", "prompts", "variants", "anchors", "seeds",
            "generation", "scorers", "impostor", "gates", "out", "finetune", "description", "target", "report"}
DEFAULTS = {
    "model": {"backend": "csm", "speaker_id": 0, "device": "auto"},  # checkpoint: the family's default
    "prompts": "default",
    "variants": list(DEFAULT_VARIANTS),
    "anchors": list(ANCHORS),
    "seeds": 3,
    "generation": {},
    "scorers": {"wer": {}, "speaker_sim": {}, "signal": {}},
    "impostor": {"voice": "espeak"},
    "gates": [],
}


def merge(base: dict, override: dict) -> dict:
    """Mappings merge key by key; anything else in `override` replaces what `base` had."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def read_yaml(path: Path, seen: tuple = ()) -> dict:
    """A suite file with its includes resolved."""
    path = Path(path)
    if path.resolve() in seen:
        raise SuiteError(f"{path}: includes itself (through {' → '.join(p.name for p in seen)})")
    data = read_yaml_mapping(path, "suite", SuiteError)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise SuiteError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}")
    # Paths are relative to the file that names them.
    for key in ("dataset", "adapter", "merged", "out", "prompts", "report"):
        value = data.get(key)
        if isinstance(value, str) and value and (key != "prompts" or _is_path(value)):
            data[key] = os.path.normpath(path.parent / value)  # an absolute `value` stays as it is
    # A model checkpoint (or fine-tune base) written as a path (./, ../ or /) is relative to the file
    # too; anything else is a Hub id such as sesame/csm-1b.
    for section, key in (("model", "checkpoint"), ("finetune", "base")):
        block = data.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), str) and block[key].startswith(("./", "../", "/")):
            data[section] = {**block, key: os.path.normpath(path.parent / block[key])}
    for scorer, key in (("wer", "asr"), ("speaker_sim", "source")):  # model files of scorers, written as paths
        block = (data.get("scorers") or {}).get(scorer) if isinstance(data.get("scorers"), dict) else None
        value = block.get(key) if isinstance(block, dict) else None
        if isinstance(value, str) and (value.startswith(("./", "../", "/")) or value.endswith(".pt")):
            block[key] = os.path.normpath(path.parent / value)
    if "include" in data:
        parent = read_yaml(path.parent / str(data["include"]), seen + (path.resolve(),))
        data = merge(parent, {k: v for k, v in data.items() if k != "include"})
    return data


def _is_path(value: str) -> bool:
    return "/" in value or value.endswith((".yaml", ".yml"))


def load_suite(path: str | Path, overrides: dict | None = None, check_paths: bool = True) -> Suite:
    """Read, merge and validate a suite; `overrides` (e.g. from flags) win over the file.

    `check_paths=False` skips checking that the adapter exists (the gates read a suite whose
    outputs may not have been made yet).
    """
    path = Path(path)
    given = read_yaml(path)
    data = merge(DEFAULTS, given)
    if "scorers" in given:  # the suite's scorers replace the default set (not merged into it)
        data["scorers"] = copy.deepcopy(given["scorers"])
    if overrides:
        data = merge(data, overrides)

    def where(key):
        return f"{path}: key '{key}'"

    def local(key):
        value = data.get(key)
        if value in (None, ""):
            return None
        return Path(str(value))

    name = str(data.get("name") or path.stem)
    variants = tuple(_names(data["variants"], VARIANTS, where("variants")))
    anchors = tuple(_names(data["anchors"], ANCHORS, where("anchors")))
    seeds = data["seeds"]
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > 0:
        seeds = list(range(seeds))
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool)
                                                           for s in seeds):
        raise SuiteError(f"{where('seeds')}: a positive count or a list of integers, got {data['seeds']!r}")
    if len(set(seeds)) != len(seeds):  # a repeated seed would generate and score the same samples twice
        raise SuiteError(f"{where('seeds')}: {seeds!r} repeats {sorted({s for s in seeds if seeds.count(s) > 1})}; "
                         "give distinct seeds")
    model = data["model"]
    if not isinstance(model, dict) or "backend" not in model:
        raise SuiteError(f"{where('model')}: a mapping with at least 'backend'")
    from .synth import SYNTHS

    if model["backend"] not in SYNTHS:
        raise SuiteError(f"{where('model.backend')}: unknown backend {model['backend']!r}; "
                         f"available: {', '.join(sorted(SYNTHS))}")
    from finetune.families import FAMILIES, family

    if model["backend"] in FAMILIES and not model.get("checkpoint"):  # sesame/csm-1b, canopylabs/orpheus-3b-0.1-ft
        model["checkpoint"] = family(model["backend"]).default_checkpoint
    from .scorers import SCORERS, scorer_class

    scorers = data["scorers"]
    if not isinstance(scorers, dict) or not scorers:
        raise SuiteError(f"{where('scorers')}: a mapping of scorer name → settings, e.g. {{wer: {{}}}}")
    for s in scorers:
        if s not in SCORERS:
            raise SuiteError(f"{where('scorers')}: unknown scorer {s!r}; available: {', '.join(sorted(SCORERS))}")
        if not isinstance(scorers[s] or {}, dict):
            raise SuiteError(f"{where('scorers.' + s)}: a mapping of settings, e.g. {{}}")
        try:  # settings are checked now, before anything is generated (no model is loaded)
            scorer_class(s).resolve(scorers[s] or {})
        except OptionError as e:
            raise SuiteError(f"{where('scorers.' + s + '.' + e.key)} = {e.detail}") from None
        except (UserError, TypeError, ValueError) as e:
            raise SuiteError(f"{where('scorers.' + s)}: {str(e).removeprefix(f'scorer {s}: ')}") from None
        for need in scorer_class(s).needs:
            if need not in scorers:
                raise SuiteError(f"{where('scorers')}: {s} reads what {need} found (one pass over each sample); "
                                 f"add {need}: {{}} to the scorers")
    if not isinstance(data["generation"] or {}, dict):
        raise SuiteError(f"{where('generation')}: a mapping of sampling settings (temperature, top_k …)")
    try:
        generation = GenerationOptions(**(data["generation"] or {}))
    except TypeError as e:
        raise SuiteError(f"{where('generation')}: {e}") from None
    except OptionError as e:
        raise SuiteError(f"{where('generation.' + e.key)} = {e.detail}") from None
    adapter, merged = local("adapter"), local("merged")
    spec = data.get("finetune")
    if any(v.startswith("merged") for v in variants) and merged is None \
            and not (isinstance(spec, dict) and spec.get("merge")):
        raise SuiteError(f"{where('merged')}: variants {', '.join(v for v in variants if v.startswith('merged'))} "
                         "need the adapter's merged checkpoint; set `merged:` (ttsbench finetune --merge writes "
                         "OUT/merged) or `finetune: {merge: true}`, or drop those variants")
    if check_paths and merged is not None and not merged.exists():
        raise SuiteError(f"{where('merged')}: {merged} does not exist; run `ttsbench finetune --merge` first")
    if any(v.startswith("finetuned") for v in variants):
        if adapter is None and not data.get("finetune"):
            raise SuiteError(f"{where('adapter')}: variants {', '.join(v for v in variants if v.startswith('finetuned'))}"
                             " need an adapter; set `adapter:` or drop those variants")
        if check_paths and adapter is not None and not adapter.exists():
            raise SuiteError(f"{where('adapter')}: {adapter} does not exist; run `ttsbench finetune` first "
                             "or fix the path")
    if data.get("finetune"):
        from finetune.train import FinetuneOptions

        spec = data["finetune"]
        if not isinstance(spec, dict):
            raise SuiteError(f"{where('finetune')}: a mapping of fine-tuning settings (base, max_steps, rows …)")
        FinetuneOptions.from_dict({k: v for k, v in spec.items() if k not in ("base", "merge")}, where=where("finetune"))
        if not isinstance(spec.get("merge", False), bool):
            raise SuiteError(f"{where('finetune.merge')} = {spec['merge']!r}: true or false")
    dataset = local("dataset")
    needs_dataset = any(v.endswith("cloned") for v in variants) or anchors or "speaker_sim" in scorers
    if needs_dataset and dataset is None:
        raise SuiteError(f"{where('dataset')}: needed for cloning, anchors and speaker similarity; "
                         "point it at a `ttsbench prepare` output")
    gates = data.get("gates") or []
    if not isinstance(gates, list):
        raise SuiteError(f"{where('gates')}: a list of gate expressions")
    return Suite(name=name, path=path, model=model, dataset=dataset, prompts=load_prompts(data["prompts"], path),
                 variants=variants, anchors=anchors, seeds=tuple(seeds), generation=generation, scorers=scorers,
                 adapter=adapter, merged=merged, impostor=data.get("impostor") or {}, gates=tuple(gates), out=local("out"),
                 raw=data)


def _names(value, allowed, where) -> list[str]:
    if not isinstance(value, list):
        raise SuiteError(f"{where}: a list, got {value!r}")
    for v in value:
        if v not in allowed:
            raise SuiteError(f"{where}: unknown name {v!r}; allowed: {', '.join(allowed)}")
    return value


def load_prompts(value, suite_path: Path) -> PromptSet:
    """`default`, a YAML file (name, version, prompts), or an inline list of strings or {id, text}."""
    where = f"{suite_path}: key 'prompts'"
    if isinstance(value, str):
        path = Path(value) if _is_path(value) else PROMPTS_DIR / f"{value}.yaml"
        if not path.is_file():
            raise SuiteError(f"{where}: no prompt set {value!r} (looked for {path})")
        data = read_yaml_mapping(path, "prompt set", SuiteError)
        name, version, items = data.get("name", path.stem), str(data.get("version", "1")), data.get("prompts")
        where = f"{path}: key 'prompts'"
    else:
        name, version, items = "inline", "1", value
    if not isinstance(items, list) or not items:
        raise SuiteError(f"{where}: the prompt set is empty; give at least one prompt")
    prompts = []
    for n, item in enumerate(items, 1):
        if isinstance(item, str):
            item = {"id": f"p{n:02d}", "text": item}
        if not isinstance(item, dict) or not str(item.get("text", "")).strip():
            raise SuiteError(f"{where}: prompt {n} needs a non-empty text")
        prompts.append(Prompt(str(item.get("id", f"p{n:02d}")), str(item["text"]).strip()))
    ids = [p.id for p in prompts]
    if len(set(ids)) != len(ids):
        raise SuiteError(f"{where}: prompt ids repeat ({', '.join(sorted({i for i in ids if ids.count(i) > 1}))})")
    return PromptSet(name, version, tuple(prompts))
