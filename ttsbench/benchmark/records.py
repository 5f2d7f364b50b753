"""The records of a run directory, one per file: JSON lines (samples, scores, ratings) and JSON files
(run, summary, sweep, report).

`benchmark.store.RunStore` is the one reader and writer of a run directory; reports, gates, sweeps and
the API read these records through it. Nothing here imports from above the records' own layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from ttsbench.core.records import JsonRecord, RecordError, build

from .plan import VARIANTS, Suite, Variant


def to_dict(record) -> dict:
    return asdict(record)


def from_dict(cls, data: dict, where: str = "", fix: str = "restore it from a backup"):
    """`cls` from a JSON object; a missing field or one of the wrong type is a RecordError naming `where`."""
    return build(cls, data, where or cls.__name__, fix)


@dataclass(frozen=True)
class Sample:
    """One generated (or anchor) utterance: a line of samples.jsonl."""

    variant: str  # the row (benchmark.plan.VARIANTS says what it is)
    prompt_id: str
    seed: int
    text: str  # what it should say (the reference for WER)
    audio_path: str | None  # relative to the run directory; None when generation failed
    seconds: float = 0.0
    stopped: bool | None = None  # generation ended by itself (False: it hit the frame cap)
    error: str | None = None  # why generation failed; the sample still counts
    regenerated: str | None = None  # why it was generated again (its audio file had gone missing)
    audio_sha: str = ""  # sha256 of the audio file as written ("" in runs made before it was recorded)

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
class ScoreRecord:
    """A line of scores.jsonl: every value one scorer gave one sample, written in one piece.

    A kill mid-write leaves a torn line, which is not a record: the pair (sample, scorer) is then not
    done and is scored again, whatever metrics the scorer declares or happened to give.
    """

    variant: str
    prompt_id: str
    seed: int
    scorer: str  # scorer id (name:hash of its settings)
    audio_sha: str  # the audio the values were computed from ("" for a sample that failed to generate)
    values: tuple[Score, ...]
    complete: bool = True  # False: a line of the older format (one metric per line), done only with all its metrics

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.variant, self.prompt_id, self.seed)

    def to_line(self) -> dict:
        return {
            "variant": self.variant,
            "prompt_id": self.prompt_id,
            "seed": self.seed,
            "scorer": self.scorer,
            "audio_sha": self.audio_sha,
            "values": [{"metric": s.metric, "value": s.value, "detail": s.detail} for s in self.values],
        }

    @classmethod
    def from_line(cls, data: dict, where: str = "a line of scores.jsonl", fix: str = "") -> ScoreRecord:
        try:
            return cls._from_line(data)
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            missing = f"field {e}" if isinstance(e, KeyError) else str(e)
            raise RecordError(f"{where}: not a score record ({missing}); {fix or 'restore it from a backup'}") from None

    @classmethod
    def _from_line(cls, data: dict) -> ScoreRecord:
        key = (data["variant"], data["prompt_id"], data["seed"])
        if not (isinstance(key[0], str) and isinstance(key[1], str) and isinstance(key[2], int)):
            raise TypeError(f"variant, prompt_id and seed are {key!r}, not text, text and a whole number")
        if "values" not in data:  # one metric per line, as runs wrote before the scorer's values went in one line
            score = from_dict(Score, data)
            return cls(*key, data.get("scorer", ""), data.get("audio_sha", ""), (score,), complete=False)
        return cls(
            *key,
            data["scorer"],
            data.get("audio_sha", ""),
            tuple(Score(*key, v["metric"], v["value"], v.get("detail") or {}, data["scorer"]) for v in data["values"]),
        )


@dataclass(frozen=True)
class Summary:
    """One metric of one row over all prompts and seeds."""

    variant: str
    metric: str
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int  # scored samples
    n_failed: int  # samples without a value (generation or scoring failed, or planned and not made)


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

    @property
    def groups(self) -> int:
        """1 for a paired comparison, 2 for independent groups (what `stats.prompts_needed` takes)."""
        return 1 if self.paired else 2

    def turned(self) -> Comparison:
        """b − a."""
        neg = lambda x: None if x is None else -x  # noqa: E731
        return Comparison(
            self.b,
            self.a,
            self.metric,
            neg(self.difference),
            neg(self.ci_high),
            neg(self.ci_low),
            self.p_value,
            self.n_pairs,
            self.paired,
            self.spread,
            self.detectable,
        )


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
    role: str = ""  # "voice" (how like the speaker: the report's verdict, a sweep's default fit) or "intelligibility"
    cell: str = ""  # shown in the report's per-prompt grid: "value", or "transcript" (value + the marked transcript)
    label: str = ""  # a short name for charts ("Similarity"); "" = the name
    scorer: str = ""  # the scorer that writes it (filled in by `declared`)
    chart: tuple = ()  # the report's dot chart: (title, axis label)
    words: tuple = ()  # a comparison in words: (when a − b > 0, when < 0, scale, unit)
    merge_words: tuple = ()  # a merge vs its adapter: (when merged − adapter > 0, when < 0, scale, unit)

    @property
    def base(self) -> str:
        """The per-sample metric whose scores this summarises."""
        return self.of or self.name

    @classmethod
    def from_dict(cls, data: dict, where: str = "Metric", fix: str = "restore it from a backup") -> Metric:
        plain = build(cls, data, where, fix)
        return replace(
            plain,
            **{
                f.name: tuple(tuple(x) if isinstance(x, list) else x for x in getattr(plain, f.name))
                for f in fields(cls)
                if isinstance(getattr(plain, f.name), list)
            },
        )


@dataclass(frozen=True)
class RunRecord(JsonRecord):
    """`run.json`: the run describes itself — the plan it was made from, data, models, versions, what it
    plans to make. Version 1 (before plans were typed) held the suite's merged YAML as `config`; it is
    read into the same plan by `benchmark.store.RunStore.run`. Version 3 adds rows of their own (a row
    with its source, where version 2 held only workshop row names) and their weights' hashes."""

    VERSION = 3
    FILE = "run.json"
    FIX = "bench into a new --out (or move this run directory aside and bench again)"

    suite: str
    suite_path: str
    plan: Suite  # the resolved suite this run follows
    config_key: str  # hash of what the samples depend on: another configuration is refused
    created: str
    dataset_key: str = ""  # the dataset's prepare.json input key
    adapter: str | None = None  # absolute path
    adapter_sha: str = ""
    merged: str | None = None  # the merged 16-bit checkpoint of the adapter (merged rows), absolute path
    engine: str = ""  # generation engine (fast, "fast, compiled" or transformers); samples of two never mix in a run
    reference_clips: list = field(default_factory=list)
    planned: dict = field(default_factory=dict)  # row → samples the run makes (missing ones count as failures)
    label: str = ""  # "tiny random model — pipeline check only" and the like
    versions: dict = field(default_factory=dict)
    git_sha: str = ""
    machine: dict = field(default_factory=dict)
    row_shas: dict = field(default_factory=dict)  # row of its own → the hash of its own weights (adapter, folder)
    engine_notes: list = field(default_factory=list)  # what generation had to do otherwise ("CUDA graphs off for …")

    @property
    def rows(self) -> list[str]:
        """The run's rows: its variants, then its anchors."""
        return self.plan.row_names

    @property
    def dataset(self) -> str | None:
        return str(self.plan.dataset) if self.plan.dataset else None

    def to_dict(self) -> dict:
        return {**super().to_dict(), "plan": self.plan.to_dict()}

    @classmethod
    def from_dict(cls, data: dict, where: str = ""):
        record = super().from_dict(data, where)
        try:
            plan = Suite.from_dict(record.plan)  # type: ignore[arg-type]  # the JSON object, checked by build
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise RecordError(
                f"{where or cls.FILE}: field 'plan' is not a suite ({type(e).__name__}: {e}); {cls.FIX}"
            ) from None
        return replace(record, plan=plan)


@dataclass(frozen=True)
class SampleCounts:
    """How many samples a row has, and how many of them are not usable."""

    n: int  # samples with a line (generated or failed)
    failed: int  # generation failed or gave unusable audio
    missing: int = 0  # planned but never produced (a run not finished)
    regenerated: int = 0  # made again because their audio file had gone


@dataclass(frozen=True)
class RunSummary(JsonRecord):
    """`summary.json`: per-row summaries of every metric, and comparisons between every two rows."""

    FILE = "summary.json"
    FIX = "delete it: bench, report and gates compute it again from samples.jsonl and scores.jsonl"

    suite: str
    label: str
    scorers: list  # scorer ids (name:hash of settings): runs with other ids are not compared
    samples: dict  # row → SampleCounts
    summaries: list  # Summary
    comparisons: list  # Comparison, each pair of rows once (a − b for a listed before b)
    metrics: dict = field(default_factory=dict)  # name → Metric: what each metric is (from its scorer)
    variants: dict = field(default_factory=dict)  # row → what it is (Variant.to_dict: a workshop name or its fields)

    @classmethod
    def from_dict(cls, data: dict, where: str = ""):
        plain = super().from_dict(data, where)
        where = where or cls.FILE

        def typed(kind, value, place):
            if isinstance(value, kind):
                return value
            read = kind.from_dict if kind is Metric else lambda *a: from_dict(kind, *a)
            return read(value, f"{where} {place}", cls.FIX)

        return cls(
            plain.suite,
            plain.label,
            list(plain.scorers),
            {k: typed(SampleCounts, v, f"samples[{k!r}]") for k, v in plain.samples.items()},
            [typed(Summary, s, f"summaries[{i}]") for i, s in enumerate(plain.summaries)],
            [typed(Comparison, c, f"comparisons[{i}]") for i, c in enumerate(plain.comparisons)],
            {k: typed(Metric, v, f"metrics[{k!r}]") for k, v in (plain.metrics or {}).items()},
            dict(plain.variants or {}),
        )

    def variant(self, row: str) -> Variant:
        """What a row is: as the run recorded it, else the workshop's row of that name (a summary written before
        rows had sources), else a row of unknown make."""
        if row in self.variants:
            return Variant.from_dict(self.variants[row])
        return VARIANTS.get(row) or Variant(row, "")

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
                return c.turned()
        return None

    def metric(self, name: str) -> Metric:
        return self.metrics.get(name) or Metric(name, better="")

    def headline(self) -> tuple[list[str], list[tuple[str, list]]]:
        """(columns, [(row, [Summary or None per column])]): the numbers every table of a run shows."""
        cols = [m for m, d in self.metrics.items() if d.headline and any(self.summary(v, m) for v in self.rows)]
        return cols, [
            (v, [s if s is not None and s.mean is not None else None for s in (self.summary(v, m) for m in cols)])
            for v in self.rows
        ]

    def lead_pairs(self) -> list[tuple[str, str]]:
        """The comparisons users ask about first (`benchmark.plan.Variant.leads`): the fine-tuned rows (cloning
        first) before the merged ones, then cloning alone, then the anchors; each against base first."""
        rows = [self.variant(r) for r in self.rows]
        first = sorted(
            rows,
            key=lambda v: (
                bool(v.anchor),
                ("adapter", "merged", "base").index(v.weights) if v.weights else 0,
                not v.clones,
            ),
        )
        return [(a.name, b.name) for a in first for b in rows if a.leads(b)]


@dataclass(frozen=True)
class SweepRecord(JsonRecord):
    """`sweep.json`: the points of a sweep (data sizes, the steps of one fine-tune, or the values of a fine-tune
    setting), the learning-curve fit (sizes) or the best point within the suite's limits (steps, settings)."""

    FILE = "sweep.json"
    FIX = "run the sweep again (it writes sweep.json anew; finished points are reused)"

    suite: str
    suite_path: str
    sizes: list
    seeds: list
    executor: str
    train_rows: int
    points: dict  # point name → its run directory
    fit: dict  # variant → the saturating fit (or why there is none)
    fit_text: str = ""
    target: dict = field(default_factory=dict)  # {metric: value} the fit estimates the rows for
    label: str = ""
    metric: str = "speaker_sim"  # the curve the fit is of
    axis: str = "rows"  # what the points vary: rows, step, or a fine-tune setting's name (curve.csv's first column)
    best: dict = field(default_factory=dict)  # variant → the best point within `limits` (steps, settings)
    limits: dict = field(default_factory=dict)  # the suite's `limits:` the best point keeps
    values: list = field(default_factory=list)  # the axis' value of every point but the baseline


@dataclass(frozen=True)
class ReportRecord(JsonRecord):
    """`REPORT.json` beside a report page: what the page shows (the `report.*` gates read it)."""

    FILE = ""  # named after its page: report.html → report.json
    FIX = "delete it and write the report again (ttsbench report RUN -o PAGE)"
    report: str  # the page's file name
    runs: list  # run directories shown
    audio_elements: int
    samples: int
    missing: list  # what the runs do not have yet, in words
    seconds: float
    kind: str = "ttsbench report"


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
    check: str = ""  # "" or the attention check it was: "identical" (one sample twice), "anchors" (ceiling vs floor)
    time: float = 0.0  # unix seconds, when the server received it
    page_version: str = ""  # the listening page that asked
    seed: int = 0  # the plan's seed
    version: int = 1

    @property
    def keys(self) -> list[tuple[str, str, int]]:
        return [(str(v), str(p), int(s)) for v, p, s in self.samples]


@dataclass(frozen=True)
class Opinion:
    """A row's mean opinion (1–5) on one question, with a 95 % interval over raters and prompts."""

    row: str
    mean: float
    ci_low: float | None
    ci_high: float | None
    n: int  # answers
    raters: int


@dataclass(frozen=True)
class Preference:
    """How often row `a` was preferred over row `b` on a question ("no preference" counts half)."""

    a: str
    b: str
    question: str  # similar (more like the reference voice) or natural
    rate: float
    ci_low: float | None
    ci_high: float | None
    n: int  # answers
    ties: int  # of them, "no preference"

    def turned(self) -> Preference:
        flip = lambda x: None if x is None else 1 - x  # noqa: E731
        return Preference(
            self.b, self.a, self.question, 1 - self.rate, flip(self.ci_high), flip(self.ci_low), self.n, self.ties
        )

    @property
    def decided(self) -> bool:
        """The interval excludes 50 %."""
        return self.ci_low is not None and (self.ci_low > 0.5 or self.ci_high < 0.5)


@dataclass(frozen=True)
class Ranked:
    row: str
    strength: float  # Bradley–Terry, log scale, mean 0
    rank: int  # rows of equal strength share a rank


@dataclass(frozen=True)
class Agreement:
    alpha: float | None  # Krippendorff's alpha between raters; None with too few shared items
    units: int  # items heard by two or more raters


@dataclass(frozen=True)
class MetricAgreement:
    """How far an automatic metric tracks the listeners on one question."""

    metric: str
    question: str
    sign_agreement: float | None  # share of decided A/B answers whose preferred sample the metric ranks better
    n_pairs: int
    spearman: float | None  # with the per-sample opinion scores (1–5)
    n_samples: int


@dataclass(frozen=True)
class RaterCheck:
    rater: str
    answers: int
    modes: list
    checks: int  # attention checks answered
    failed_checks: int
    flagged: bool  # failed one or more: their answers are kept, and shown as flagged


@dataclass(frozen=True)
class ListenerSummary:
    """What the listeners said (`ttsbench.listening.analysis.analyse` over ratings.jsonl)."""

    n_ratings: int
    mos: tuple[Opinion, ...] = ()
    smos: tuple[Opinion, ...] = ()
    preferences: tuple[Preference, ...] = ()
    ranking: dict = field(default_factory=dict)  # question → tuple of Ranked, strongest first
    agreement: dict = field(default_factory=dict)  # "mode.question" → Agreement
    metric_agreement: tuple[MetricAgreement, ...] = ()
    raters: tuple[RaterCheck, ...] = ()

    def preference(self, a: str, b: str, question: str) -> Preference | None:
        """Row `a` over row `b` on `question` (turned around if stored as b over a); None before any answer."""
        for p in self.preferences:
            if p.question == question and (p.a, p.b) == (a, b):
                return p
            if p.question == question and (p.a, p.b) == (b, a):
                return p.turned()
        return None

    def opinion(self, mode: str, row: str) -> Opinion | None:
        return next((o for o in getattr(self, mode) if o.row == row), None)
