"""The Python API: one function per stage, taking the options the command takes and returning the stage's
record, with tables as pandas DataFrames and figures as matplotlib figures. The command line calls these
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

from .core.errors import UserError

NOTEBOOK_EXTRA = "pip install 'ttsbench[notebook]'"


def _need(module: str, what: str):
    """Import `module` or raise the one-line fix."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"{what} needs {module.split('.')[0]}; {NOTEBOOK_EXTRA}") from None


def _frame(rows: list[dict], columns: list[str] | None = None, label: str = ""):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    if label:
        frame.attrs["label"] = label  # "tiny random model — pipeline check only" travels with the table
    return frame


# -- stage 1: the dataset ------------------------------------------------------------------------------------------

def prepare_options(out: str | Path, **settings):
    """PrepareOptions from flat settings: every field of PrepareOptions, AsrOptions (its `model` as `asr`),
    ChunkOptions and SplitOptions, as the command's flags name them."""
    from .dataprep.asr import AsrOptions
    from .dataprep.chunking import ChunkOptions
    from .dataprep.prepare import PrepareOptions
    from .dataprep.splits import SplitOptions

    if "asr" in settings and not isinstance(settings["asr"], AsrOptions):
        settings["model"] = settings.pop("asr")
    parts = {"asr": (AsrOptions, PrepareOptions.__dataclass_fields__["asr"].default),
             "chunk": (ChunkOptions, ChunkOptions()), "split": (SplitOptions, SplitOptions())}
    nested = {}
    for part, (cls, default) in parts.items():
        names = {f.name for f in dataclasses.fields(cls)}
        mine = {k: settings.pop(k) for k in list(settings) if k in names}
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
    manifest: object  # PrepareManifest (prepare.json)
    failed: list = field(default_factory=list)  # sources that could not be used: {source, error}
    up_to_date: bool = False

    def splits(self):
        """DataFrame: split, clips, minutes."""
        return _frame([{"split": s, **c} for s, c in self.manifest.counts.items()], ["split", "clips", "minutes"])

    def dropped(self):
        """DataFrame: every piece of a recording that did not become a clip, and why."""
        return _frame(list(self.manifest.dropped), ["recording_id", "start", "end", "text", "reason"])

    def clips(self, split: str | None = None):
        """DataFrame: clip_id, split, text, duration, source (speaker) of every clip."""
        import datasets

        ds = datasets.load_from_disk(str(self.path)).remove_columns("audio")
        frame = ds.to_pandas()
        return frame if split is None else frame[frame["split"] == split].reset_index(drop=True)


def prepare(sources: list[str] | str, out: str | Path, options=None, **settings) -> Dataset:
    """Recordings or URLs → a split voice dataset at `out` (see README, Stage 1). `settings` are the
    command's flags (asr="turbo", corrections="names.yaml", max_seconds=30 …), or pass `options`."""
    from .dataprep.prepare import prepare as run

    options = options or prepare_options(out, **settings)
    result = run([sources] if isinstance(sources, (str, Path)) else [str(s) for s in sources], options)
    return Dataset(result.out, result.manifest, result.failed, result.up_to_date)


def open_dataset(path: str | Path) -> Dataset:
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
    record: object  # FinetuneRecord (finetune.json)
    trained: bool = True  # False: it was up to date

    def losses(self):
        """DataFrame: step, loss, grad_norm, learning_rate, eval_loss (NaN where not logged)."""
        return _frame(list(self.record.loss_history), ["step", "loss", "grad_norm", "learning_rate", "eval_loss"],
                      self.record.label)

    def figure(self):
        """The training and eval loss (matplotlib), as the report draws it."""
        plt = _need("matplotlib.pyplot", "a figure")
        frame = self.losses()
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.plot(frame["step"], frame["loss"], label="train loss")
        if frame["eval_loss"].notna().any():
            ax.plot(frame["step"][frame["eval_loss"].notna()], frame["eval_loss"].dropna(), "o-", label="eval loss")
        ax.set(xlabel="optimiser step", ylabel="loss", title="Fine-tuning loss" + _labelled(self.record.label))
        ax.legend()
        fig.tight_layout()
        return fig


def finetune_options(config: str | Path | None = None, **settings):
    """FinetuneOptions from a YAML file of settings and/or keyword settings (which win); unset ones are the
    model family's defaults, filled in when training starts."""
    from .models.records import FinetuneOptions

    return FinetuneOptions.from_yaml(config, **settings) if config else FinetuneOptions.from_dict(settings)


def finetune(dataset: str | Path | Dataset, base: str, out: str | Path, options=None, config: str | Path | None = None,
             merge: bool = False, push_to_hub: str | None = None, public: bool = False, overwrite: bool = False,
             progress: bool = True, callbacks: list | None = None, **settings) -> Finetune:
    """LoRA fine-tuning on the dataset's train split (see README, Stage 2). `settings` are FinetuneOptions
    fields (max_steps=60, rows=50, learning_rate=2e-4 …), over `config` (a YAML file), or pass `options`."""
    from .models.train import finetune as train

    options = options or finetune_options(config, **settings)
    path = dataset.path if isinstance(dataset, Dataset) else dataset
    result = train(path, base, out, options, merge=merge, push_to_hub=push_to_hub, public=public, progress=progress,
                   callbacks=callbacks, overwrite=overwrite)
    return Finetune(result.out, result.record, result.trained)


# -- stage 3: the benchmark ------------------------------------------------------------------------------------------

def load(suite, **overrides):
    """A Suite from a YAML path, from a dict of the same keys (paths relative to the working directory), or as
    it is; keys in `overrides` win over the file's, as an including YAML would (model={…} merges)."""
    from .benchmark.plan import Suite
    from .benchmark.suite import from_mapping, load_suite, merge

    if isinstance(suite, Suite):
        if overrides:
            raise UserError("overrides apply to a suite file or mapping; change a Suite with dataclasses.replace")
        return suite
    if isinstance(suite, dict):
        return from_mapping(merge(suite, overrides))
    return load_suite(suite, overrides or None)


def bench(suite, out: str | Path | None = None, repair: bool = False, executor: str = "local",
          progress: bool = True, **overrides) -> "Run":
    """Generate, score and summarise every row × prompt × seed of a suite (YAML path or Suite) into its run
    directory (`out`, else the suite's), resuming what is there."""
    from .benchmark.runner import run_suite

    plan = load(suite, **overrides)
    result = run_suite(plan, out, progress=progress, repair=repair, executor=executor)
    run = Run(result.run_dir, plan)
    run.generated, run.scored, run.regenerated = result.generated, result.scored, result.regenerated
    return run


def plan(suite, out: str | Path | None = None, targets: dict[str, float] | None = None):
    """How many prompts each difference gate (and each variant − base on `targets`' metrics) needs, from an
    earlier run of the suite (its `out`). Generates nothing. A PromptPlan: `.items`, `.text()`."""
    from .gates.power import plan_prompts

    plan_ = load(suite)
    return plan_prompts(plan_, Path(out) if out else plan_.run_dir(), targets)


def open_run(run_dir: str | Path, suite=None) -> "Run":
    """A run directory `bench` wrote; `suite` (path or Suite) for its gates, else the plan the run recorded."""
    return Run(Path(run_dir), load(suite) if suite is not None else None)


class Run:
    """One run directory, read through its records: tables as DataFrames, figures, audio, gates."""

    def __init__(self, run_dir: Path, suite=None):
        from .benchmark.store import RunStore

        self.dir = Path(run_dir)
        self.store = RunStore(self.dir)
        self.record = self.store.run()
        if self.record is None:
            raise UserError(f"{self.dir}: no run.json, so not a run directory; run `ttsbench bench SUITE` first")
        self.suite = suite or self.record.plan  # the gates come from here
        self.generated = self.scored = self.regenerated = 0  # what the `bench` call that returned it did

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r}{', ' + self.label if self.label else ''})"

    @property
    def label(self) -> str:
        return self.record.label

    def results(self):
        """The RunSummary (summary.json when current, else computed now)."""
        from .benchmark.results import current_summary

        return current_summary(self.store)

    def summary(self):
        """DataFrame: variant, metric, mean, ci_low, ci_high, n, n_failed — every metric of every row."""
        s = self.results()
        return _frame([dataclasses.asdict(x) for x in s.summaries],
                      ["variant", "metric", "mean", "ci_low", "ci_high", "n", "n_failed"], s.label)

    def headline(self):
        """DataFrame: one row per variant, the headline metrics (with _low/_high interval columns) and sample counts."""
        s = self.results()
        cols, rows = s.headline()
        out = []
        for row, cells in rows:
            line = {"variant": row}
            for metric, cell in zip(cols, cells):
                line.update({metric: cell.mean if cell else None, f"{metric}_low": cell.ci_low if cell else None,
                             f"{metric}_high": cell.ci_high if cell else None})
            counts = s.samples[row]
            out.append({**line, "samples": counts.n, "failed": counts.failed, "missing": counts.missing})
        return _frame(out, label=s.label)

    def scores(self):
        """DataFrame: one row per sample and metric — variant, prompt_id, seed, text, metric, value, scorer,
        audio (path), and the score's evidence (transcript, normalised texts, model ids, error …) as columns."""
        samples = {s.key: s for s in self.store.samples()}
        rows = []
        for score in self.store.current_scores():
            sample = samples[(score.variant, score.prompt_id, score.seed)]
            evidence = {k: v for k, v in (score.detail or {}).items() if k not in ("segments",)}
            rows.append({"variant": score.variant, "prompt_id": score.prompt_id, "seed": score.seed,
                         "text": sample.text, "metric": score.metric, "value": score.value, "scorer": score.scorer,
                         "audio": str(self.dir / sample.audio_path) if sample.audio_path else None, **evidence})
        frame = _frame(rows, label=self.label)
        return frame.sort_values(["variant", "prompt_id", "seed", "metric"]).reset_index(drop=True) if rows else frame

    def samples(self):
        """DataFrame: variant, prompt_id, seed, text, audio, seconds, stopped, error — failed samples included."""
        return _frame([{**dataclasses.asdict(s), "audio": str(self.dir / s.audio_path) if s.audio_path else None}
                       for s in self.store.samples()], label=self.label)

    def comparisons(self, metric: str | None = None):
        """DataFrame: every pair of rows on every compared metric (a − b), with its interval, p-value, the
        difference its prompts detect, whether users ask it first (`lead`), and the sentence the report shows."""
        from .reports.html import sentence

        s = self.results()
        lead = s.lead_pairs()
        rows = []
        for c in s.comparisons:
            if metric is None or c.metric == metric:
                rows.append({**dataclasses.asdict(c), "lead": (c.a, c.b) in lead or (c.b, c.a) in lead,
                             "text": sentence(c, s.metric(c.metric))})
        return _frame(rows, label=s.label)

    def compare(self, a: str, b: str):
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

    def answer(self) -> "AnswerView":
        """The answer first: each variant against base and against cloned on each compared metric (the
        difference with its interval, coloured in a notebook) under a one-line verdict — what the report opens
        with. `.frame()` gives the numbers as a DataFrame, `.verdict` the line."""
        from .reports.answer import answer_table

        return AnswerView(answer_table(self.results()), self.label)

    def listeners(self):
        """What the listening test's raters said (a ListenerSummary), or None before any answer."""
        from .listening.analysis import summary_of

        return summary_of(self.store, self.results())

    def listen(self, variant: str, prompt: str | None = None, seed: int | None = None):
        """Inline players (IPython) for a row's samples of one prompt (the first prompt if none is named), every
        seed unless one is named; the prompt's text above them."""
        display = _need("IPython.display", "an inline player")
        found = [s for s in self.store.samples() if s.variant == variant and s.audio_path
                 and (prompt is None or s.prompt_id == prompt) and (seed is None or s.seed == seed)]
        if not found:
            rows = sorted({s.variant for s in self.store.samples()})
            raise UserError(f"listen: no audio for {variant!r}" + (f", prompt {prompt!r}" if prompt else "")
                            + (f", seed {seed}" if seed is not None else "") + f" in {self.dir} (rows: {', '.join(rows)})")
        prompt = prompt or sorted(s.prompt_id for s in found)[0]
        found = sorted((s for s in found if s.prompt_id == prompt), key=lambda s: s.seed)
        parts = [f"<b>{variant}</b> · {prompt}: {_escape(found[0].text)}"]
        for s in found:
            audio = display.Audio(filename=str(self.dir / s.audio_path))
            parts.append(f"<div>seed {s.seed}{'' if s.stopped is not False else ' · hit the frame cap'}"
                         f"{audio._repr_html_()}</div>")
        return display.HTML("".join(parts))

    def side_by_side(self, prompts: list[str] | None = None, seed: int | None = None, limit: int = 3):
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
            cells = "".join("<td>" + "".join(f"<div>seed {s.seed}{player(self.dir / s.audio_path)}</div>"
                                             for s in sorted(mine, key=lambda s: s.seed) if s.variant == r) + "</td>"
                            for r in rows)
            lines.append(f"<tr><td><b>{escape(pid)}</b><br>{text}</td>{cells}</tr>")
        label = f'<p><b>[{escape(self.label)}]</b></p>' if self.label else ""
        reference = "".join(f"<div>{escape(p.stem)}{player(p)}</div>" for p in refs[:3])
        return display.HTML(f"{label}<p>The reference clips (the speaker):</p>{reference}"
                            f"<table><tr><th>prompt</th>{head}</tr>{''.join(lines)}</table>")

    def gates(self, suite=None):
        """DataFrame: gate, passed, value (a single term or a difference; None for a term over several rows),
        message — every gate of the suite (default: the one this run was opened or benched with)."""
        from .gates.gates import check, parse_gate

        plan_ = load(suite) if suite is not None else self.suite
        rows = []
        for text in plan_.gates:
            outcome = check(parse_gate(text, plan_), self.dir, plan_)
            rows.append({"gate": text, "passed": outcome.passed, "message": outcome.message})
        return _frame(rows, ["gate", "passed", "message"], self.label)

    def figures(self) -> dict:
        """Every chart the report draws, as matplotlib figures: each charted metric per row with its interval,
        and the fine-tune's loss when the run used one."""
        plt = _need("matplotlib.pyplot", "a figure")
        s = self.results()
        out = {}
        for m in [m for m in s.metrics.values() if m.chart]:
            found = [(row, s.summary(row, m.name)) for row in s.rows]
            found = [(row, x) for row, x in found if x is not None and x.mean is not None]
            if not found:
                continue
            fig, ax = plt.subplots(figsize=(6, 0.4 * len(found) + 1.2))
            for k, (row, x) in enumerate(found):
                lo, hi = x.ci_low if x.ci_low is not None else x.mean, x.ci_high if x.ci_high is not None else x.mean
                ax.plot([lo, hi], [k, k], color="#555", linewidth=2)
                ax.plot([x.mean], [k], "o", color="#2b5fd9")
            ax.set_yticks(range(len(found)), [row for row, _ in found])
            ax.invert_yaxis()
            ax.set(title=m.chart[0] + _labelled(s.label), xlabel=m.chart[1])
            fig.tight_layout()
            out[m.name] = fig
        record = self.store.finetune()
        if record is not None and record.loss_history:
            out["loss"] = Finetune(Path(self.record.adapter), record).figure()
        return out

    def report(self, out: str | Path, **options):
        return report(self, out, **options)


class AnswerView:
    """`Run.answer()`: shows as the report's first screen in a notebook, and holds the numbers."""

    def __init__(self, table, label: str = ""):
        self.table, self.label = table, label
        self.verdict = table.verdict

    def _repr_html_(self) -> str:
        from .reports.answer import answer_html

        return answer_html(self.table)

    def __repr__(self) -> str:
        return self.verdict + "\n" + self.frame().to_string(index=False)

    def frame(self):
        """DataFrame: variant, against, and per compared metric its difference (row − against), _low, _high,
        and _clear (the interval excludes no difference)."""
        rows = []
        for r in self.table.rows:
            line = {"variant": r.variant, "against": r.against}
            for c in r.cells:
                line.update({c.metric: c.difference, f"{c.metric}_low": c.ci_low, f"{c.metric}_high": c.ci_high,
                             f"{c.metric}_clear": c.excludes_zero})
            rows.append(line)
        frame = _frame(rows, label=self.label)
        frame.attrs["verdict"] = self.verdict
        return frame


def _labelled(label: str) -> str:
    return f"\n[{label}]" if label else ""


def _escape(text: str) -> str:
    import html

    return html.escape(text)


# -- stage 4 and on: the report, listening, sweeps, checks ---------------------------------------------------------

def report(runs, out: str | Path, audio_dir: str | Path | None = None, audio_format: str = "ogg",
           title: str | None = None, overwrite: bool = False):
    """One self-contained HTML page of one or more runs (Run objects or run directories) and sweeps."""
    from .reports.html import build_report

    items = runs if isinstance(runs, (list, tuple)) else [runs]
    paths = [r.dir if isinstance(r, Run) else r.out if isinstance(r, Sweep) else Path(r) for r in items]
    return build_report(paths, out, audio_dir=audio_dir, audio_format=audio_format, title=title, overwrite=overwrite)


@dataclass
class Sweep:
    """A data-size sweep's points and its fitted curve."""

    out: Path
    result: object  # SweepResult

    def curve(self):
        """DataFrame: rows, seed, variant, metric, mean, ci_low, ci_high, n — every point of every curve metric."""
        return _frame(list(self.result.curve), ["rows", "seed", "variant", "metric", "mean", "ci_low", "ci_high", "n"],
                      self.result.label)

    def fit(self) -> dict:
        """variant → the saturating fit (and the rows estimated for the suite's target), in numbers and words."""
        return self.result.fit

    def figure(self, metric: str | None = None):
        """The learning curve of `metric` (default: the fitted one) per tuned variant and seed (matplotlib),
        log-scaled rows; the untuned rows as flat lines."""
        plt = _need("matplotlib.pyplot", "a figure")
        frame = self.curve()
        metric = metric or self.result.metric
        frame = frame[frame["metric"] == metric]
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        tuned = frame[frame["rows"] > 0]
        for (variant, seed), points in tuned.groupby(["variant", "seed"]):
            points = points.sort_values("rows")
            ax.errorbar(points["rows"], points["mean"], yerr=[points["mean"] - points["ci_low"].fillna(points["mean"]),
                                                               points["ci_high"].fillna(points["mean"]) - points["mean"]],
                        marker="o", capsize=3, label=f"{variant} seed {seed}")
        if len(tuned):
            for _, base in frame[frame["rows"] == 0].iterrows():
                ax.hlines(base["mean"], tuned["rows"].min(), tuned["rows"].max(), linestyles="dashed",
                          label=f"{base['variant']} (no fine-tune)")
            ax.set_xscale("log")
        ax.set(xlabel="training rows (log scale)", ylabel=metric, title=f"{metric} vs training rows"
               + _labelled(self.result.label))
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig


def sweep(suite, sizes: list[int], seeds: list[int] = (0, 1), out: str | Path | None = None, executor: str = "local",
          progress: bool = True, **overrides) -> Sweep:
    """Fine-tune and bench at several data sizes (see README, Stage 6); resumable."""
    from .benchmark.sweep import sweep as run

    plan_ = load(suite, **overrides)
    default = plan_.run_dir()
    out = Path(out) if out else default.with_name(default.name + "-sweep")
    return Sweep(out, run(plan_, list(sizes), list(seeds), out, executor=executor, progress=progress))


def check_findings(suite=None) -> list:
    """What a suite (or only this machine) needs, as `benchmark.check.Finding` records; nothing loaded or downloaded."""
    from .benchmark.check import machine_findings, suite_findings

    return machine_findings() + (suite_findings(load_suite_unchecked(suite)) if suite is not None else [])


def check(suite=None):
    """DataFrame: topic, name, ok, detail, fix — what a suite (or only this machine) needs, nothing loaded."""
    return _frame([dataclasses.asdict(f) for f in check_findings(suite)], ["topic", "name", "ok", "detail", "fix"])


def load_suite_unchecked(suite):
    """A suite whose outputs (adapter, merged checkpoint) need not exist yet."""
    from .benchmark.plan import Suite
    from .benchmark.suite import load_suite

    return suite if isinstance(suite, Suite) else load_suite(suite, check_paths=False)


def listen(run, mode: str = "ab", trials: int = 20, seed: int = 0, host: str = "127.0.0.1", port: int = 8765):
    """A started blind-listening server for a run (call `.serve_forever()`, or run it in a thread)."""
    from .listening.server import ListenTest, serve

    return serve(ListenTest(run.dir if isinstance(run, Run) else Path(run), mode=mode, trials=trials, seed=seed),
                 host, port)


def synth_voice(out: str | Path, minutes: float, voice: str = "hibari", seed: int = 0) -> Path:
    """A synthetic speaker's long recording, made offline (hibari-tts, or espeak-ng for another voice), with its
    text beside it as FILE.txt: a voice to try the workshop on without recordings of your own."""
    from .dataprep.synthvoice import synth_voice as make

    return make(out, minutes, voice=voice, seed=seed)


def tiny_model(out: str | Path, family: str = "csm", size: str = "tiny", seed: int = 0) -> Path:
    """A random model of a family, saved like a real checkpoint (labelled as such wherever it is used)."""
    from .models.families import family as get

    return get(family).build_tiny(out, seed=seed, size=size)
