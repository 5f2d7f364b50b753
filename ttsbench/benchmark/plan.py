"""The typed plan of a benchmark: what a suite means once it is resolved, read by every stage.

`benchmark.suite.load_suite` turns YAML into a `Suite`, and `benchmark.suite.from_mapping` the same keys given
in Python. The runner, sweeps, `check`, the report and the gates read these records — a
row's meaning comes from its `Variant`, never from its name — and `run.json` stores the plan a run
was made from (`Suite.to_dict`, read back with `Suite.from_dict`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ttsbench.core.errors import OptionError, check_choice, check_number
from ttsbench.models.records import FinetuneOptions


ROW_KINDS = ("checkpoint", "served", "callable")  # what a row of its own is made by (RowSource.kind)
RESPONSE_FORMATS = ("wav", "flac", "pcm")


@dataclass(frozen=True)
class ServedSpec:
    """An OpenAI-compatible speech endpoint (`POST {url}/audio/speech`), as vLLM-Omni and sglang-omni serve it."""

    url: str  # the API base, e.g. http://localhost:8091/v1 (/audio/speech is added)
    model: str  # the body's `model`
    voice: str = ""  # the body's `voice` ("": not sent)
    response_format: str = "wav"  # wav | flac | pcm (16-bit at sample_rate)
    sample_rate: int = 24000  # samples are kept at this rate; pcm answers are read at it
    speed: float | None = None
    language: str = ""  # the body's `language` ("": not sent)
    api_key_env: str = ""  # the environment variable holding the API key (the key itself is never written)
    extra: dict = field(default_factory=dict, hash=False)  # more body keys, passed through (task_type, instructions …)
    concurrency: int = 4  # requests at once
    timeout: float = 120.0  # seconds per request
    retries: int = 3  # more tries on connection errors, timeouts, 429 and 5xx

    #: how the endpoint is reached, not what it makes: left out of the run's identity (a moved port is the same run)
    TRANSPORT = ("url", "api_key_env", "concurrency", "timeout", "retries")

    def __post_init__(self):
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise OptionError("url", f"{self.url!r}: the API base, e.g. http://localhost:8091/v1")
        if not isinstance(self.model, str) or not self.model:
            raise OptionError("model", f"{self.model!r}: the served model's name, e.g. Qwen/Qwen3-TTS-12Hz-1.7B-Base")
        check_choice(self, "response_format", RESPONSE_FORMATS)
        check_number(self, "sample_rate", 8000, 192000, integer=True)
        check_number(self, "speed", 0.25, 4.0, optional=True)
        check_number(self, "concurrency", 1, 256, integer=True)
        check_number(self, "timeout", 0, 3600, low_open=True)
        check_number(self, "retries", 0, 20, integer=True)
        for name in ("voice", "language", "api_key_env"):
            if not isinstance(getattr(self, name), str):
                raise OptionError(name, f"{getattr(self, name)!r}: a string")
        if not isinstance(self.extra, dict) or {"model", "input"} & set(self.extra):
            raise OptionError("extra", f"{self.extra!r}: a mapping of more body keys (not model or input)")

    def identity(self) -> dict:
        """What the answers depend on (not how the endpoint is reached)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.TRANSPORT}


def _same_paths(data):
    """`data` with every local checkpoint (`checkpoint:`, a fine-tune's `base:`) as its resolved path: a suite read
    as suites/x.yaml or as /abs/suites/x.yaml names the same weights (a Hub id is left as it is)."""
    if isinstance(data, dict):
        return {
            k: str(Path(v).resolve())
            if k in ("checkpoint", "base") and isinstance(v, str) and v and Path(v).exists()
            else _same_paths(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_same_paths(v) for v in data]
    return data


@dataclass(frozen=True)
class RowSource:
    """What makes a row's samples when it is not the suite's model with the suite's weights."""

    kind: str  # checkpoint | served | callable
    model: ModelSpec | None = None  # checkpoint: the family checkpoint (None: the suite's model)
    adapter: str = ""  # checkpoint: a PEFT adapter folder (a fine-tune's, or one of its checkpoints/checkpoint-N)
    served: ServedSpec | None = None  # served: the endpoint
    function: str = ""  # callable: "module:function"
    options: dict = field(default_factory=dict, hash=False)  # callable: its keyword arguments

    @property
    def system(self) -> str:
        """Which system the row belongs to: a system's rows are compared with its plain row first."""
        if self.kind == "checkpoint":
            return "" if self.model is None else f"checkpoint:{self.model.backend}:{self.model.checkpoint}"
        if self.kind == "served":
            return f"served:{self.served.model if self.served else ''}"
        return f"callable:{self.function}"

    def to_dict(self, identity: bool = False) -> dict:
        """JSON-ready; with `identity`, only what the samples depend on (a served row's transport left out)."""
        out: dict = {"kind": self.kind}
        if self.model is not None:
            out["model"] = dataclasses.asdict(self.model)
        if self.adapter:
            out["adapter"] = self.adapter
        if self.served is not None:
            out["served"] = self.served.identity() if identity else dataclasses.asdict(self.served)
        if self.function:
            out["function"], out["options"] = self.function, dict(self.options)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> RowSource:
        return cls(
            data["kind"],
            ModelSpec(**data["model"]) if data.get("model") else None,
            str(data.get("adapter", "")),
            ServedSpec(**data["served"]) if data.get("served") else None,
            str(data.get("function", "")),
            dict(data.get("options") or {}),
        )


@dataclass(frozen=True)
class Variant:
    """A row of a run: what makes its samples, and so which comparisons it takes part in.

    The workshop's rows generate with the suite's model: its base weights, the fine-tune's adapter or its
    merged checkpoint, with or without the reference clips as context (cloning). A row of its own has a
    `source`: another checkpoint or adapter (a training step), a served endpoint, or a Python function.
    Anchor rows need no model: the ceiling (held-out real clips of the target speaker) and the floor
    (another voice speaking the prompts).
    """

    name: str
    weights: str = "base"  # base | adapter | merged (the suite's); "" for an anchor or a row of its own
    clones: bool = False  # the reference clips and their text come first, as earlier turns (served: ref_audio)
    anchor: str = ""  # "" (a model row) | ceiling | floor
    source: RowSource | None = None  # a row of its own: what makes its samples (None: the suite's model)
    against: str = ""  # the row it is compared with first ("": the plain row of its own system)

    @property
    def system(self) -> str:
        """ "" for the suite's model (and adapters of it); a key of its own for another system."""
        return self.source.system if self.source is not None else ""

    @property
    def adapted(self) -> bool:
        """Fine-tuned: the suite's adapter or merged weights, or an adapter of its own."""
        return self.tuned or (self.source is not None and bool(self.source.adapter))

    @property
    def plain_of_system(self) -> bool:
        """The untuned, uncloned row of its system: what that system's other rows are compared with first."""
        if self.source is None:
            return self.plain
        return not self.clones and not self.source.adapter

    def to_dict(self, identity: bool = False) -> dict | str:
        """Its name when it is one of the workshop's rows (as run.json version 2 wrote), else every field."""
        if VARIANTS.get(self.name) == self:
            return self.name
        out: dict = {"name": self.name, "weights": self.weights, "clones": self.clones, "anchor": self.anchor}
        if self.against:
            out["against"] = self.against
        if self.source is not None:
            out["source"] = self.source.to_dict(identity)
        return out

    @classmethod
    def from_dict(cls, data: dict | str) -> Variant:
        if isinstance(data, str):
            return VARIANTS[data]
        source = RowSource.from_dict(data["source"]) if data.get("source") else None
        return cls(
            data["name"],
            data.get("weights", ""),
            bool(data.get("clones", False)),
            data.get("anchor", ""),
            source,
            data.get("against", ""),
        )

    @property
    def model(self) -> bool:
        """Generated by the model (not an anchor)."""
        return not self.anchor

    @property
    def tuned(self) -> bool:
        """Depends on the fine-tune (its adapter or merged weights)."""
        return self.weights in ("adapter", "merged")

    @property
    def reference(self) -> bool:
        """What the other model rows are measured against: the untuned model, with or without cloning."""
        return self.weights == "base"

    @property
    def plain(self) -> bool:
        """The base model as it is: untuned, no cloning (what every other model row is compared with first)."""
        return self.reference and not self.clones

    def leads(self, other: Variant) -> bool:
        """Whether `self − other` is a comparison users ask about first (the rest are folded): a row against
        the row its suite names (`against`), else against the plain row of its own system (the base model),
        a fine-tune against cloning alone, a merge against its adapter, the ceiling against the floor."""
        if self.model and other.model and self.name != other.name:
            if self.against:
                return other.name == self.against
            if self.system != other.system:
                return False
            if other.plain_of_system and not self.plain_of_system:
                return True
            if self.adapted and other.reference and other.clones:
                return True  # fine-tuning against cloning alone
            return self.weights == "merged" and other.weights == "adapter" and self.clones == other.clones
        return self.anchor == "ceiling" and other.anchor == "floor"


#: every row a suite may name, in the order runs list them
KNOWN = (
    Variant("base"),
    Variant("cloned", clones=True),
    Variant("finetuned", "adapter"),
    Variant("finetuned_cloned", "adapter", True),
    Variant("merged", "merged"),
    Variant("merged_cloned", "merged", True),
    Variant("ground_truth", "", anchor="ceiling"),
    Variant("impostor", "", anchor="floor"),
)
VARIANTS = {v.name: v for v in KNOWN}
DEFAULT_VARIANTS = ("base", "cloned", "finetuned", "finetuned_cloned")  # the workshop's four
DEFAULT_ANCHORS = ("ground_truth", "impostor")


def anchor_rows(rows) -> tuple[str | None, str | None]:
    """(the ceiling row, the floor row) among `rows` (names), each None when absent."""
    found = {VARIANTS[r].anchor: r for r in rows if r in VARIANTS and VARIANTS[r].anchor}
    return found.get("ceiling"), found.get("floor")


@dataclass(frozen=True)
class Prompt:
    """One text to speak."""

    id: str  # stable across versions of a prompt set
    text: str


@dataclass(frozen=True)
class PromptSet:
    name: str
    version: str
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class ModelSpec:
    """The synthesizer: a model family's checkpoint, or a stand-in (`fake`, `noise`)."""

    backend: str  # a model family (csm, orpheus …) or a stand-in synthesizer
    checkpoint: str = ""  # Hub id or folder; "" for a stand-in (a family's default is filled in)
    device: str = "auto"
    speaker_id: int = 0
    options: dict = field(default_factory=dict)  # the backend's own settings (the fake synthesizer's fail_texts …)

    def get(self, key: str, default=None):
        """A setting by its YAML key (backend, checkpoint, device, speaker_id, or one of `options`)."""
        if key in ("backend", "checkpoint", "device", "speaker_id"):
            return getattr(self, key) if getattr(self, key) not in ("", None) else default
        return self.options.get(key, default)


@dataclass(frozen=True)
class FinetuneSpec:
    """`finetune:` in a suite: train the adapter first, into RUN_DIR/finetune (cached by data and settings)."""

    options: FinetuneOptions  # the family's LoRA defaults under the suite's settings
    base: str = ""  # the checkpoint to fine-tune (default: the suite's model checkpoint)
    merge: bool = False  # also write the merged 16-bit checkpoint (the merged rows)


@dataclass(frozen=True)
class GenerationOptions:
    """Sampling settings every family shares, and the family's own (`Family.generation_settings`: CSM's depth
    decoder, Orpheus' repetition penalty) in `family_settings`; one left unset (None) is the model family's
    default (filled in when the suite is resolved). A suite writes them all as keys of `generation:`.
    """

    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    seconds_per_char: float = 0.12  # frame budget: about twice a normal speaking rate …
    min_seconds: float = 3.0  # … plus this …
    max_seconds: float = 30.0  # … and never more than this (the cap that reveals stop failures)
    batch_size: int = 8
    engine: str = "fast"  # fast: the family's own decode loop; transformers: its generate() (the reference)
    compile: bool = False  # fast engine off CUDA: each frame's work compiled by Inductor (see README: engines)
    cuda_graphs: bool = True  # fast engine on CUDA: each frame replayed as one captured graph (false: kernel by kernel)
    family_settings: dict = field(default_factory=dict, hash=False)  # the family's own sampling settings, checked by it

    def __post_init__(self):
        check_number(self, "temperature", 0, 10, optional=True)
        check_number(self, "top_k", 0, integer=True, optional=True)
        check_number(self, "top_p", 0, 1, low_open=True, optional=True)
        check_number(self, "seconds_per_char", 0, 10, low_open=True)
        check_number(self, "min_seconds", 0, 600)
        check_number(self, "max_seconds", 0, 600, low_open=True)
        check_number(self, "batch_size", 1, 4096, integer=True)
        check_choice(self, "engine", ("fast", "transformers"))
        for name in ("compile", "cuda_graphs"):
            if not isinstance(getattr(self, name), bool):
                raise OptionError(name, f"{getattr(self, name)!r}: must be true or false")
        if self.compile and self.engine != "fast":
            raise OptionError("compile", "true: compiling is the fast engine's; set engine: fast, or compile: false")

    @property
    def engine_id(self) -> str:
        """What made the codes, as a run records it: samples of two engines never mix in one run."""
        return self.engine + (", compiled" if self.compile else "") + ("" if self.cuda_graphs else ", no CUDA graphs")

    def max_seconds_for(self, text: str) -> float:
        return min(self.max_seconds, self.min_seconds + self.seconds_per_char * len(text))

    def to_dict(self) -> dict:
        """Every setting as one flat mapping, as a suite writes them (the family's own among the shared)."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "family_settings"}
        return {**shared, **self.family_settings}

    @classmethod
    def from_dict(cls, data: dict) -> GenerationOptions:
        """The inverse of `to_dict`: keys that are not shared settings are the family's (unset ones dropped)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"family_settings"}
        own = {k: v for k, v in data.items() if k not in names and v is not None}
        return cls(**{k: v for k, v in data.items() if k in names}, family_settings=own)

    def sampling(self) -> dict:
        """The settings that are set (a family's generate() reads these)."""
        return {k: v for k, v in self.to_dict().items() if v is not None}


@dataclass(frozen=True)
class Suite:
    """A resolved suite: every default filled in, every name turned into its record."""

    name: str
    model: ModelSpec
    prompts: PromptSet
    variants: tuple[Variant, ...]  # the model rows
    anchors: tuple[Variant, ...]  # the rows that need no model
    seeds: tuple[int, ...]
    generation: GenerationOptions
    scorers: dict  # scorer name → its settings as the suite gives them, checked (each score records them resolved)
    dataset: Path | None = None
    adapter: Path | None = None  # for the tuned rows: a PEFT adapter (or a merged checkpoint)
    merged: Path | None = None  # the adapter's merged 16-bit checkpoint: the merged rows
    finetune: FinetuneSpec | None = None  # train the adapter first (when `adapter` is not given)
    impostor_voice: str = "espeak"  # who speaks the floor row
    gates: tuple[str, ...] = ()
    out: Path | None = None  # the run directory (default runs/<name>)
    report: Path | None = None  # where the report.* gates look for the report
    target: dict = field(default_factory=dict)  # metric → value a sweep estimates the rows for
    limits: dict = field(default_factory=dict)  # metric → the worst value a sweep's best point may have
    language: str = "en"  # ISO 639-1: what the prompts and the dataset speak (the WER scorer's forced language)
    description: str = ""
    path: Path | None = None  # the YAML file it came from (None when built in Python)

    @property
    def rows(self) -> tuple[Variant, ...]:
        """The model rows, then the anchors."""
        return self.variants + self.anchors

    @property
    def row_names(self) -> list[str]:
        return [v.name for v in self.rows]

    def row(self, name: str) -> Variant | None:
        return next((v for v in self.rows if v.name == name), None)

    @property
    def needs_adapter(self) -> bool:
        return any(v.tuned for v in self.variants)

    @property
    def needs_merged(self) -> bool:
        return any(v.weights == "merged" for v in self.variants)

    def weights_problems(self) -> list[tuple[str, str, str]]:
        """(suite key, what is wrong, the command that makes it) for each fine-tuned weights folder the rows need
        that is not there: the one check of `adapter:` and `merged:` that loading a suite, `check` and a run share."""
        out = []
        if self.needs_adapter and self.adapter is not None and not Path(self.adapter).exists():
            out.append(
                (
                    "adapter",
                    f"{self.adapter} does not exist",
                    f"ttsbench finetune DATASET --base MODEL --out {self.adapter}",
                )
            )
        for v in self.own_rows:
            if v.source is not None and v.source.adapter and not Path(v.source.adapter).exists():
                out.append(
                    (
                        f"rows.{v.name}.adapter",
                        f"{v.source.adapter} does not exist",
                        "ttsbench finetune DATASET --base MODEL --out DIR (its checkpoints: DIR/checkpoints)",
                    )
                )
        if self.merged is not None and not Path(self.merged).exists():
            out.append(
                (
                    "merged",
                    f"{self.merged} does not exist",
                    "ttsbench finetune DATASET --base MODEL --out DIR --merge (writes DIR/merged)",
                )
            )
        return out

    def run_dir(self) -> Path:
        return self.out or Path("runs") / self.name

    def to_dict(self) -> dict:
        """A plain, JSON-ready dict: what run.json stores."""

        def plain(value):
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (GenerationOptions, FinetuneOptions)):  # flat, as a suite writes them
                return plain(value.to_dict())
            if dataclasses.is_dataclass(value):
                return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return value

        data = plain(self)
        data["variants"] = [v.to_dict() for v in self.variants]  # KNOWN says what each workshop name is
        data["anchors"] = [v.name for v in self.anchors]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Suite:
        """The inverse of `to_dict` (no file is read and nothing is checked on disk)."""

        def path(key):
            return Path(data[key]) if data.get(key) else None

        spec = data.get("finetune")
        finetune = (
            None
            if not spec
            else FinetuneSpec(
                FinetuneOptions.from_dict(spec["options"]), spec.get("base", ""), bool(spec.get("merge", False))
            )
        )
        prompts = data["prompts"]
        return cls(
            name=data["name"],
            model=ModelSpec(**data["model"]),
            prompts=PromptSet(prompts["name"], prompts["version"], tuple(Prompt(**p) for p in prompts["prompts"])),
            variants=tuple(Variant.from_dict(n) for n in data["variants"]),
            anchors=tuple(VARIANTS[n] for n in data["anchors"]),
            seeds=tuple(data["seeds"]),
            generation=GenerationOptions.from_dict(data["generation"]),
            scorers=dict(data["scorers"]),
            dataset=path("dataset"),
            adapter=path("adapter"),
            merged=path("merged"),
            finetune=finetune,
            impostor_voice=data.get("impostor_voice", "espeak"),
            gates=tuple(data.get("gates", ())),
            out=path("out"),
            report=path("report"),
            target=dict(data.get("target") or {}),
            limits=dict(data.get("limits") or {}),
            language=data.get("language", "en"),
            description=data.get("description", ""),
            path=path("path"),
        )

    def identity(self) -> dict:
        """What the samples depend on (the run's identity, with the data's and weights' hashes): not the
        scorers (scores are keyed by scorer id), gates, outputs or descriptions."""
        data = self.to_dict()  # the dataset's and the weights' contents are keyed by their hashes, not their paths
        for key in (
            "scorers",
            "gates",
            "out",
            "report",
            "target",
            "limits",
            "description",
            "path",
            "name",
            "dataset",
            "adapter",
            "merged",
        ):
            data.pop(key, None)
        data["variants"] = [v.to_dict(identity=True) for v in self.variants]  # a served row's port is not identity
        return _same_paths(data)

    @property
    def uses_model(self) -> bool:
        """Some row generates with the suite's `model:` (a workshop row, or an adapter of that model)."""
        return any(
            v.source is None or (v.source.kind == "checkpoint" and v.source.model is None) for v in self.variants
        )

    @property
    def own_rows(self) -> tuple[Variant, ...]:
        """The rows with a source of their own (another checkpoint, a served endpoint, a function)."""
        return tuple(v for v in self.variants if v.source is not None)
