"""`ttsbench report RUN_DIR... -o report.html`: one self-contained HTML page per set of runs.

    from ttsbench.reports.html import build_report
    result = build_report(["runs/my-voice"], "runs/my-voice/report.html")

Reads only run directories (run.json, samples.jsonl, scores.jsonl, audio/, summary.json, the
adapter's finetune.json) and sweep directories (sweep.json, curve.csv). Audio is embedded as
Ogg Vorbis data URIs, or copied into `audio_dir` beside the page. A half-finished run shows what
exists and lists what is missing; runs scored with different models are shown side by side but
never compared. `report.json` beside the page records what was shown and what was missing.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ttsbench.core.languages import name as language_name
from ttsbench.benchmark.plan import VARIANTS
from ttsbench.benchmark.records import (
    Comparison,
    ListenerSummary,
    Metric,
    ReportRecord,
    RunRecord,
    RunSummary,
    Sample,
    SweepRecord,
    to_dict,
)
from ttsbench.benchmark.results import current_summary
from ttsbench.benchmark.store import RunStore
from ttsbench.listening.analysis import summary_of
from ttsbench.core.errors import UserError, output_folder

from . import svg
from .answer import answer_html, answer_table, number

TEMPLATES = Path(__file__).parent / "templates"
QUESTIONS = {"similar": "as more like the reference voice", "natural": "as more natural"}
FOLD_WORDS = 40  # a longer transcript (noise that Whisper filled with words) shows this many, the rest on a click


class ReportError(UserError, ValueError):
    """Nothing to report on; the message says what was given and what is expected."""


@dataclass
class RunView:
    """One run directory as the report shows it."""

    dir: Path
    run: RunRecord
    summary: RunSummary
    samples: list
    scores: dict  # (variant, prompt_id, seed) → {metric: Score}
    finetune: object | None  # FinetuneRecord of the run's adapter
    listeners: ListenerSummary | None = None  # what the listening test's raters said
    missing: list = field(default_factory=list)  # what the run does not have yet, in words


@dataclass
class ReportResult:
    path: Path
    seconds: float
    audio_elements: int
    missing: list


def load_run(run_dir: Path) -> RunView:
    run_dir = Path(run_dir)
    store = RunStore(run_dir)
    run = store.run()
    if run is None:
        raise ReportError(f"{run_dir}: no run.json, so not a run directory; pass a folder `ttsbench bench` wrote")
    scores: dict = {}
    for s in store.current_scores():
        scores.setdefault((s.variant, s.prompt_id, s.seed), {})[s.metric] = s
    summary = current_summary(store)
    view = RunView(run_dir, run, summary, store.samples(), scores, store.finetune(), summary_of(store, summary))
    view.missing = _missing(view)
    return view


def _missing(view: RunView) -> list[str]:
    out = []
    for v in view.run.rows:
        have = sum(1 for s in view.samples if s.variant == v)
        want = view.run.planned.get(v)
        if want and have < want:
            out.append(f"{v}: {want - have} of {want} samples not generated yet")
        elif have == 0:
            out.append(f"{v}: no samples yet")
    scored_by = {key: {s.scorer.split(":", 1)[0] for s in found.values()} for key, found in view.scores.items()}
    for name in view.run.plan.scorers:
        unscored = [s for s in view.samples if name not in scored_by.get(s.key, set())]
        if unscored:
            out.append(f"{len(unscored)} samples not scored by {name} yet")
    if view.run.plan.needs_adapter and view.finetune is None:
        out.append("no finetune.json beside the adapter: the loss curve cannot be shown")
    return out


def _audio_src(path: Path, audio_dir: Path | None, out: Path, fmt: str) -> str:
    if audio_dir is not None:
        target = audio_dir / path.parent.parent.parent.name / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return target.relative_to(out.parent).as_posix() if target.is_relative_to(out.parent) else target.as_uri()
    if fmt == "wav":
        return "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()
    import soundfile as sf

    audio, rate = sf.read(path, dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format="OGG", subtype="VORBIS")  # ~10× smaller than WAV; 4× faster than Opus
    return "data:audio/ogg;base64," + base64.b64encode(buf.getvalue()).decode()


def word_marks(detail: dict) -> list[tuple[str, str, str]]:
    """The transcript as (kind, word, tooltip): ok, sub (said instead), ins (extra) or del (missed)."""
    import jiwer

    ref, hyp = detail.get("ref_norm", ""), detail.get("hyp_norm", "")
    if not ref.strip():
        return [("ins", w, "extra word") for w in hyp.split()]
    if not hyp.strip():
        return [("del", w, "missed") for w in ref.split()]
    out = jiwer.process_words(ref, hyp)
    r, h = out.references[0], out.hypotheses[0]
    marks = []
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            marks += [("ok", w, "") for w in h[chunk.hyp_start_idx : chunk.hyp_end_idx]]
        elif chunk.type == "substitute":
            marks += [
                ("sub", w, f"should be “{rw}”")
                for w, rw in zip(
                    h[chunk.hyp_start_idx : chunk.hyp_end_idx], r[chunk.ref_start_idx : chunk.ref_end_idx], strict=False
                )
            ]
        elif chunk.type == "insert":
            marks += [("ins", w, "extra word") for w in h[chunk.hyp_start_idx : chunk.hyp_end_idx]]
        else:
            marks += [("del", w, "missed") for w in r[chunk.ref_start_idx : chunk.ref_end_idx]]
    return marks


def sentence(c: Comparison, metric: Metric | None = None) -> str:
    """A comparison in words, as the metric declares them: 'finetuned is more similar … than base by 0.12
    [0.08, 0.16], p < 0.001'."""
    metric = metric or Metric(c.metric)
    more, less, scale, unit = metric.words or (f"has higher {c.metric}", f"has lower {c.metric}", 1.0, "")
    d = c.difference
    if d is None:
        return f"{c.a} vs {c.b} on {c.metric}: no prompts scored in both"
    p = c.p_value
    ptext = "p n/a" if p is None else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")
    if d == 0 and (c.ci_low or 0) == 0 and (c.ci_high or 0) == 0:
        return f"{c.a} and {c.b} do not differ on {c.metric} ({c.n_pairs} prompts)"
    sign = 1 if d >= 0 else -1  # say it in the direction of the difference
    lo, hi = sorted((sign * c.ci_low * scale + 0.0, sign * c.ci_high * scale + 0.0))  # no "-0"
    tail = " — the interval includes no difference" if lo <= 0 <= hi else ""
    basis = f"{c.n_pairs} prompts" if c.paired else "unpaired: no prompts in common"
    a, b = VARIANTS.get(c.a), VARIANTS.get(c.b)
    if a and b and a.weights == "merged" and b.weights == "adapter" and metric.merge_words:  # a merge vs its adapter
        gain, cost, scale, unit = metric.merge_words
        lo, hi = sorted((sign * c.ci_low * scale + 0.0, sign * c.ci_high * scale + 0.0))
        return (
            f"{c.a} vs {c.b}: {gain if d > 0 else cost} {abs(d) * scale:.3g}{unit} [{lo:.3g}, {hi:.3g}], "
            f"{ptext} ({basis}){tail}{_detectable(c, scale, unit)}"
        )
    return (
        f"{c.a} {more if d > 0 else less} than {c.b} by {abs(d) * scale:.3g}{unit} "
        f"[{lo:.3g}, {hi:.3g}], {ptext} ({basis}){tail}{_detectable(c, scale, unit)}"
    )


def _detectable(c: Comparison, scale: float, unit: str) -> str:
    return (
        f"; these prompts detect {c.detectable * scale:.3g}{unit} or more (80 % power)"
        if c.detectable is not None
        else ""
    )


def _comparisons(summary: RunSummary) -> list[dict]:
    """Every comparison of a compared metric in words: those users ask about first (`lead`), then the rest."""
    lead = summary.lead_pairs()
    order = {row: k for k, row in enumerate(summary.rows)}
    pairs = lead + [
        (a, b)
        for a in summary.rows
        for b in summary.rows
        if order[a] < order[b] and (a, b) not in lead and (b, a) not in lead
    ]
    out = []
    for metric in [m for m in summary.metrics.values() if m.compared and m.words]:
        for a, b in pairs:
            c = summary.comparison(a, b, (metric.name,))
            if c is not None and c.difference is not None and c.ci_low is not None:
                out.append(
                    {
                        **to_dict(c),
                        "text": sentence(c, metric),
                        "lead": (a, b) in lead,
                        "significant": c.p_value is not None and c.p_value < 0.05,
                    }
                )
    return sorted(out, key=lambda c: not c["lead"])


def _metric_agreement(summary: RunSummary, listeners: ListenerSummary) -> list[dict]:
    """One row per headline or compared metric: its agreement with each question's answers."""
    out: dict[str, dict] = {}
    for m in listeners.metric_agreement:
        declared = summary.metrics.get(m.metric)
        if declared is not None and (declared.headline or declared.compared):
            out.setdefault(m.metric, {"metric": m.metric})[m.question] = m
    return list(out.values())


def _listeners(summary: RunSummary, found: ListenerSummary | None) -> dict | None:
    """The listening test as the report shows it."""
    if not found:
        return None
    lead = summary.lead_pairs()
    order = {r: k for k, r in enumerate(summary.rows)}
    prefs = []
    for p in found.preferences:
        a, b = (p.a, p.b) if (p.a, p.b) in lead or (p.b, p.a) not in lead else (p.b, p.a)
        shown = found.preference(a, b, p.question)
        ci = f" [{shown.ci_low:.0%}, {shown.ci_high:.0%}]" if shown.ci_low is not None else ""
        prefs.append(
            {
                "lead": (a, b) in lead,
                "decided": shown.decided,
                "text": f"{a} was preferred over {b} {QUESTIONS[p.question]} in {shown.rate:.0%}{ci} of "
                f"{p.n} answer{'s' if p.n != 1 else ''} ({p.ties} no preference)",
            }
        )
    opinions = {(k, o.row): o for k in ("mos", "smos") for o in getattr(found, k)}
    rated = sorted({row for _, row in opinions}, key=lambda r: order.get(r, 99))
    return {
        "opinions": [{"row": r, "mos": opinions.get(("mos", r)), "smos": opinions.get(("smos", r))} for r in rated],
        "preferences": sorted(prefs, key=lambda p: not p["lead"]),
        "ranking": found.ranking,
        "agreement": found.agreement,
        "metrics": _metric_agreement(summary, found),
        "raters": found.raters,
        "n": found.n_ratings,
        "questions": QUESTIONS,
    }


def _headline(summary: RunSummary) -> tuple[list[str], list[dict]]:
    cols, rows = summary.headline()
    anchors = {a.name for a in VARIANTS.values() if a.anchor}
    cols = [summary.metric(c).label or c if c in summary.metrics else c for c in cols]  # labels; raw keys in CSV/JSON
    return cols, [
        {"variant": v, "anchor": v in anchors, "cells": cells, **to_dict(summary.samples[v])} for v, cells in rows
    ]


def metric_charts(summary: RunSummary, note: str = "") -> dict[str, str]:
    """metric → its dot chart (each row's mean and 95 % interval), for every metric that declares a chart:
    the report's and the Python API's (`Run.figures`). `note` is added to each title (a stand-in's label)."""
    charts = {}
    for metric, (title, xlabel) in [(m.name, m.chart) for m in summary.metrics.values() if m.chart]:
        found = {v: summary.summary(v, metric) for v in summary.rows}
        if any(found.values()):
            charts[metric] = svg.dots(
                [(v, *((s.mean, s.ci_low, s.ci_high) if s else (None, None, None))) for v, s in found.items()],
                title + (f" [{note}]" if note else ""),
                xlabel,
            )
    return charts


def loss_chart(finetune, note: str = "") -> str | None:
    """The fine-tune's train and eval loss per optimiser step (None without a fine-tune)."""
    if not finetune:
        return None
    history = finetune.loss_history
    series = {
        "train loss": [(h["step"], h["loss"]) for h in history if "loss" in h],
        "eval loss": [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h],
    }
    title = "Fine-tuning loss" + (f" [{note}]" if note else "")
    return svg.lines({k: v for k, v in series.items() if v}, title, "optimiser step", "loss")


def curve_chart(rows: list[dict], metric: str, title: str, axis: str = "rows") -> str | None:
    """A sweep's curve of `metric`: per tuned row and seed its mean (with interval) against the axis — training
    rows (log scale) or the fine-tune's step; an untuned row as a flat line. `rows` are curve.csv's (axis, seed,
    variant, metric, mean, ci_low, ci_high); None when no point has a value or the axis is not a number."""

    def x(r) -> float | None:
        try:
            return float(r[axis])
        except (TypeError, ValueError):
            return None

    series: dict[str, list] = {}
    xs = sorted({x(r) for r in rows if x(r)})
    if any(x(r) is None and r[axis] not in (None, "") for r in rows):
        return None  # a setting of words (a scheduler's name): its table says it
    for r in rows:
        if r["metric"] != metric or r["mean"] is None or VARIANTS.get(r["variant"], VARIANTS["base"]).anchor:
            continue
        point = (r["mean"], r["ci_low"], r["ci_high"])
        if not x(r) and xs:  # not fine-tuned: a flat line across the points
            series[f"{r['variant']} (no fine-tune)"] = [(xs[0], *point), (xs[-1], point[0])]
        elif x(r):
            series.setdefault(f"{r['variant']} seed {r['seed']}", []).append((x(r), *point))
    if not series:
        return None
    words = {"rows": "training rows (log scale)", "step": "fine-tune step"}.get(axis, axis)
    return svg.lines(
        {k: sorted(v) for k, v in series.items()},
        title,
        words,
        metric,
        width=640,
        log_x=axis == "rows" or (axis != "step" and xs[0] > 0 and xs[-1] / xs[0] >= 100),
    )


def _grid(view: RunView, src) -> tuple[list[dict], list[str], int]:
    """Per prompt: the text, then each row × seed with its player and the metrics their scorers show in a cell.
    The ceiling row reads eval clips, not the prompts: it has no column here."""
    ceiling = {v.name for v in view.run.plan.anchors if v.anchor == "ceiling"}
    shown = [m for m in view.summary.metrics.values() if m.cell]
    prompts: dict[str, dict] = {}
    for s in view.samples:
        if s.variant in ceiling:
            continue
        p = prompts.setdefault(s.prompt_id, {"id": s.prompt_id, "text": s.text, "cells": {}})
        p["cells"].setdefault(s.variant, []).append(_cell(view, s, src, shown))
    n = sum(len(c) for p in prompts.values() for c in p["cells"].values())
    for p in prompts.values():
        for cells in p["cells"].values():
            cells.sort(key=lambda c: c["seed"])
    columns = [v for v in view.run.rows if v not in ceiling]
    return list(prompts.values()), columns, n


def _cell(view: RunView, s: Sample, src, shown: list[Metric]) -> dict:
    scores = view.scores.get(s.key, {})
    values, marks, transcript = [], None, None
    for m in shown:
        score = scores.get(m.name)
        if score is None or score.value is None:
            continue
        values.append(f"{m.label or m.name} {score.value:.{min(m.digits, 2)}f}{m.unit}")
        if m.cell == "transcript":
            marks, transcript = word_marks(score.detail), score.detail.get("transcript")
    return {
        "seed": s.seed,
        "error": s.error,
        "stopped": s.stopped,
        "seconds": s.seconds,
        "values": values,
        "src": src(view.dir / s.audio_path) if s.audio_path and (view.dir / s.audio_path).is_file() else None,
        "marks": marks,
        "transcript": transcript,
    }


def _references(view: RunView, src) -> list[dict]:
    folder = view.dir / "audio" / "reference"
    return [{"id": p.stem.rsplit("-s", 1)[0], "src": src(p)} for p in sorted(folder.glob("*.wav"))]


def _metadata(view: RunView) -> list[tuple[str, str]]:
    run, plan = view.run, view.run.plan
    model = plan.model
    items = [
        ("suite", f"{run.suite} ({run.suite_path})"),
        (
            "model",
            f"{model.backend} {model.checkpoint}, device {model.device}, speaker {model.speaker_id}"
            + (f", {json.dumps(model.options)}" if model.options else ""),
        ),
        ("adapter", run.adapter or "none"),
        ("dataset", f"{run.dataset} (key {run.dataset_key[:12]})"),
        ("language", f"{language_name(plan.language)} ({plan.language})"),
        ("prompts", f"{plan.prompts.name} v{plan.prompts.version}, {len(plan.prompts.prompts)} prompts"),
        ("seeds", ", ".join(map(str, plan.seeds))),
        ("generation", json.dumps(plan.generation.sampling())),
        ("scorers", json.dumps(plan.scorers)),
        ("scorer ids", ", ".join(view.summary.scorers)),
        ("reference clips", ", ".join(run.reference_clips)),
        ("versions", ", ".join(f"{k} {v}" for k, v in run.versions.items())),
        ("machine", ", ".join(f"{k}: {v}" for k, v in run.machine.items())),
        ("git", run.git_sha),
        ("created", run.created),
    ]
    if view.finetune:
        f = view.finetune
        items.append(
            (
                "fine-tune",
                f"backend {f.backend} on {f.device}, {f.steps} steps, "
                f"{f.rows.get('used')} rows, settings {json.dumps(f.settings)}",
            )
        )
    return items


def comparable(views: list[RunView]) -> str | None:
    """None when the runs were scored with the same models; else why they are not compared."""
    if len(views) < 2:
        return None
    first = views[0]
    for v in views[1:]:
        if set(v.summary.scorers) != set(first.summary.scorers):
            a = json.dumps(first.run.plan.scorers)
            b = json.dumps(v.run.plan.scorers)
            return (
                f"{first.dir} and {v.dir} are not compared: they were scored with different ASR or speaker "
                f"models or settings ({a} vs {b}), so their numbers are on different scales"
            )
    return None


def load_sweep(sweep_dir: Path) -> dict | None:
    """The curve of a `ttsbench sweep` directory (sizes, steps or a setting), if it is one."""
    sweep = SweepRecord.read(sweep_dir)
    if sweep is None:
        return None
    rows = []
    if (Path(sweep_dir) / "curve.csv").is_file():
        with open(Path(sweep_dir) / "curve.csv") as f:
            rows = [
                {**r, **{k: float(r[k]) if r[k] else None for k in ("mean", "ci_low", "ci_high")}}
                for r in csv.DictReader(f)
            ]
    for r in rows:
        r["x"] = r.get(sweep.axis) or ("" if sweep.axis != "rows" else "0")
    charts = []
    points = [Path(d) if Path(d).is_dir() else Path(sweep_dir) / name for name, d in sweep.points.items()]
    table = next((current_summary(RunStore(d)).metrics for d in points if (d / "run.json").is_file()), {})
    for r in rows:
        r["label"] = table[r["metric"]].label if r["metric"] in table else ""
    against = {"rows": "training rows", "step": "fine-tune step"}.get(sweep.axis, sweep.axis)
    for metric, title in [(m.name, f"{m.label or m.name} vs {against}") for m in table.values() if m.curve]:
        chart = curve_chart(rows, metric, title, sweep.axis)
        if chart:
            charts.append(chart)
    heading = {"rows": "Learning curve", "step": "Training steps"}.get(sweep.axis, f"Fine-tune setting {sweep.axis}")
    return {"dir": str(sweep_dir), "sweep": sweep, "charts": charts, "rows": rows, "heading": heading}


def _is_ceiling(view: RunView, row: str) -> bool:
    found = view.run.plan.row(row)
    return found is not None and found.anchor == "ceiling"


def _check_output(out: Path, read_dirs: list[Path], audio_dir: Path | None, overwrite: bool) -> None:
    """Refuse to write over what the report reads, or over a file that is not a report, before any work."""
    if out.is_dir():
        raise ReportError(f"-o {out}: is a folder; name the page inside it, e.g. {out / 'report.html'}")
    if out.suffix.lower() not in (".html", ".htm"):
        raise ReportError(
            f"-o {out}: a report is an .html file (its record goes beside it as .json); "
            f"pass e.g. {out.with_name(out.stem + '-report.html')}"
        )
    sidecar = out.with_suffix(".json")
    ours = sidecar.is_file() and _sidecar_of(sidecar) == out.name
    for path in (out, sidecar):
        if not path.exists() or ours:
            continue
        inside = next((d for d in read_dirs if d.resolve() in path.resolve().parents), None)
        if inside is not None:
            raise ReportError(
                f"-o {out}: would write over {path}, a file of the run {inside} this report reads; "
                f"pass another name, e.g. {inside / 'report.html'}"
            )
        if path == sidecar:  # the page's record: --overwrite replaces the page it names, never this file
            raise ReportError(
                f"-o {out}: its record would go to {sidecar}, which exists and is not this report's; "
                f"pass another name, e.g. {out.with_name(out.stem + '-report.html')}"
            )
        if not overwrite:
            raise ReportError(
                f"-o {out}: {path} exists and is not a ttsbench report; pass another name, or --overwrite to replace it"
            )
    if audio_dir is not None:
        output_folder(audio_dir, "--audio-dir", ReportError)
        inside = next(
            (d for d in read_dirs if d.resolve() == audio_dir.resolve() or d.resolve() in audio_dir.resolve().parents),
            None,
        )
        if inside is not None:
            raise ReportError(
                f"--audio-dir {audio_dir}: is inside the run {inside} this report reads; pass a folder outside it"
            )


def _sidecar_of(path: Path) -> str | None:
    """The page a report record beside `path` belongs to (None: not a ttsbench report's record)."""
    try:
        record = ReportRecord.read_file(path)
    except (OSError, ValueError, TypeError):
        return None
    return record.report if record is not None and record.kind == ReportRecord.kind else None


def build_report(
    paths: list[str | Path],
    out: str | Path,
    audio_dir: str | Path | None = None,
    audio_format: str = "ogg",
    title: str | None = None,
    overwrite: bool = False,
) -> ReportResult:
    """Write one HTML page for the runs (and sweeps) in `paths`; see the module docstring.

    `out` is an .html file; `out` with .json beside it records what the report holds (the
    `report.*` gates read it). Neither may be a file the report reads, and an existing file that
    is not a ttsbench report is replaced only with `overwrite`.
    """
    import jinja2

    start = time.time()
    out = Path(out)
    audio_dir = Path(audio_dir) if audio_dir else None
    if not paths:
        raise ReportError("no run directories given; pass one or more folders `ttsbench bench` wrote")
    sweeps, views = [], []
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            raise ReportError(f"{p}: no such folder; pass a run directory (`ttsbench bench --out`) or a sweep folder")
        sweep = load_sweep(p)
        if sweep is not None:
            sweeps.append(sweep)
            views += [load_run(Path(d)) for d in sweep["sweep"].points.values() if (Path(d) / "run.json").is_file()]
        else:
            views.append(load_run(p))

    _check_output(out, [Path(p) for p in paths] + [v.dir for v in views], audio_dir, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    show_grid = not sweeps  # a sweep's many points: headline tables and the curve, no players
    needed = [
        v.dir / s.audio_path
        for v in views
        for s in v.samples
        if show_grid and s.audio_path and not _is_ceiling(v, s.variant) and (v.dir / s.audio_path).is_file()
    ]
    needed += [p for v in views for p in sorted((v.dir / "audio" / "reference").glob("*.wav")) if show_grid]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # the codec releases the GIL
        encoded = dict(
            zip(needed, pool.map(lambda p: _audio_src(p, audio_dir, out, audio_format), needed), strict=False)
        )

    def src(path: Path) -> str:
        return encoded.get(path) or _audio_src(path, audio_dir, out, audio_format)

    runs, audio_elements, missing = [], 0, []
    for v in views:
        grid, columns, n = _grid(v, src) if show_grid else ([], [], 0)
        refs = _references(v, src) if show_grid else []
        audio_elements += n + len(refs)
        cols, table = _headline(v.summary)
        runs.append(
            {
                "dir": str(v.dir),
                "name": v.run.suite or v.dir.name,
                "label": v.summary.label,
                "engine_notes": list(v.run.engine_notes),
                "answer": answer_html(answer_table(v.summary)),
                "missing": v.missing,
                "headline_cols": cols,
                "headline": table,
                "comparisons": _comparisons(v.summary),
                "charts": list(metric_charts(v.summary).values()),
                "listeners": _listeners(v.summary, v.listeners),
                "loss_chart": loss_chart(v.finetune),
                "grid": grid,
                "columns": columns,
                "references": refs,
                "metadata": _metadata(v),
            }
        )
        missing += [f"{v.dir}: {m}" for m in v.missing]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["num"] = lambda x, d=3: number(x, d)
    labels = sorted({r["label"] for r in runs if r["label"]})
    html = env.get_template("report.html.j2").render(
        chart_style=svg.STYLE,
        title=title
        or (
            "ttsbench sweep: " + ", ".join(sw["sweep"].suite for sw in sweeps)
            if sweeps
            else "ttsbench report: " + ", ".join(r["name"] for r in runs)
        ),
        runs=runs,
        sweeps=sweeps,
        labels=labels,
        not_compared=comparable(views),
        fold=FOLD_WORDS,
        created=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html)
    tmp.replace(out)
    seconds = time.time() - start
    ReportRecord(
        report=out.name,
        runs=[str(v.dir) for v in views],
        audio_elements=audio_elements,
        samples=sum(len(v.samples) for v in views),
        missing=missing,
        seconds=round(seconds, 2),
    ).write_file(out.with_suffix(".json"))
    return ReportResult(out, seconds, audio_elements, missing)
