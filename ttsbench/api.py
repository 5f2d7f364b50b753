"""The Python API: one function per stage, taking the options the command takes and returning the stage's
record, with tables as pandas DataFrames and charts as the report's SVG (shown inline). The command line calls these
same functions (`ttsbench.cli`).

    import ttsbench as tb
    ds  = tb.prepare(["talk.mp4"], out="runs/voice", asr="turbo", corrections="names.yaml")
    ft  = tb.finetune("runs/voice", base="sesame/csm-1b", out="runs/ft", max_steps=60)
    run = tb.bench("suites/csm1b.yaml")             # or a dict of the same keys, or a Suite
    run.answer()                                     # the answer first: each variant against base and cloned
    run.summary(); run.scores(); run.compare("finetuned_cloned", "cloned")
    run.listen("finetuned_cloned", prompt="p03")     # a player in a notebook
    tb.report(run, "runs/report.html"); run.gates()
    tb.sweep("suites/csm1b.yaml", sizes=[10, 25, 50, 100]).curve()

Nothing heavy is imported until a function runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING, Any

from .core.errors import UserError, output_folder

if TYPE_CHECKING:  # the records the functions return; imported for the annotations only (nothing heavy at import)
    from http.server import ThreadingHTTPServer

    import pandas as pd

    from .benchmark.check import Finding
    from .benchmark.plan import Suite
    from .benchmark.records import ListenerSummary, RunRecord, RunSummary
    from .benchmark.sweep import SweepResult
    from .dataprep.prepare import PrepareOptions
    from .dataprep.records import PrepareManifest
    from .gates.power import PromptPlan
    from .models.records import FinetuneOptions, FinetuneRecord
    from .reports.html import ReportResult

    SuiteLike = str | Path | dict[str, Any] | Suite  # a YAML path, a mapping of the same keys, or a Suite

NOTEBOOK_EXTRA = "pip install 'ttsbench[notebook]'"


def _need(module: str, what: str) -> Any:
    """Import `module` or raise the one-line fix."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"{what} needs {module.split('.')[0]}; {NOTEBOOK_EXTRA}") from None


def _frame(rows: list[dict], columns: list[str] | None = None, label: str = "") -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    if label:
        frame.attrs["label"] = label  # "tiny random model — pipeline check only" travels with the table
    return frame


# -- stage 1: the dataset ------------------------------------------------------------------------------------------


def _messages(progress: bool) -> None:
    """With progress on, ttsbench's messages are shown on stderr (as the command line shows them)."""
    if progress:
        from .core.log import show

        show()


def prepare_options(out: str | Path, **settings: Any) -> PrepareOptions:
    """The options of `prepare` from flat settings, as the command's flags name them.

    Args:
        out: the dataset folder to write.
        **settings: any field of PrepareOptions, AsrOptions (its `model` as `asr`), ChunkOptions and
            SplitOptions (asr="turbo", max_seconds=30, eval_fraction=0.1 …).

    Returns:
        PrepareOptions with the nested ASR, chunking and split options filled in.
    """
    from .dataprep.asr import AsrOptions
    from .dataprep.chunking import ChunkOptions
    from .dataprep.prepare import PrepareOptions
    from .dataprep.splits import SplitOptions

    if "asr" in settings and not isinstance(settings["asr"], AsrOptions):
        settings["model"] = settings.pop("asr")
    parts: dict[str, tuple[type, Any]] = {
        "asr": (AsrOptions, PrepareOptions.__dataclass_fields__["asr"].default),
        "chunk": (ChunkOptions, ChunkOptions()),
        "split": (SplitOptions, SplitOptions()),
    }
    nested: dict[str, Any] = {}
    for part, (cls, default) in parts.items():
        names = {f.name for f in dataclasses.fields(cls)}
        mine = {k: settings.pop(k) for k in list(settings) if k in names}
        if part == "asr" and "model" not in mine:
            mine["model"] = "auto"  # the language's embedded model
        nested[part] = dataclasses.replace(default, **mine)
    known = {f.name for f in dataclasses.fields(PrepareOptions)}
    unknown = set(settings) - known
    if unknown:
        raise UserError(f"prepare: unknown setting(s) {', '.join(sorted(unknown))}")
    for key in ("corrections", "speakers", "cache_dir"):
        if settings.get(key) is not None:
            settings[key] = Path(settings[key])
    return PrepareOptions(out=Path(out), **nested, **settings)


@dataclass
class Dataset:
    """A voice dataset `prepare` made (or found up to date)."""

    path: Path
    manifest: PrepareManifest  # prepare.json
    failed: list = field(default_factory=list)  # sources that could not be used: {source, error}
    up_to_date: bool = False

    def splits(self) -> pd.DataFrame:
        """DataFrame: split, clips, minutes."""
        return _frame([{"split": s, **c} for s, c in self.manifest.counts.items()], ["split", "clips", "minutes"])

    def dropped(self) -> pd.DataFrame:
        """DataFrame: every piece of a recording that did not become a clip, and why."""
        return _frame(list(self.manifest.dropped), ["recording_id", "start", "end", "text", "reason"])

    def clips(self, split: str | None = None) -> pd.DataFrame:
        """DataFrame: clip_id, split, text, duration, source (speaker) of every clip."""
        import datasets

        ds = datasets.load_from_disk(str(self.path)).remove_columns("audio")
        frame = ds.to_pandas()
        return frame if split is None else frame[frame["split"] == split].reset_index(drop=True)


def prepare(
    sources: list[str | Path] | str | Path, out: str | Path, options: PrepareOptions | None = None, **settings: Any
) -> Dataset:
    """Recordings or URLs → a split voice dataset (see docs/prepare.md).

    Args:
        sources: audio or video files, folders of them, or URLs (yt-dlp).
        out: the dataset folder (a Hugging Face dataset, loadable with datasets.load_from_disk).
        options: PrepareOptions; when None they are built from `settings`.
        **settings: the command's flags (asr="turbo", corrections="names.yaml", max_seconds=30 …).

    Returns:
        The Dataset: its folder, prepare.json, the sources that failed, and whether it was up to date.
    """
    from .dataprep.prepare import prepare as run

    out = _path(out, "out")
    items = [sources] if isinstance(sources, (str, Path)) else sources
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(x, (str, Path)) for x in items):
        raise UserError(f"sources={sources!r}: a file, folder or URL, or a list of them")
    options = options or prepare_options(out, **settings)
    _messages(options.progress)
    result = run([str(sources)] if isinstance(sources, (str, Path)) else [str(s) for s in sources], options)
    return Dataset(result.out, result.manifest, result.failed, result.up_to_date)


def open_dataset(path: str | Path) -> Dataset:
    """A dataset `prepare` made.

    Args:
        path: its folder (with prepare.json).

    Returns:
        The Dataset, read from its prepare.json.
    """
    from .dataprep.records import PrepareManifest

    manifest = PrepareManifest.read(path)
    if manifest is None:
        raise UserError(f"{path}: no prepare.json, so not a dataset `ttsbench prepare` made")
    return Dataset(Path(path), manifest, list(manifest.failed), True)


# -- stage 2: fine-tuning --------------------------------------------------------------------------------------------


@dataclass
class Finetune:
    """A fine-tune: its adapter folder and its record."""

    out: Path
    record: FinetuneRecord  # finetune.json
    trained: bool = True  # False: it was up to date

    def losses(self) -> pd.DataFrame:
        """DataFrame: step, loss, grad_norm, learning_rate, eval_loss (NaN where not logged)."""
        return _frame(
            list(self.record.loss_history),
            ["step", "loss", "grad_norm", "learning_rate", "eval_loss"],
            self.record.label,
        )

    def figure(self) -> Chart:
        """The training and eval loss per step: the report's chart, shown inline in a notebook."""
        from .reports.html import loss_chart

        return Chart(loss_chart(self.record, self.record.label) or "")


def finetune_options(config: str | Path | None = None, **settings: Any) -> FinetuneOptions:
    """The options of `finetune` from a YAML file and keyword settings.

    Args:
        config: a YAML mapping of settings, or None.
        **settings: FinetuneOptions fields and the model family's own training settings; they win over `config`.

    Returns:
        FinetuneOptions; a setting left unset is the model family's, filled in when training starts.
    """
    from .models.records import FinetuneOptions

    return FinetuneOptions.from_yaml(config, **settings) if config else FinetuneOptions.from_dict(settings)


def finetune(
    dataset: str | Path | Dataset,
    base: str,
    out: str | Path,
    options: FinetuneOptions | None = None,
    config: str | Path | None = None,
    merge: bool = False,
    push_to_hub: str | None = None,
    public: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    callbacks: list | None = None,
    **settings: Any,
) -> Finetune:
    """LoRA fine-tuning on the dataset's train split (see docs/finetune.md).

    Args:
        dataset: a `prepare` folder, a saved dataset, a Hub id, or a Dataset.
        base: the checkpoint to fine-tune (Hub id or folder); its config.json names the model family.
        out: the folder for the adapter, finetune.json and tensorboard/.
        options: FinetuneOptions; when None they are built from `config` and `settings`.
        config: a YAML file of settings.
        merge: also write the merged 16-bit checkpoint to OUT/merged.
        push_to_hub: a Hub repository to push the adapter to (private unless `public`).
        public: with `push_to_hub`, make it public.
        overwrite: replace a fine-tune with other settings already in `out`.
        progress: show progress bars and messages.
        callbacks: transformers TrainerCallbacks to add.
        **settings: FinetuneOptions fields (max_steps=60, rows=50, learning_rate=2e-4 …) and the family's own.

    Returns:
        The Finetune: its folder, its record, and whether it trained (False: it was up to date).
    """
    from .models.train import finetune as train

    options = options or finetune_options(config, **settings)
    _messages(progress)
    path = dataset.path if isinstance(dataset, Dataset) else _path(dataset, "dataset")
    out = _path(out, "out")
    if not isinstance(base, str) and not isinstance(base, Path):
        raise UserError(f"base={base!r}: a checkpoint folder or a Hub id such as sesame/csm-1b")
    result = train(
        path,
        base,
        out,
        options,
        merge=merge,
        push_to_hub=push_to_hub,
        public=public,
        progress=progress,
        callbacks=callbacks,
        overwrite=overwrite,
    )
    return Finetune(result.out, result.record, result.trained)


# -- stage 3: the benchmark ------------------------------------------------------------------------------------------


def load(suite: SuiteLike, **overrides: Any) -> Suite:
    """A resolved Suite, every default filled in.

    Args:
        suite: a YAML path, a dict of the same keys (paths relative to the working directory), or a Suite.
        **overrides: suite keys that win over the file's, as an including YAML would (model={…} merges).

    Returns:
        The Suite.
    """
    from .benchmark.plan import Suite
    from .benchmark.suite import from_mapping, load_suite, merge

    if isinstance(suite, Suite):
        if overrides:
            raise UserError("overrides apply to a suite file or mapping; change a Suite with dataclasses.replace")
        return suite
    from .benchmark.suite import TOP_KEYS

    unknown = sorted(set(overrides) - TOP_KEYS)
    if unknown:
        raise UserError(f"unknown suite key(s) {', '.join(unknown)}; a suite's keys: {', '.join(sorted(TOP_KEYS))}")
    if isinstance(suite, dict):
        return from_mapping(merge(suite, overrides))
    return load_suite(_path(suite, "suite"), overrides or None)


def _path(value: Any, name: str) -> Path:
    """A path argument of the API, checked: a str or pathlib.Path, not empty (a UserError names it otherwise)."""
    if not isinstance(value, (str, Path)) or str(value) == "":
        raise UserError(f"{name}={value!r}: a path (str or pathlib.Path)")
    return Path(value)


def bench(
    suite: SuiteLike,
    out: str | Path | None = None,
    repair: bool = False,
    executor: str = "local",
    progress: bool = True,
    **overrides: Any,
) -> Run:
    """Generate, score and summarise every row × prompt × seed of a suite, resuming what is there.

    Args:
        suite: a YAML path, a dict of the same keys, or a Suite.
        out: the run directory (default: the suite's `out`, else runs/NAME).
        repair: first keep every intact line of damaged JSONL files (the originals are kept beside them).
        executor: local, or ray (the model's batches spread over Ray actors).
        progress: show progress bars and messages.
        **overrides: suite keys that win over the file's.

    Returns:
        The Run, with what this call generated, scored and regenerated.
    """
    from .benchmark.runner import run_suite

    out = _path(out, "out") if out is not None else None
    plan = load(suite, **overrides)
    _messages(progress)
    result = run_suite(plan, out, progress=progress, repair=repair, executor=executor)
    run = Run(result.run_dir, plan)
    run.generated, run.scored, run.regenerated = result.generated, result.scored, result.regenerated
    return run


def plan(suite: SuiteLike, out: str | Path | None = None, targets: dict[str, float] | None = None) -> PromptPlan:
    """How many prompts each difference gate needs, from an earlier run of the suite; generates nothing.

    Args:
        suite: a YAML path, a dict of the same keys, or a Suite.
        out: the earlier run's directory (default: the suite's).
        targets: metric → difference to detect for each variant − base, beside the gates.

    Returns:
        A PromptPlan: `.items`, and `.text()` as `bench --plan` prints it.
    """
    from .gates.power import plan_prompts

    out = _path(out, "out") if out is not None else None
    plan_ = load(suite)
    return plan_prompts(plan_, out or plan_.run_dir(), targets)


def open_run(run_dir: str | Path, suite: SuiteLike | None = None) -> Run:
    """A run directory `bench` wrote.

    Args:
        run_dir: the run directory (with run.json).
        suite: the suite whose gates `Run.gates` checks (default: the plan the run recorded).

    Returns:
        The Run.
    """
    return Run(_path(run_dir, "run_dir"), load(suite) if suite is not None else None)


class Run:
    """One run directory, read through its records: tables as DataFrames, figures, audio, gates."""

    def __init__(self, run_dir: Path, suite: Suite | None = None):
        from .benchmark.store import RunStore

        self.dir = Path(run_dir)
        self.store = RunStore(self.dir)
        record = self.store.run()
        if record is None:
            raise UserError(f"{self.dir}: no run.json, so not a run directory; run `ttsbench bench SUITE` first")
        self.record: RunRecord = record
        self.suite = suite or self.record.plan  # the gates come from here
        self.generated = self.scored = self.regenerated = 0  # what the `bench` call that returned it did

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r}{', ' + self.label if self.label else ''})"

    @property
    def label(self) -> str:
        return self.record.label

    def results(self) -> RunSummary:
        """The RunSummary (summary.json when current, else computed now)."""
        from .benchmark.results import current_summary

        return current_summary(self.store)

    def summary(self) -> pd.DataFrame:
        """DataFrame: variant, metric, mean, ci_low, ci_high, n, n_failed — every metric of every row."""
        s = self.results()
        return _frame(
            [dataclasses.asdict(x) for x in s.summaries],
            ["variant", "metric", "mean", "ci_low", "ci_high", "n", "n_failed"],
            s.label,
        )

    def headline(self) -> pd.DataFrame:
        """DataFrame: one row per variant, the headline metrics (with _low/_high interval columns) and sample counts."""
        s = self.results()
        cols, rows = s.headline()
        out = []
        for row, cells in rows:
            line: dict[str, Any] = {"variant": row}
            for metric, cell in zip(cols, cells, strict=False):
                line.update(
                    {
                        metric: cell.mean if cell else None,
                        f"{metric}_low": cell.ci_low if cell else None,
                        f"{metric}_high": cell.ci_high if cell else None,
                    }
                )
            counts = s.samples[row]
            out.append({**line, "samples": counts.n, "failed": counts.failed, "missing": counts.missing})
        return _frame(out, label=s.label)

    def scores(self) -> pd.DataFrame:
        """DataFrame: one row per sample and metric — variant, prompt_id, seed, text, metric, value, scorer,
        audio (path), and the score's evidence (transcript, normalised texts, model ids, error …) as columns."""
        samples = {s.key: s for s in self.store.samples()}
        rows = []
        for score in self.store.current_scores():
            sample = samples[(score.variant, score.prompt_id, score.seed)]
            evidence = {k: v for k, v in (score.detail or {}).items() if k not in ("segments",)}
            rows.append(
                {
                    "variant": score.variant,
                    "prompt_id": score.prompt_id,
                    "seed": score.seed,
                    "text": sample.text,
                    "metric": score.metric,
                    "value": score.value,
                    "scorer": score.scorer,
                    "audio": str(self.dir / sample.audio_path) if sample.audio_path else None,
                    **evidence,
                }
            )
        frame = _frame(rows, label=self.label)
        return frame.sort_values(["variant", "prompt_id", "seed", "metric"]).reset_index(drop=True) if rows else frame

    def samples(self) -> pd.DataFrame:
        """DataFrame: variant, prompt_id, seed, text, audio, seconds, stopped, error — failed samples included."""
        return _frame(
            [
                {**dataclasses.asdict(s), "audio": str(self.dir / s.audio_path) if s.audio_path else None}
                for s in self.store.samples()
            ],
            label=self.label,
        )

    def comparisons(self, metric: str | None = None) -> pd.DataFrame:
        """DataFrame: every pair of rows on every compared metric (a − b), with its interval, p-value, the
        difference its prompts detect, whether users ask it first (`lead`), and the sentence the report shows."""
        from .reports.html import sentence

        s = self.results()
        lead = s.lead_pairs()
        rows = []
        for c in s.comparisons:
            if metric is None or c.metric == metric:
                rows.append(
                    {
                        **dataclasses.asdict(c),
                        "lead": (c.a, c.b) in lead or (c.b, c.a) in lead,
                        "text": sentence(c, s.metric(c.metric)),
                    }
                )
        return _frame(rows, label=s.label)

    def compare(self, a: str, b: str) -> pd.DataFrame:
        """DataFrame: a − b on each compared metric, in numbers and in words (the `text` column)."""
        from .reports.html import sentence

        s = self.results()
        for row in (a, b):
            if row not in s.rows:
                raise UserError(f"compare: {row!r} is not a row of {self.dir} (rows: {', '.join(s.rows)})")
        rows = []
        for m in [m for m in s.metrics.values() if m.compared]:
            c = s.comparison(a, b, (m.name,))
            if c is not None:
                rows.append({**dataclasses.asdict(c), "better": m.better, "text": sentence(c, m)})
        return _frame(rows, label=s.label)

    def answer(self) -> AnswerView:
        """The answer first: each variant against base and against cloned on each compared metric (the
        difference with its interval, coloured in a notebook) under a one-line verdict — what the report opens
        with. `.frame()` gives the numbers as a DataFrame, `.verdict` the line."""
        from .reports.answer import answer_table

        return AnswerView(answer_table(self.results()), self.label)

    def listeners(self) -> ListenerSummary | None:
        """What the listening test's raters said (a ListenerSummary), or None before any answer."""
        from .listening.analysis import summary_of

        return summary_of(self.store, self.results())

    def listen(self, variant: str, prompt: str | None = None, seed: int | None = None) -> Any:
        """Inline players (IPython) for a row's samples of one prompt (the first prompt if none is named), every
        seed unless one is named; the prompt's text above them."""
        display = _need("IPython.display", "an inline player")
        found = [
            s
            for s in self.store.samples()
            if s.variant == variant
            and s.audio_path
            and (prompt is None or s.prompt_id == prompt)
            and (seed is None or s.seed == seed)
        ]
        if not found:
            rows = sorted({s.variant for s in self.store.samples()})
            raise UserError(
                f"listen: no audio for {variant!r}"
                + (f", prompt {prompt!r}" if prompt else "")
                + (f", seed {seed}" if seed is not None else "")
                + f" in {self.dir} (rows: {', '.join(rows)})"
            )
        prompt = prompt or sorted(s.prompt_id for s in found)[0]
        found = sorted((s for s in found if s.prompt_id == prompt), key=lambda s: s.seed)
        parts = [f"<b>{variant}</b> · {prompt}: {_escape(found[0].text)}"]
        for s in found:
            audio = display.Audio(filename=str(self.dir / str(s.audio_path)))
            parts.append(
                f"<div>seed {s.seed}{'' if s.stopped is not False else ' · hit the frame cap'}"
                f"{audio._repr_html_()}</div>"
            )
        return display.HTML("".join(parts))

    def side_by_side(self, prompts: list[str] | None = None, seed: int | None = None, limit: int = 3) -> Any:
        """An HTML table (IPython) to listen with: a row per prompt (the first `limit`, or those named), a column
        per model row, a player per seed (or only `seed`), the reference clips above it."""
        display = _need("IPython.display", "inline players")
        from html import escape

        samples = [s for s in self.store.samples() if s.audio_path and (seed is None or s.seed == seed)]
        rows = [v.name for v in self.record.plan.variants]
        chosen = prompts or sorted({s.prompt_id for s in samples if s.variant in rows})[:limit]

        def player(path) -> str:
            return display.Audio(filename=str(path))._repr_html_()

        refs = sorted((self.dir / "audio" / "reference").glob("*.wav"))
        head = "".join(f"<th>{escape(r)}</th>" for r in rows)
        lines = []
        for pid in chosen:
            mine = [s for s in samples if s.prompt_id == pid]
            text = escape(next((s.text for s in mine), ""))
            cells = "".join(
                "<td>"
                + "".join(
                    f"<div>seed {s.seed}{player(self.dir / str(s.audio_path))}</div>"
                    for s in sorted(mine, key=lambda s: s.seed)
                    if s.variant == r
                )
                + "</td>"
                for r in rows
            )
            lines.append(f"<tr><td><b>{escape(pid)}</b><br>{text}</td>{cells}</tr>")
        label = f"<p><b>[{escape(self.label)}]</b></p>" if self.label else ""
        reference = "".join(f"<div>{escape(p.stem)}{player(p)}</div>" for p in refs[:3])
        return display.HTML(
            f"{label}<p>The reference clips (the speaker):</p>{reference}"
            f"<table><tr><th>prompt</th>{head}</tr>{''.join(lines)}</table>"
        )

    def gates(self, suite: SuiteLike | None = None) -> pd.DataFrame:
        """DataFrame: gate, passed, value (a single term or a difference; None for a term over several rows),
        message — every gate of the suite (default: the one this run was opened or benched with)."""
        from .gates.gates import check, parse_gate

        plan_ = load(suite) if suite is not None else self.suite
        rows = []
        for text in plan_.gates:
            outcome = check(parse_gate(text, plan_), self.dir, plan_)
            rows.append({"gate": text, "passed": outcome.passed, "message": outcome.message})
        return _frame(rows, ["gate", "passed", "message"], self.label)

    def figures(self) -> dict[str, Chart]:
        """Every chart the report draws, shown inline in a notebook: metric → each row's mean with its interval,
        and "loss" → the fine-tune's loss when the run used one."""
        from .reports.html import loss_chart, metric_charts

        out = {name: Chart(chart) for name, chart in metric_charts(self.results(), self.label).items()}
        record = self.store.finetune()
        if record is not None and record.loss_history:
            out["loss"] = Chart(loss_chart(record, record.label) or "")
        return out

    def report(self, out: str | Path, **options: Any) -> ReportResult:
        """This run's report (see `report`)."""
        return report(self, out, **options)


class AnswerView:
    """`Run.answer()`: shows as the report's first screen in a notebook, and holds the numbers."""

    def __init__(self, table: Any, label: str = ""):
        self.table, self.label = table, label
        self.verdict = table.verdict

    def _repr_html_(self) -> str:
        from .reports.answer import answer_html

        return answer_html(self.table)

    def __repr__(self) -> str:
        return self.verdict + "\n" + self.frame().to_string(index=False)

    def frame(self) -> pd.DataFrame:
        """DataFrame: variant, against, and per compared metric its difference (row − against), _low, _high,
        and _clear (the interval excludes no difference)."""
        rows = []
        for r in self.table.rows:
            line = {"variant": r.variant, "against": r.against}
            for c in r.cells:
                line.update(
                    {
                        c.metric: c.difference,
                        f"{c.metric}_low": c.ci_low,
                        f"{c.metric}_high": c.ci_high,
                        f"{c.metric}_clear": c.excludes_zero,
                    }
                )
            rows.append(line)
        frame = _frame(rows, label=self.label)
        frame.attrs["verdict"] = self.verdict
        return frame


class Chart:
    """An SVG chart: shown inline by Jupyter (`_repr_svg_`), its markup in `svg`, written with `save`."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        """Write the chart as an .svg file (it opens in any browser)."""
        from .reports.svg import STYLE

        path = Path(path)
        head, _, rest = self.svg.partition(">")
        path.write_text(f"{head}><style>{STYLE}</style>{rest}" if rest else self.svg, encoding="utf-8")
        return path


def _escape(text: str) -> str:
    import html

    return html.escape(text)


# -- stage 4 and on: the report, listening, sweeps, checks ---------------------------------------------------------


def report(
    runs: Run | Sweep | str | Path | list[Run | Sweep | str | Path],
    out: str | Path,
    audio_dir: str | Path | None = None,
    audio_format: str = "ogg",
    title: str | None = None,
    overwrite: bool = False,
) -> ReportResult:
    """One self-contained HTML page of one or more runs and sweeps (see docs/report.md).

    Args:
        runs: a Run, a Sweep, a run or sweep directory, or a list of them.
        out: the .html file to write (report.json goes beside it under the page's stem).
        audio_dir: copy audio into this folder beside the page instead of embedding it.
        audio_format: ogg (small) or wav, for embedded or copied audio.
        title: the page's title (default: from the runs).
        overwrite: replace an existing page that is not a ttsbench report.

    Returns:
        The ReportResult: where the page and its JSON went.
    """
    from .reports.html import build_report

    items = runs if isinstance(runs, (list, tuple)) else [runs]
    paths: list[str | Path] = [
        r.dir if isinstance(r, Run) else r.out if isinstance(r, Sweep) else _path(r, "runs") for r in items
    ]
    out = _path(out, "out")
    audio_dir = _path(audio_dir, "audio_dir") if audio_dir is not None else None
    return build_report(paths, out, audio_dir=audio_dir, audio_format=audio_format, title=title, overwrite=overwrite)


@dataclass
class Sweep:
    """A sweep's points (data sizes, the steps of one fine-tune, or a fine-tune setting's values) and its
    fitted curve or best point."""

    out: Path
    result: SweepResult

    def curve(self) -> pd.DataFrame:
        """DataFrame: the axis (rows, step or the setting), seed, variant, metric, mean, ci_low, ci_high, n — every
        point of every curve metric."""
        return _frame(
            list(self.result.curve),
            [self.result.axis, "seed", "variant", "metric", "mean", "ci_low", "ci_high", "n"],
            self.result.label,
        )

    def fit(self) -> dict:
        """variant → the saturating fit (and the rows estimated for the suite's target), in numbers and words
        (a size sweep); empty for the others."""
        return self.result.fit

    def best(self) -> dict:
        """variant → the best point within the suite's `limits:` (a steps or setting sweep), in numbers and words."""
        return self.result.best

    def figure(self, metric: str | None = None) -> Chart:
        """The curve of `metric` (default: the fitted one) per tuned variant and seed against the axis, the untuned
        rows as flat lines: the report's chart, shown inline in a notebook."""
        from .reports.html import curve_chart

        metric = metric or self.result.metric
        label = f" [{self.result.label}]" if self.result.label else ""
        from .benchmark.scorers import SCORERS, declared

        axis = self.result.axis
        shown = next((m.label for n, m in declared(list(SCORERS)).items() if n == metric and m.label), metric)
        against = {"rows": "training rows", "step": "fine-tune step"}.get(axis, axis)
        chart = curve_chart([dict(r) for r in self.result.curve], metric, f"{shown} vs {against}{label}", axis)
        return Chart(chart or "")


def _sweep_out(plan_: Suite, out: Path | None) -> Path:
    default = plan_.run_dir()
    return out or default.with_name(default.name + "-sweep")


def _ints(values: Any, what: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise UserError(f"{what}={values!r}: a list of whole numbers, e.g. [10, 25, 50]")
    values = list(values)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise UserError(f"{what}={values!r}: a list of whole numbers, e.g. [10, 25, 50]")
    return values


def sweep(
    suite: SuiteLike,
    sizes: list[int],
    seeds: list[int] | tuple[int, ...] = (0, 1),
    out: str | Path | None = None,
    executor: str = "local",
    progress: bool = True,
    **overrides: Any,
) -> Sweep:
    """Fine-tune and bench at several data sizes, resumably (see docs/sweeps.md).

    Args:
        suite: a suite with `finetune:` settings and tuned rows.
        sizes: training rows per point (nested subsets of the train split).
        seeds: training seeds per size.
        out: the sweep folder (default: the suite's run directory + "-sweep").
        executor: local, or ray (each point a Ray task).
        progress: show progress bars and messages.
        **overrides: suite keys that win over the file's.

    Returns:
        The Sweep: its points, learning curve and fit.
    """
    from .benchmark.sweep import sweep as run

    sizes, seeds = _ints(sizes, "sizes"), _ints(seeds, "seeds")
    out = _path(out, "out") if out is not None else None
    plan_ = load(suite, **overrides)
    out = _sweep_out(plan_, out)
    _messages(progress)
    return Sweep(out, run(plan_, sizes, seeds, out, executor=executor, progress=progress))


def sweep_steps(
    suite: SuiteLike,
    every: int,
    out: str | Path | None = None,
    executor: str = "local",
    progress: bool = True,
    **overrides: Any,
) -> Sweep:
    """Which step is best: fine-tune once, keep the adapter every `every` steps, bench the tuned rows on each.

    Args:
        suite: a suite with tuned rows (its `finetune:` settings, e.g. max_steps, are the run's).
        every: keep the adapter every this many optimiser steps (the last step is always a point).
        out: the sweep folder (default: the suite's run directory + "-sweep"); the fine-tune goes to OUT/finetune.
        executor: local, or ray (each point a Ray task).
        progress: show progress bars and messages.
        **overrides: suite keys that win over the file's.

    Returns:
        The Sweep: similarity and WER (the curve metrics) per step, and per tuned row the best step within the
        suite's `limits:`.
    """
    from .benchmark.sweep import sweep_steps as run

    out = _path(out, "out") if out is not None else None
    plan_ = load(suite, **overrides)
    out = _sweep_out(plan_, out)
    _messages(progress)
    return Sweep(out, run(plan_, every, out, executor=executor, progress=progress))


def sweep_setting(
    suite: SuiteLike,
    setting: str,
    values: list,
    seeds: list[int] | tuple[int, ...] = (0,),
    out: str | Path | None = None,
    executor: str = "local",
    progress: bool = True,
    **overrides: Any,
) -> Sweep:
    """One fine-tune per value of a fine-tune setting (learning_rate, r, …) and seed, benched side by side.

    Args:
        suite: a suite with tuned rows and `finetune:` settings.
        setting: a fine-tune setting's name, as a suite's `finetune:` writes it.
        values: its values, one fine-tune each.
        seeds: training seeds per value.
        out: the sweep folder (default: the suite's run directory + "-sweep").
        executor: local, or ray (each point a Ray task).
        progress: show progress bars and messages.
        **overrides: suite keys that win over the file's.

    Returns:
        The Sweep: one table of every value, and per tuned row the best value within the suite's `limits:`.
    """
    from .benchmark.sweep import sweep_setting as run

    if not isinstance(setting, str):
        raise UserError(f"setting={setting!r}: a fine-tune setting's name, e.g. 'learning_rate'")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise UserError(f"values={values!r}: a list of the setting's values, e.g. [1e-4, 2e-4]")
    seeds = _ints(seeds, "seeds")
    out = _path(out, "out") if out is not None else None
    plan_ = load(suite, **overrides)
    out = _sweep_out(plan_, out)
    _messages(progress)
    return Sweep(out, run(plan_, setting, list(values), seeds, out, executor=executor, progress=progress))


def check_findings(suite: SuiteLike | None = None) -> list[Finding]:
    """What a suite (or only this machine) needs; nothing is loaded or downloaded.

    Args:
        suite: a suite, or None for the machine alone (device, fine-tune backend, FFmpeg, plug-ins).

    Returns:
        One Finding per thing checked: topic, name, ok, detail, and the fix when it is not ok.
    """
    from .benchmark.check import machine_findings, suite_findings

    return machine_findings() + (suite_findings(_load_unchecked(suite)) if suite is not None else [])


def check(suite: SuiteLike | None = None) -> pd.DataFrame:
    """`check_findings` as a table.

    Args:
        suite: a suite, or None for the machine alone.

    Returns:
        DataFrame: topic, name, ok, detail, fix.
    """
    return _frame([dataclasses.asdict(f) for f in check_findings(suite)], ["topic", "name", "ok", "detail", "fix"])


def _load_unchecked(suite: SuiteLike) -> Suite:
    """A suite whose outputs (adapter, merged checkpoint) need not exist yet."""
    from .benchmark.plan import Suite
    from .benchmark.suite import load_suite

    if isinstance(suite, Suite):
        return suite
    if isinstance(suite, dict):
        return load(suite)
    return load_suite(_path(suite, "suite"), check_paths=False)


def listen(
    run: Run | str | Path, mode: str = "ab", trials: int = 20, seed: int = 0, host: str = "127.0.0.1", port: int = 8765
) -> ThreadingHTTPServer:
    """A started blind-listening server for a run (see docs/report.md).

    Args:
        run: a Run or a run directory.
        mode: ab (which sounds more like the speaker), mos (naturalness 1–5) or smos (similarity 1–5).
        trials: trials per rater.
        seed: fixes each rater's plan.
        host: the address to listen on.
        port: the port to listen on.

    Returns:
        The server, started; call `.serve_forever()` (or run it in a thread).
    """
    from .listening.server import ListenTest, serve

    return serve(
        ListenTest(run.dir if isinstance(run, Run) else Path(run), mode=mode, trials=trials, seed=seed), host, port
    )


def synth_voice(
    out: str | Path,
    minutes: float,
    voice: str | None = None,
    seed: int = 0,
    overwrite: bool = False,
    language: str = "en",
) -> Path:
    """A synthetic speaker's long recording, made offline: a voice to try the workshop on without recordings.

    Args:
        out: the .wav file to write (its text goes beside it as FILE.txt).
        minutes: how long.
        voice: hibari (hibari-tts, English; the default there) or espeak (espeak-ng, any language it speaks;
            the default in every other language).
        seed: fixes the sentences chosen.
        overwrite: replace a file at `out` that synth-voice did not make with these settings.
        language: ISO 639-1; other than English, espeak reads the language's prompt set.

    Returns:
        The path of the recording.
    """
    from .dataprep.synthvoice import synth_voice as make

    return make(_path(out, "out"), minutes, voice=voice, seed=seed, overwrite=overwrite, language=language)


def tiny_model(out: str | Path, family: str = "csm", size: str = "tiny", seed: int = 0) -> Path:
    """A random model of a family, saved like a real checkpoint (labelled as such wherever it is used).

    Args:
        out: the checkpoint folder to write.
        family: a registered model family (csm, orpheus, or a plug-in's).
        size: tiny, or a real model's configuration the family knows (1b for CSM, 3b for Orpheus).
        seed: fixes the random weights.

    Returns:
        The checkpoint folder.
    """
    from .models.families import family as get

    return get(family).build_tiny(output_folder(_path(out, "out")), seed=seed, size=size)
