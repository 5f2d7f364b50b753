"""Suite YAML → the typed plan (`benchmark.plan.Suite`), checked before anything runs.

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
    generation: {temperature: 0.8, top_k: 50, depth_decoder_temperature: 0.6, depth_decoder_top_p: 0.9}  # csm's own too
    scorers: {wer: {asr: tiny.en}, speaker_sim: {encoder: resemblyzer}, signal: {}}
    gates: ["finetuned_cloned.speaker_sim - base.speaker_sim >= 0.05 (p < 0.05)"]
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from dataclasses import replace
from pathlib import Path

from ttsbench.core.errors import OptionError, UserError, read_yaml_mapping
from ttsbench.models.records import FinetuneOptions

from .plan import (
    DEFAULT_ANCHORS,
    DEFAULT_VARIANTS,
    VARIANTS,
    FinetuneSpec,
    GenerationOptions,
    ModelSpec,
    Prompt,
    PromptSet,
    RowSource,
    ServedSpec,
    Suite,
    Variant,
)

PROMPTS_DIR = Path(__file__).parent / "prompts"


class SuiteError(UserError, ValueError):
    """A suite file that cannot be used; the message names the file and the key."""


TOP_KEYS = {
    "name",
    "include",
    "model",
    "adapter",
    "merged",
    "dataset",
    "prompts",
    "variants",
    "rows",
    "anchors",
    "seeds",
    "generation",
    "scorers",
    "impostor",
    "gates",
    "out",
    "finetune",
    "description",
    "target",
    "limits",
    "report",
    "language",
}
DEFAULTS = {
    "model": {"backend": "csm", "speaker_id": 0, "device": "auto"},  # checkpoint: the family's default
    "prompts": "default",
    "variants": list(DEFAULT_VARIANTS),
    "rows": {},
    "anchors": list(DEFAULT_ANCHORS),
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


def _is_model_path(value) -> bool:
    """A model written as a path (./, ../, / or a .pt file) rather than a name or Hub id."""
    return isinstance(value, str) and (value.startswith(("./", "../", "/")) or value.endswith(".pt"))


def read_yaml(path: Path, seen: tuple = ()) -> dict:
    """A suite file with its includes resolved; paths in it made relative to the file that names them."""
    from .scorers import SCORERS, scorer_class

    path = Path(path)
    if path.resolve() in seen:
        raise SuiteError(f"{path}: includes itself (through {' → '.join(p.name for p in seen)})")
    data = read_yaml_mapping(path, "suite", SuiteError)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise SuiteError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}")
    for key in ("dataset", "adapter", "merged", "out", "prompts", "report"):
        value = data.get(key)
        if isinstance(value, str) and value and (key != "prompts" or _is_path(value)):
            data[key] = os.path.normpath(path.parent / value)  # an absolute `value` stays as it is
    # A model checkpoint (or fine-tune base) written as a path is relative to the file too; anything
    # else is a Hub id such as sesame/csm-1b. So are the model files a scorer declares as paths.
    for section, key in (("model", "checkpoint"), ("finetune", "base")):
        block = data.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), str) and block[key].startswith(("./", "../", "/")):
            data[section] = {**block, key: os.path.normpath(path.parent / block[key])}
    for block in (data.get("rows") or {}).values() if isinstance(data.get("rows"), dict) else ():
        for key in ("checkpoint", "adapter"):  # a row's own weights, written as a path
            if (
                isinstance(block, dict)
                and isinstance(block.get(key), str)
                and block[key].startswith(("./", "../", "/"))
            ):
                block[key] = os.path.normpath(path.parent / block[key])
    for name, block in (data.get("scorers") or {}).items() if isinstance(data.get("scorers"), dict) else ():
        if name in SCORERS and isinstance(block, dict):
            for key in scorer_class(name).path_settings:
                if _is_model_path(block.get(key)):
                    block[key] = os.path.normpath(path.parent / block[key])
    if "include" in data:
        parent = read_yaml(path.parent / str(data["include"]), seen + (path.resolve(),))
        data = merge(parent, {k: v for k, v in data.items() if k != "include"})
    return data


def _is_path(value: str) -> bool:
    return "/" in value or value.endswith((".yaml", ".yml"))


def load_suite(path: str | Path, overrides: dict | None = None, check_paths: bool = True) -> Suite:
    """Read, merge and validate a suite file into its plan; `overrides` (e.g. from flags) win over the file.

    `check_paths=False` skips checking that the adapter and merged checkpoint exist (the gates read a
    suite whose outputs may not have been made yet).
    """
    path = Path(path)
    given = read_yaml(path)
    if overrides:
        given = merge(given, overrides)
    return resolve(given, path, check_paths)


def from_mapping(data: dict, check_paths: bool = True) -> Suite:
    """A suite from the keys a YAML file would hold (`{"model": {"backend": "csm", …}, "variants": […]}`), checked
    and resolved as a file is; its paths are relative to the working directory."""
    if not isinstance(data, dict):
        raise SuiteError(f"a suite is a mapping of keys (name, model, dataset …), got {type(data).__name__}")
    unknown = set(data) - TOP_KEYS - {"include"}
    if unknown:
        raise SuiteError(f"suite: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}")
    return resolve(copy.deepcopy(data), Path(str(data.get("name") or "suite")), check_paths)


def resolve(given: dict, path: Path, check_paths: bool = True) -> Suite:
    """A suite's keys (as in the YAML, includes applied) → the typed plan: defaults, the family's sampling and
    LoRA defaults and its default checkpoint filled in, names turned into records, every value checked."""
    data = merge(DEFAULTS, given)
    if "scorers" in given:  # the suite's scorers replace the default set (not merged into it)
        data["scorers"] = copy.deepcopy(given["scorers"])

    def where(key):
        return f"{path}: key '{key}'"

    def local(key):
        value = data.get(key)
        return None if value in (None, "") else Path(str(value))

    name = str(data.get("name") or path.stem)
    if not SUITE_NAME.match(name):
        raise SuiteError(
            f"{where('name')} = {name!r}: letters, digits, _ . - (no / or ..): it names the run directory runs/NAME"
        )
    variants = _rows(data["variants"], where("variants"), model=True)
    anchors = _rows(data["anchors"], where("anchors"), model=False)
    seeds = _seeds(data["seeds"], where("seeds"))
    model = _model(data["model"], where)
    variants = variants + _own_rows(data.get("rows"), variants, anchors, model, where)
    language = _language(data.get("language"), local("dataset"), where)
    scorers = _scorers(data["scorers"], where, language)
    generation = _generation(data["generation"], model, where)
    adapter, merged = local("adapter"), local("merged")
    finetune = _finetune(data.get("finetune"), model, where)
    if any(v.weights == "merged" for v in variants) and merged is None and not (finetune and finetune.merge):
        raise SuiteError(
            f"{where('merged')}: variants {', '.join(v.name for v in variants if v.weights == 'merged')} "
            "need the adapter's merged checkpoint; set `merged:` (ttsbench finetune --merge writes "
            "OUT/merged) or `finetune: {merge: true}`, or drop those variants"
        )
    tuned = [v.name for v in variants if v.weights == "adapter"]
    if tuned and adapter is None and finetune is None:
        raise SuiteError(
            f"{where('adapter')}: variants {', '.join(tuned)} need an adapter; set `adapter:` or drop those variants"
        )
    dataset = local("dataset")
    from .scorers import scorer_class

    references = any(scorer_class(s).uses_references for s in scorers)
    if (any(v.clones for v in variants) or anchors or references) and dataset is None:
        raise SuiteError(
            f"{where('dataset')}: needed for cloning, anchors and the scorers that compare with the "
            "reference clips; point it at a `ttsbench prepare` output"
        )
    gates = data.get("gates") or []
    if not isinstance(gates, list):
        raise SuiteError(f"{where('gates')}: a list of gate expressions")
    target = data.get("target") or {}
    if not isinstance(target, dict) or not all(isinstance(v, (int, float)) for v in target.values()):
        raise SuiteError(f"{where('target')}: a mapping of metric → value, e.g. {{speaker_sim: 0.75}}")
    limits = data.get("limits") or {}
    if not isinstance(limits, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in limits.values()
    ):
        raise SuiteError(f"{where('limits')}: a mapping of metric → the worst value allowed, e.g. {{wer_micro: 0.1}}")
    impostor = data.get("impostor") or {}
    if not isinstance(impostor, dict) or set(impostor) - {"voice"}:
        raise SuiteError(f"{where('impostor')}: a mapping with one key, voice (espeak, espeak-female or hibari)")
    from ttsbench.dataprep.synthvoice import VOICES

    voice = impostor.get("voice", "espeak")
    if voice not in VOICES or (voice == "hibari" and language != "en"):
        raise SuiteError(
            f"{where('impostor.voice')} = {voice!r}: one of {', '.join(VOICES)}"
            + (" (hibari speaks English only)" if voice == "hibari" else "")
        )
    suite = Suite(
        name=name,
        model=model,
        prompts=load_prompts(data["prompts"], path, language),
        variants=variants,
        anchors=anchors,
        seeds=seeds,
        generation=generation,
        scorers=scorers,
        dataset=dataset,
        adapter=adapter,
        merged=merged,
        finetune=finetune,
        impostor_voice=str(voice),
        gates=tuple(str(g) for g in gates),
        out=local("out"),
        report=local("report"),
        target=dict(target),
        limits=dict(limits),
        language=language,
        description=str(data.get("description") or ""),
        path=path,
    )
    for key, problem, fix in suite.weights_problems() if check_paths else ():
        raise SuiteError(f"{where(key)}: {problem}; run `{fix}` first or fix the path")
    return suite


SUITE_NAME = re.compile(r"^(?!\.)[A-Za-z0-9_.-]{1,100}$")  # a folder name under runs/, never a path out of it
ROW_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # safe in a path, a URL, HTML and a gate line
ROW_KEYS = {"checkpoint", "backend", "adapter", "served", "callable", "options", "clones", "against"}


def _own_rows(block, variants: tuple, anchors: tuple, model: ModelSpec, where) -> tuple[Variant, ...]:
    """`rows:` — name → what makes its samples: `adapter` (of the suite's model, e.g. a training step's
    checkpoint), `checkpoint` (+ `backend`, + `adapter`), `served: {url, model …}` or `callable: module:function`;
    with `clones` and `against`. A workshop name may be listed with no keys (its meaning is fixed)."""
    from ttsbench.models.families import FAMILIES

    if block in (None, {}):
        return ()
    if not isinstance(block, dict):
        raise SuiteError(
            f"{where('rows')}: a mapping of row name → what makes its samples, e.g. "
            "{step40: {adapter: runs/ft/steps/step-40, clones: true}}"
        )
    taken = {v.name for v in variants} | {a.name for a in anchors} | {v.name for v in VARIANTS.values() if v.anchor}
    out: list[Variant] = []
    for name, spec in block.items():
        key = f"rows.{name}"
        if not isinstance(name, str) or not ROW_NAME.match(name):
            raise SuiteError(
                f"{where('rows')}: row name {name!r}: a letter, then letters, digits or _ (up to 64), so that "
                "it is safe in file names, the report and gate lines"
            )
        if name in taken:
            raise SuiteError(
                f"{where(key)}: the name {name!r} is taken (by variants, anchors or an anchor's name); "
                "give the row another name"
            )
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            raise SuiteError(f"{where(key)}: a mapping (adapter, checkpoint, served, callable, clones, against)")
        unknown = set(spec) - ROW_KEYS
        if unknown:
            raise SuiteError(
                f"{where(key)}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(ROW_KEYS))}"
            )
        if name in VARIANTS:
            if spec:
                raise SuiteError(
                    f"{where(key)}: {name} is one of the workshop's rows, whose meaning is fixed; list "
                    "it with no keys, or give your row another name"
                )
            out.append(VARIANTS[name])
            taken.add(name)
            continue
        kinds = [k for k in ("served", "callable", "checkpoint") if spec.get(k)] or (
            ["adapter"] if spec.get("adapter") else []
        )
        if len(kinds) != 1 or (kinds[0] in ("served", "callable") and spec.get("adapter")):
            raise SuiteError(
                f"{where(key)}: say what makes its samples — one of adapter (of the suite's model), "
                "checkpoint (+ adapter), served or callable"
            )
        clones = spec.get("clones", False)
        if not isinstance(clones, bool):
            raise SuiteError(f"{where(key + '.clones')} = {clones!r}: true or false")
        kind = kinds[0]
        if kind == "served":
            served = spec["served"]
            if not isinstance(served, dict):
                raise SuiteError(f"{where(key + '.served')}: a mapping with at least url and model")
            try:
                source = RowSource("served", served=ServedSpec(**served))
            except TypeError as e:
                raise SuiteError(
                    f"{where(key + '.served')}: {e}; allowed: "
                    f"{', '.join(f.name for f in dataclasses.fields(ServedSpec))}"
                ) from None
            except OptionError as e:
                raise SuiteError(f"{where(key + '.served.' + e.key)} = {e.detail}") from None
        elif kind == "callable":
            target, options = spec["callable"], spec.get("options") or {}
            if not isinstance(target, str) or target.count(":") != 1:
                raise SuiteError(f"{where(key + '.callable')} = {target!r}: 'module:function', e.g. my_tts:speak")
            if not isinstance(options, dict):
                raise SuiteError(f"{where(key + '.options')}: a mapping of the function's keyword arguments")
            source = RowSource("callable", function=target, options=options)
        else:
            backend = spec.get("backend", model.backend)
            if backend not in FAMILIES:
                raise SuiteError(
                    f"{where(key)}: a checkpoint or adapter row needs a model family (backend one of "
                    f"{', '.join(FAMILIES.names())}); the suite's model is {model.backend}"
                )
            own = None
            if kind == "checkpoint":
                own = replace(model, backend=str(backend), checkpoint=str(spec["checkpoint"]), options={})
            source = RowSource("checkpoint", model=own, adapter=str(spec.get("adapter") or ""))
        out.append(Variant(name, "", clones, "", source, str(spec.get("against") or "")))
        taken.add(name)
    names = {v.name for v in variants} | {v.name for v in out}
    for v in out:
        if v.against and v.against not in names:
            raise SuiteError(
                f"{where('rows.' + v.name + '.against')} = {v.against!r}: not a model row of this "
                f"suite (rows: {', '.join(sorted(names))})"
            )
    return tuple(out)


def _rows(value, where: str, model: bool):
    allowed = [v.name for v in VARIANTS.values() if v.model == model]
    if not isinstance(value, list):
        raise SuiteError(f"{where}: a list, got {value!r}")
    for v in value:
        if v not in allowed:
            raise SuiteError(f"{where}: unknown name {v!r}; allowed: {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise SuiteError(f"{where}: {value!r} names a row twice")
    return tuple(VARIANTS[v] for v in value)


def _seeds(seeds, where: str) -> tuple[int, ...]:
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > 0:
        seeds = list(range(seeds))
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    ):
        raise SuiteError(f"{where}: a positive count or a list of integers, got {seeds!r}")
    out_of_range = [s for s in seeds if not 0 <= s < 2**32]
    if out_of_range:
        raise SuiteError(f"{where}: {out_of_range!r}: seeds are integers from 0 to 4294967295")
    if len(set(seeds)) != len(seeds):  # a repeated seed would generate and score the same samples twice
        raise SuiteError(
            f"{where}: {seeds!r} repeats {sorted({s for s in seeds if seeds.count(s) > 1})}; give distinct seeds"
        )
    return tuple(seeds)


def _model(block, where) -> ModelSpec:
    from ttsbench.models.families import FAMILIES, family

    from .synth import backends

    if not isinstance(block, dict) or "backend" not in block:
        raise SuiteError(f"{where('model')}: a mapping with at least 'backend'")
    backend = block["backend"]
    if backend not in backends():
        raise SuiteError(
            f"{where('model.backend')}: unknown backend {backend!r}; available: {', '.join(sorted(backends()))}"
        )
    checkpoint = block.get("checkpoint") or (family(backend).default_checkpoint if backend in FAMILIES else "")
    speaker = block.get("speaker_id", 0)
    if isinstance(speaker, bool) or not isinstance(speaker, int) or speaker < 0:
        raise SuiteError(f"{where('model.speaker_id')} = {speaker!r}: a speaker id (an integer ≥ 0)")
    options = {k: v for k, v in block.items() if k not in ("backend", "checkpoint", "device", "speaker_id")}
    device = str(block.get("device", "auto"))
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise SuiteError(f"{where('model.device')} = {device!r}: auto, cpu, cuda, cuda:N or mps")
    return ModelSpec(str(backend), str(checkpoint), device, speaker, options)


def _language(given, dataset: Path | None, where) -> str:
    """The suite's `language:`, else its dataset's (prepare.json), else English; the two must agree."""
    from ttsbench.core.languages import check_language, name
    from ttsbench.dataprep.records import PrepareManifest

    manifest = PrepareManifest.read(dataset) if dataset is not None and Path(dataset).is_dir() else None
    spoken = manifest.language if manifest is not None else None
    if given is None:
        return spoken or "en"
    try:
        check_language(given)
    except OptionError as e:
        raise SuiteError(f"{where('language')} = {e.detail}") from None
    if spoken is not None and spoken != given:
        raise SuiteError(
            f"{where('language')} = {given!r}: the dataset {dataset} speaks {name(spoken)} ({spoken}); set "
            f"`language: {spoken}`, or prepare the dataset with --language {given}"
        )
    return given


def _scorers(scorers, where, language: str = "en") -> dict:
    from .scorers import SCORERS, scorer_class

    if not isinstance(scorers, dict) or not scorers:
        raise SuiteError(f"{where('scorers')}: a mapping of scorer name → settings, e.g. {{wer: {{}}}}")
    out = {}
    for s, settings in scorers.items():
        if s not in SCORERS:
            raise SuiteError(f"{where('scorers')}: unknown scorer {s!r}; available: {', '.join(sorted(SCORERS))}")
        if not isinstance(settings or {}, dict):
            raise SuiteError(f"{where('scorers.' + s)}: a mapping of settings, e.g. {{}}")
        if scorer_class(s).takes_language and language != "en" and "language" not in (settings or {}):
            settings = {**(settings or {}), "language": language}  # the suite's, forced in its ASR
        try:  # settings are checked now, before anything is generated (no model is loaded)
            scorer_class(s).resolve(settings or {})
        except OptionError as e:
            raise SuiteError(f"{where('scorers.' + s + '.' + e.key)} = {e.detail}") from None
        except (UserError, TypeError, ValueError) as e:
            raise SuiteError(f"{where('scorers.' + s)}: {str(e).removeprefix(f'scorer {s}: ')}") from None
        for need in scorer_class(s).needs:
            if need not in scorers:
                raise SuiteError(
                    f"{where('scorers')}: {s} reads what {need} found (one pass over each sample); "
                    f"add {need}: {{}} to the scorers"
                )
        out[s] = dict(settings or {})
    return out


def _generation(block, model: ModelSpec, where) -> GenerationOptions:
    """The suite's sampling settings, the model family's defaults in those left unset; a key that is not a
    shared setting must be one of the family's own (`Family.generation_settings`)."""
    from ttsbench.models.families import FAMILIES, family

    block = block or {}
    if not isinstance(block, dict):
        raise SuiteError(f"{where('generation')}: a mapping of sampling settings (temperature, top_k …)")
    shared = {f.name for f in dataclasses.fields(GenerationOptions)} - {"family_settings"}
    fam = family(model.backend) if model.backend in FAMILIES else None
    own = {k: v for k, v in block.items() if k not in shared}
    try:
        if fam is not None:
            own = fam.own_settings(own, fam.generation_settings, "generation")
        elif own:
            raise SuiteError(
                f"{where('generation')}: unknown setting(s) {', '.join(sorted(own))} for the "
                f"{model.backend} synthesizer; known: {', '.join(sorted(shared))}"
            )
        generation = GenerationOptions(**{k: v for k, v in block.items() if k in shared}, family_settings=own)
    except TypeError as e:
        raise SuiteError(f"{where('generation')}: {e}") from None
    except OptionError as e:
        raise SuiteError(f"{where('generation.' + e.key)} = {e.detail}") from None
    if fam is not None:
        defaults = fam.sampling(generation)
        generation = dataclasses.replace(generation, **{k: v for k, v in defaults.items() if k in shared})
    return generation


def _finetune(spec, model: ModelSpec, where) -> FinetuneSpec | None:
    """`finetune:` → its options with the family's LoRA defaults under the suite's settings."""
    from ttsbench.models.families import FAMILIES, family

    if not spec:
        return None
    if not isinstance(spec, dict):
        raise SuiteError(f"{where('finetune')}: a mapping of fine-tuning settings (base, max_steps, rows …)")
    if not isinstance(spec.get("merge", False), bool):
        raise SuiteError(f"{where('finetune.merge')} = {spec['merge']!r}: true or false")
    options = FinetuneOptions.from_dict(
        {k: v for k, v in spec.items() if k not in ("base", "merge")}, where=where("finetune")
    )
    named = options.family if options.family != "auto" else model.backend
    if named in FAMILIES:  # a stand-in synthesizer (fake) has no family: the base's config names it at training
        options = family(named).options(options)
    base = str(spec.get("base") or "")
    if not base and not model.checkpoint:
        raise SuiteError(
            f"{where('finetune.base')}: the {model.backend} synthesizer has no checkpoint to fine-tune; "
            "name one, e.g. finetune: {base: sesame/csm-1b}"
        )
    return FinetuneSpec(options, base, bool(spec.get("merge", False)))


def prompt_languages() -> list[str]:
    """The languages with a shipped default prompt set (default.yaml is English, default-LANG.yaml the rest)."""
    return ["en"] + sorted(p.stem.removeprefix("default-") for p in PROMPTS_DIR.glob("default-*.yaml"))


def load_prompts(value, suite_path: Path, language: str = "en") -> PromptSet:
    """`default` (the set of the suite's language), a YAML file (name, version, prompts), or an inline list of
    strings or {id, text}."""
    where = f"{suite_path}: key 'prompts'"
    if isinstance(value, str):
        if value == "default" and language != "en":
            value = f"default-{language}"
            if not (PROMPTS_DIR / f"{value}.yaml").is_file():
                raise SuiteError(
                    f"{where}: no default prompt set in {language}; sets exist for {', '.join(prompt_languages())} "
                    "— give the suite's own prompts (a list, or a YAML file of name, version, prompts)"
                )
        path = Path(value) if _is_path(value) else PROMPTS_DIR / f"{value}.yaml"
        if not path.is_file():
            raise SuiteError(f"{where}: no prompt set {value!r} (looked for {path})")
        data = read_yaml_mapping(path, "prompt set", SuiteError)
        if data.get("language", language) != language:
            raise SuiteError(
                f"{where}: the prompt set {path.name} is in {data['language']}, the suite in {language}; set "
                f"`language: {data['language']}` or use the prompts of {language}"
            )
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
        if not any(c.isalnum() for c in str(item["text"])):
            raise SuiteError(
                f"{where}: prompt {n} ({str(item['text']).strip()!r}) has no words to speak or to score; give it text"
            )
        prompts.append(Prompt(str(item.get("id", f"p{n:02d}")), str(item["text"]).strip()))
    ids = [p.id for p in prompts]
    if len(set(ids)) != len(ids):
        raise SuiteError(f"{where}: prompt ids repeat ({', '.join(sorted({i for i in ids if ids.count(i) > 1}))})")
    return PromptSet(name, version, tuple(prompts))
