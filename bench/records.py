"""The records of a benchmark run: JSON lines (samples, scores) and JSON files (run, summary, sweep).

`reports/` and `suites/` read these, through the run store (`bench.store`), and nothing else of `bench`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from dataprep.records import JsonRecord

ANCHORS = ("ground_truth", "impostor")  # rows that need no model
VARIANTS = ("base", "cloned", "finetuned", "finetuned_cloned", "merged", "merged_cloned")
DEFAULT_VARIANTS = VARIANTS[:4]  # a suite that names none: base, cloned, finetuned, finetuned_cloned
TUNED = ("finetuned", "merged")  # variants whose rows depend on the fine-tune (prefixes)


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
class Sample:
    """One generated (or anchor) utterance."""

    variant: str  # base, cloned, finetuned, finetuned_cloned, ground_truth or impostor
    prompt_id: str
    seed: int
    text: str  # what it should say (the reference for WER)
    audio_path: str | None  # relative to the run directory; None when generation failed
    seconds: float = 0.0
    stopped: bool | None = None  # generation ended by itself (False: it hit the frame cap)
    error: str | None = None  # why generation failed; the sample still counts
    regenerated: str | None = None  # why it was generated again (its audio file had gone missing)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.variant, self.prompt_id, self.seed)


@dataclass(frozen=True)
class Score:
    """One metric of one sample, with its evidence."""

    variant: str
    prompt_id: str
    seed: int
    metric: str  # wer, cer, speaker_sim, duration, stop_failure …
    value: float | None  # None = the sample or the scorer failed: counted as a failure, never dropped
    detail: dict = field(default_factory=dict)  # transcript, normalised texts, model ids, error …
    scorer: str = ""  # scorer id with its settings' hash: runs scored differently are not compared


@dataclass(frozen=True)
class Summary:
    """One metric of one variant over all prompts and seeds."""

    variant: str
    metric: str
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int  # scored samples
    n_failed: int  # samples without a value (generation or scoring failed)


@dataclass(frozen=True)
class Comparison:
    """a − b on the same prompts and seeds."""

    a: str
    b: str
    metric: str
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_pairs: int  # prompts with a value in both (0 when unpaired)
    paired: bool = True  # False: rows without common prompts, compared as independent groups
    spread: float | None = None  # standard deviation of the per-prompt differences (pooled when unpaired)
    detectable: float | None = None  # the smallest |a − b| these prompts detect at 80 % power, α 0.05 (two-sided)

    def prompts_for(self, difference: float) -> int | None:
        """About how many prompts make `difference` detectable, at this comparison's spread (`stats.prompts_needed`)."""
        from .stats import prompts_needed

        return prompts_needed(self.spread, difference, 1 if self.paired else 2)


def to_dict(record) -> dict:
    return asdict(record)


def from_dict(cls, data: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Metric:
    """What a metric is, declared once by its scorer (`Scorer.declares`); summaries, gates, comparisons,
    the report and sweeps read these and nothing else about it."""

    name: str
    better: str = "higher"  # higher, lower, or "" (descriptive: neither is better)
    unit: str = ""  # shown after a value (s, MOS, words/s)
    digits: int = 3  # decimals shown
    of: str = ""  # a summary of another, per-sample metric (wer_micro of wer); "" = per sample itself
    summary: str = "mean"  # over prompts: mean | micro (sum of `micro[0]` detail counts / sum of `micro[1]`) | rate
    micro: tuple = ((), "")  # micro: (detail fields summed as errors, detail field summed as the total)
    threshold: float | None = None  # rate: the share of samples whose value exceeds this
    always: bool = True  # every sample gets it (False: only some, e.g. stop_failure only for generated rows)
    headline: bool = False  # a column of the summary table (in declaration order)
    compared: bool = False  # compared between every two rows (per-sample metrics)
    curve: bool = False  # a sweep's learning curve
    label: str = ""  # a short name for charts ("Similarity"); "" = the name
    scorer: str = ""  # the scorer that writes it (filled in by `declared`)
    chart: tuple = ()  # the report's dot chart: (title, axis label)
    words: tuple = ()  # a comparison in words: (when a − b > 0, when < 0, scale, unit)
    merge_words: tuple = ()  # a merge vs its adapter: (when merged − adapter > 0, when < 0, scale, unit)

    @property
    def base(self) -> str:
        """The per-sample metric whose scores this summarises."""
        return self.of or self.name


def declared(scorers) -> dict[str, Metric]:
    """name → Metric for the scorers named (names or scorer ids `name:hash`), in declaration order."""
    from .scorers import SCORERS, scorer_class

    out: dict[str, Metric] = {}
    for s in scorers:
        name = str(s).split(":", 1)[0]
        if name in SCORERS:
            out.update({m.name: replace(m, scorer=name) for m in scorer_class(name).declares})
    return out


def _metric(data: dict) -> Metric:
    return Metric(**{k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
                     for k, v in data.items() if k in {f.name for f in fields(Metric)}})


@dataclass(frozen=True)
class RunRecord(JsonRecord):
    """`run.json`: the run describes itself — resolved suite, data, model, versions, what it plans to make."""

    FILE = "run.json"

    suite: str
    suite_path: str
    config: dict  # the resolved suite (includes applied), minus gates and output paths
    config_key: str  # hash of config, prompts, dataset and adapter: another configuration is refused
    prompts: dict  # {name, version, n}
    created: str
    dataset: str | None = None
    dataset_key: str = ""  # the dataset's prepare.json input key
    adapter: str | None = None  # absolute path
    adapter_sha: str = ""
    merged: str | None = None  # the merged 16-bit checkpoint of the adapter (merged rows), absolute path
    engine: str = ""  # generation engine (fast, "fast, compiled" or transformers); samples of two never mix in a run
    reference_clips: list = field(default_factory=list)
    planned: dict = field(default_factory=dict)  # row → samples the run makes (missing ones count as failures)
    gates: list = field(default_factory=list)
    label: str = ""  # "tiny random model — pipeline check only" and the like
    versions: dict = field(default_factory=dict)
    git_sha: str = ""
    machine: dict = field(default_factory=dict)

    @property
    def rows(self) -> list[str]:
        """The run's rows: its variants, then its anchors."""
        return list(self.config.get("variants", [])) + [a for a in ANCHORS if a in self.config.get("anchors", [])]


@dataclass(frozen=True)
class SampleCounts:
    """How many samples a row has, and how many of them are not usable."""

    n: int  # samples with a line (generated or failed)
    failed: int  # generation failed or gave unusable audio
    missing: int = 0  # planned but never produced (a run not finished)
    regenerated: int = 0  # made again because their audio file had gone


@dataclass(frozen=True)
class RunSummary(JsonRecord):
    """`summary.json`: per-row summaries of every metric, and paired comparisons between rows."""

    FILE = "summary.json"

    suite: str
    label: str
    scorers: list  # scorer ids (name:hash of settings): runs with other ids are not compared
    samples: dict  # row → SampleCounts
    summaries: list  # Summary
    comparisons: list  # Comparison, each pair of rows once (a − b for a listed before b)
    metrics: dict = field(default_factory=dict)  # name → Metric: what each metric is (from its scorer)
    listeners: dict = field(default_factory=dict)  # the listening test's analysis (bench.listeners.analyse); {} if none

    @classmethod
    def from_dict(cls, data: dict, where: str = ""):
        plain = super().from_dict(data, where)
        return cls(plain.suite, plain.label, list(plain.scorers),
                   {k: v if isinstance(v, SampleCounts) else SampleCounts(**v) for k, v in plain.samples.items()},
                   [s if isinstance(s, Summary) else from_dict(Summary, s) for s in plain.summaries],
                   [c if isinstance(c, Comparison) else from_dict(Comparison, c) for c in plain.comparisons],
                   {k: v if isinstance(v, Metric) else _metric(v) for k, v in (plain.metrics or {}).items()}
                   or declared(plain.scorers),  # summaries written before metrics were declared
                   dict(plain.listeners or {}))

    @property
    def rows(self) -> list[str]:
        return list(self.samples)

    def summary(self, row: str, metric: str) -> Summary | None:
        return next((s for s in self.summaries if (s.variant, s.metric) == (row, metric)), None)

    def comparison(self, a: str, b: str, metrics: tuple[str, ...]) -> Comparison | None:
        """a − b for the first of `metrics` compared; a comparison stored as b − a is turned around."""
        for c in self.comparisons:
            if c.metric in metrics and (c.a, c.b) == (a, b):
                return c
        for c in self.comparisons:
            if c.metric in metrics and (c.b, c.a) == (a, b):
                neg = lambda x: None if x is None else -x  # noqa: E731
                return Comparison(a, b, c.metric, neg(c.difference), neg(c.ci_high), neg(c.ci_low), c.p_value,
                                  c.n_pairs, c.paired, c.spread, c.detectable)
        return None

    def metric(self, name: str) -> Metric:
        return self.metrics.get(name) or Metric(name, better="")

    def preference(self, a: str, b: str, question: str) -> dict | None:
        """How often the listeners preferred row `a` over `b` (see `preference_of`); None before any answer."""
        return preference_of((self.listeners or {}).get("preferences", []), a, b, question)

    def headline(self) -> tuple[list[str], list[tuple[str, list]]]:
        """(columns, [(row, [Summary or None per column])]): the numbers every table of a run shows."""
        cols = [m for m, d in self.metrics.items() if d.headline and any(self.summary(v, m) for v in self.rows)]
        return cols, [(v, [s if s is not None and s.mean is not None else None
                           for s in (self.summary(v, m) for m in cols)]) for v in self.rows]


def preference_of(preferences: list[dict], a: str, b: str, question: str) -> dict | None:
    """The listening test's preference rate of `a` over `b` on `question` (`bench.listeners.preferences`
    items: a, b, question, rate, ci_low, ci_high, n, ties), turned around if stored as b over a."""
    for p in preferences:
        if p["question"] == question and (p["a"], p["b"]) == (a, b):
            return p
        if p["question"] == question and (p["a"], p["b"]) == (b, a):
            flip = lambda x: None if x is None else 1 - x  # noqa: E731
            return {**p, "a": a, "b": b, "rate": 1 - p["rate"], "ci_low": flip(p["ci_high"]),
                    "ci_high": flip(p["ci_low"])}
    return None


@dataclass(frozen=True)
class SweepRecord(JsonRecord):
    """`sweep.json`: the points of a data-size sweep and the learning-curve fit."""

    FILE = "sweep.json"

    suite: str
    suite_path: str
    sizes: list
    seeds: list
    executor: str
    train_rows: int
    points: dict  # point name → its run directory
    fit: dict  # variant → the saturating fit (or why there is none)
    fit_text: str = ""
    target: dict = field(default_factory=dict)
    label: str = ""


LISTEN_MODES = {"ab": ("similar", "natural"), "mos": ("natural",), "smos": ("similar",)}  # mode → its questions
AB_ANSWERS = ("a", "b", "same")  # "same": no preference


@dataclass(frozen=True)
class Rating:
    """One answer of a blind listening test: a line of `ratings.jsonl`, appended when given."""

    rater: str  # the name the rater typed
    mode: str  # ab, mos or smos
    trial: int  # its index in the rater's plan (the plan follows from mode, seed and rater)
    samples: list  # [variant, prompt_id, seed] of each sample played: A then B for ab, one for mos/smos
    answer: dict  # question → "a" / "b" / "same" (ab) or 1–5 (mos: natural, smos: similar)
    check: str = ""  # "" or the attention check it was: "identical" (one sample twice), "anchors" (real vs impostor)
    time: float = 0.0  # unix seconds, when the server received it
    page_version: str = ""  # the listening page that asked
    seed: int = 0  # the plan's seed
    version: int = 1

    @property
    def keys(self) -> list[tuple[str, str, int]]:
        return [(str(v), str(p), int(s)) for v, p, s in self.samples]
