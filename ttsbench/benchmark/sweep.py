"""`ttsbench sweep SUITE.yaml --sizes 10,25,50,100 --seeds 0,1`: the similarity learning curve.

For each size and seed: fine-tune on the nested subset of that many train rows (the seed picks the
rows and seeds the training), bench the suite's fine-tuned variants, collect their summaries. The
base and cloned variants and the anchors do not depend on the rows and run once, as the `rows 0`
point. Writes OUT/curve.csv and OUT/sweep.json (with the saturating fit); `ttsbench report OUT`
draws the learning curve (the command line writes OUT/report.html).
Resumable: a point whose run finished is not recomputed. Points run through an executor:
`local` (one after another) or `ray` (each point a Ray task asking for a GPU when CUDA is there;
`RAY_ADDRESS` picks a cluster, else a local Ray starts).
"""

from __future__ import annotations

import logging
import csv
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from ttsbench.core.errors import UserError, output_folder

from .executors import check_executor, start_ray
from .plan import FinetuneSpec, Suite
from .records import SweepRecord
from .results import current_summary
from .store import RunStore

log = logging.getLogger(__name__)


class SweepError(UserError, ValueError):
    """A sweep that cannot run; the message says why and what to change."""


@dataclass(frozen=True)
class Point:
    """One run of a sweep: its folder name, its place on the axis (None: the untuned rows and anchors, run once),
    the training seed, and the suite it benches."""

    name: str
    x: int | float | str | None
    seed: int
    suite: Suite


@dataclass
class SweepResult:
    out: Path
    curve: list[dict]  # the rows of curve.csv
    label: str  # e.g. "tiny random model — pipeline check only"; "" for real weights
    fit: dict  # per variant: the saturating fit and the rows estimated to reach the target (size sweeps)
    computed: list[str]  # points run by this call (the rest were already done)
    metric: str = ""  # the curve fitted (the suite's target metric, else similarity)
    axis: str = "rows"  # what the points vary: rows, step, or a fine-tune setting's name
    best: dict = field(default_factory=dict)  # per variant: the best point within the suite's limits (steps, settings)


def baseline(suite: Suite) -> Point:
    """The untuned rows and the anchors: they do not depend on the fine-tune, so they run once."""
    return Point(
        "baseline",
        None,
        0,
        dataclasses.replace(suite, variants=tuple(v for v in suite.variants if not v.tuned), finetune=None),
    )


def tuned_suite(suite: Suite, options=None, adapter: Path | None = None) -> Suite:
    """The suite's tuned rows alone, fine-tuned with `options` or on `adapter`."""
    tuned = tuple(v for v in suite.variants if v.tuned)
    if adapter is not None:
        return dataclasses.replace(suite, variants=tuned, anchors=(), finetune=None, adapter=adapter)
    spec = suite.finetune or FinetuneSpec(_default_options(suite))
    return dataclasses.replace(suite, variants=tuned, anchors=(), finetune=dataclasses.replace(spec, options=options))


def finetune_options(suite: Suite):
    return (suite.finetune.options if suite.finetune else None) or _default_options(suite)


def _default_options(suite: Suite):
    from ttsbench.models.families import FAMILIES, family
    from ttsbench.models.records import FinetuneOptions

    options = FinetuneOptions()
    return family(suite.model.backend).options(options) if suite.model.backend in FAMILIES else options


def run_point(suite: Suite, run_dir: str) -> str:
    """Bench one point (fine-tuning first); resumable and cached like any run."""
    from .runner import run_suite

    run_suite(suite, Path(run_dir), progress=False)
    return run_dir


def _done(run_dir: Path, plan: Suite) -> bool:
    """Whether the point's run finished with this plan: its run.json follows the same plan and scorers (another
    suite is run again, and refused there by name), and its summary, written last, is newer than every sample
    and score (a call killed while generating or scoring again is not finished) and counts every sample."""
    store = RunStore(run_dir)
    run = store.run()
    if (
        run is None
        or not store.summary_is_current()
        or run.plan.identity() != plan.identity()
        or run.plan.to_dict()["scorers"] != plan.to_dict()["scorers"]
    ):
        return False
    summary = store.summary()
    return summary is not None and all(c.n > 0 and not c.missing for c in summary.samples.values())


def _start(suite: Suite, executor: str, out: str | Path, seeds: list[int] | tuple[int, ...] = (0,)) -> None:
    """What every sweep checks before its first point (and before its folder is made)."""
    output_folder(out, "--out", SweepError)
    if not seeds or not all(isinstance(s, int) and 0 <= s < 2**32 for s in seeds):
        raise SweepError(
            f"--seeds {','.join(map(str, seeds)) or '(none)'}: training seeds are whole numbers from 0 "
            "to 4294967295, e.g. 0,1"
        )
    if suite.adapter is not None:
        raise SweepError(
            f"{suite.path}: names `adapter:`; a sweep fine-tunes at every point — remove it and set "
            "`finetune:` settings instead"
        )
    if not suite.needs_adapter:
        raise SweepError(f"{suite.path}: has no finetuned variants to sweep; add finetuned or finetuned_cloned")
    check_executor(executor)
    from .check import require, suite_findings
    from .scorers import declared

    require(suite_findings(suite, work=False))  # before the first point, not in the middle of the sweep
    from ttsbench.models.train import check_trainer_names

    try:
        check_trainer_names(finetune_options(suite), f"{suite.path}: finetune")
    except UserError as e:
        raise SweepError(str(e)) from None
    known = declared(suite.scorers)
    for key, mapping in (("target", suite.target), ("limits", suite.limits)):
        unknown = [m for m in mapping if m not in known]
        if unknown:
            raise SweepError(
                f"{suite.path}: `{key}:` names {', '.join(unknown)}, which the suite's scorers do not give; "
                f"use one of {', '.join(known)}"
            )


def sweep(
    suite: Suite, sizes: list[int], seeds: list[int], out: str | Path, executor: str = "local", progress: bool = True
) -> SweepResult:
    """The data-size sweep: one fine-tune per size and seed on nested subsets of the train split."""
    _start(suite, executor, out, seeds)
    if not sizes or any(n < 1 for n in sizes):
        raise SweepError(f"--sizes {sizes}: give positive row counts, e.g. 10,25,50")
    from ttsbench.dataprep.dataset import load_splits

    n_train = len(load_splits(suite.dataset).train)
    too_big = [n for n in sizes if n > n_train]
    if too_big:
        raise SweepError(
            f"--sizes {','.join(map(str, too_big))}: the train split of {suite.dataset} has only "
            f"{n_train} rows; use sizes up to {n_train}"
        )
    options = finetune_options(suite)
    points = [baseline(suite)] + [
        Point(f"rows{n}-seed{s}", n, s, tuned_suite(suite, dataclasses.replace(options, rows=n, seed=s)))
        for n in sorted(set(sizes))
        for s in seeds
    ]
    return _finish(
        suite,
        points,
        Path(out),
        "rows",
        executor,
        progress,
        {"sizes": sorted(set(sizes)), "seeds": list(seeds), "train_rows": n_train},
    )


def sweep_steps(
    suite: Suite, every: int, out: str | Path, executor: str = "local", progress: bool = True
) -> SweepResult:
    """The checkpoints of one training run: fine-tune once, keeping the adapter every `every` steps, and bench the
    tuned rows on each; the best step is the one with the best target metric within the suite's `limits:`."""
    _start(suite, executor, out)
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise SweepError(f"--every {every!r}: a positive number of optimiser steps, e.g. 20")
    out = Path(out)
    say = log.info if progress else log.debug
    options = dataclasses.replace(finetune_options(suite), adapter_every=every)
    from ttsbench.models.train import finetune

    spec = suite.finetune or FinetuneSpec(options)
    say(f"sweep: one fine-tune into {out / 'finetune'}, keeping the adapter every {every} steps")
    record = finetune(
        suite.dataset, spec.base or suite.model.checkpoint, out / "finetune", options, progress=progress
    ).record
    points = [baseline(suite)] + [
        Point(
            f"step{s['step']}",
            s["step"],
            options.seed,
            tuned_suite(suite, adapter=(out / "finetune" / s["path"]).resolve()),
        )
        for s in record.snapshots
    ]
    return _finish(suite, points, out, "step", executor, progress, {"every": every, "steps": record.steps})


def sweep_setting(
    suite: Suite,
    setting: str,
    values: list,
    seeds: list[int],
    out: str | Path,
    executor: str = "local",
    progress: bool = True,
) -> SweepResult:
    """One fine-tune per value of a fine-tune setting (learning_rate, r, any family's own) and seed, side by side."""
    _start(suite, executor, out, seeds)
    from ttsbench.models.records import FinetuneOptions
    from ttsbench.models.train import check_trainer_names

    options = finetune_options(suite)
    known = sorted(set(options.to_dict()) - {"device", "family", "rows", "seed", "adapter_every"})
    if setting not in known:
        raise SweepError(
            f"--setting {setting}: not a fine-tune setting a sweep can vary; use one of {', '.join(known)}"
        )
    if not values:
        raise SweepError(f"--setting {setting}=: give the values, comma-separated, e.g. {setting}=1e-4,2e-4")
    points = [baseline(suite)]
    for value in values:
        try:
            varied = FinetuneOptions.from_dict({**options.to_dict(), setting: value}, where=f"--setting {setting}")
            check_trainer_names(varied, f"--setting {setting}")
        except UserError as e:
            raise SweepError(str(e)) from None
        for s in seeds:
            name = f"{setting}={value}-seed{s}"
            points.append(Point(_safe(name), value, s, tuned_suite(suite, dataclasses.replace(varied, seed=s))))
    return _finish(
        suite, points, Path(out), setting, executor, progress, {"values": list(values), "seeds": list(seeds)}
    )


def _safe(name: str) -> str:
    """A point's folder name: letters, digits and . = + - only."""
    return "".join(c if c.isalnum() or c in ".=+-" else "_" for c in name)


def _finish(
    suite: Suite, points: list[Point], out: Path, axis: str, executor: str, progress: bool, extra: dict
) -> SweepResult:
    """Run the points not yet done, collect curve.csv, fit or pick the best, and write sweep.json."""
    say = log.info if progress else log.debug
    dirs = {p.name: out / p.name for p in points}
    todo = [p for p in points if not _done(dirs[p.name], p.suite)]
    say(f"sweep: {len(points)} points, {len(points) - len(todo)} already done, executor {executor}")
    out.mkdir(parents=True, exist_ok=True)
    if executor == "local":
        for p in todo:
            say(f"sweep: point {p.name}")
            run_point(p.suite, str(dirs[p.name]))
    else:
        _run_ray(todo, dirs, say)
    curve = collect(points, dirs, axis)
    _write_curve(out / "curve.csv", curve, axis)
    metric, target = curve_target(suite)
    tuned = [v.name for v in suite.variants if v.tuned]
    fit, best = {}, {}
    if axis == "rows":
        fit = {
            v: fit_curve(
                [
                    (r["rows"], r["mean"])
                    for r in curve
                    if r["variant"] == v and r["metric"] == metric and r["mean"] is not None
                ],
                target,
                metric,
            )
            for v in tuned
        }
    else:
        best = {v: best_point(curve, v, axis, metric, suite) for v in tuned}
    from .runner import run_label

    label = run_label(suite)
    SweepRecord(
        suite=suite.name,
        suite_path=str(suite.path),
        label=label,
        sizes=extra.get("sizes", []),
        seeds=extra.get("seeds", []),
        executor=executor,
        train_rows=extra.get("train_rows", 0),
        target={metric: target},
        metric=metric,
        points={p.name: str(dirs[p.name]) for p in points},
        fit=fit,
        fit_text=" ".join(f"{v}: {f['text']}" for v, f in {**fit, **best}.items()),
        axis=axis,
        best=best,
        limits=dict(suite.limits),
        values=[p.x for p in points if p.x is not None],
    ).write(out)
    return SweepResult(out, curve, label, fit, [p.name for p in todo], metric, axis, best)


def best_point(curve: list[dict], variant: str, axis: str, metric: str, suite: Suite) -> dict:
    """The point whose mean `metric` is best among those that keep every one of the suite's `limits:` (a
    lower-is-better metric at or below its limit, a higher-is-better one at or above), in numbers and words."""
    from .scorers import declared

    metrics = declared(suite.scorers)
    per_seed: dict = {}
    for r in curve:
        if r["variant"] == variant and r[axis] is not None and r["mean"] is not None:
            per_seed.setdefault(r[axis], {}).setdefault(r["metric"], []).append(r["mean"])
    means = {x: {m: sum(v) / len(v) for m, v in by.items()} for x, by in per_seed.items()}  # over the seeds
    higher = metrics[metric].better != "lower" if metric in metrics else True

    def keeps(values: dict) -> list[str]:
        broken = []
        for m, limit in suite.limits.items():
            value = values.get(m)
            lower = metrics[m].better == "lower" if m in metrics else True
            if value is None or (value > limit if lower else value < limit):
                broken.append(f"{m} {'—' if value is None else f'{value:.3g}'} {'>' if lower else '<'} {limit:g}")
        return broken

    scored = [(x, v) for x, v in means.items() if metric in v]
    if not scored:
        return {"ok": False, "text": f"no point has {metric}."}
    within = [(x, v) for x, v in scored if not keeps(v)]
    limit_words = ", ".join(
        f"{m} {'≤' if (metrics[m].better == 'lower' if m in metrics else True) else '≥'} {v:g}"
        for m, v in suite.limits.items()
    )
    if not within:
        return {
            "ok": False,
            "text": f"no {axis} keeps {limit_words}: "
            + "; ".join(f"{axis} {x}: {', '.join(keeps(v))}" for x, v in scored),
        }
    x, values = (max if higher else min)(within, key=lambda p: p[1][metric])
    where = f" within {limit_words}" if suite.limits else " (no `limits:` in the suite, e.g. {wer_micro: 0.1})"
    return {
        "ok": True,
        axis: x,
        "value": values[metric],
        "text": f"best {axis} {x}: {metric} {values[metric]:.3f}{where}.",
    }


def _run_ray(todo: list[Point], dirs: dict, say) -> None:
    ray = start_ray()
    import torch

    task = ray.remote(num_gpus=1 if torch.cuda.is_available() else 0)(run_point)
    futures = {task.remote(p.suite, str(dirs[p.name])): p for p in todo}
    for done in ray.get(list(futures)):
        say(f"sweep: point {Path(done).name} done")


def curve_target(suite: Suite) -> tuple[str, float | None]:
    """(the metric whose curve is fitted, the value to estimate the rows for): the suite's `target:` names
    both; without one, the metric a scorer declares the voice's (similarity), with no value."""
    from .scorers import declared

    if suite.target:
        metric, value = next(iter(suite.target.items()))
        return metric, float(value)
    voice = [m.name for m in declared(suite.scorers).values() if m.role == "voice"]
    return (voice[0] if voice else ""), None


def collect(points: list[Point], dirs: dict, axis: str = "rows") -> list[dict]:
    """curve.csv rows: the axis (rows, step or the setting; 0 or empty for the baseline), seed, variant, metric,
    mean, ci_low, ci_high, n."""
    out = []
    for p in points:
        summary = current_summary(RunStore(dirs[p.name]))
        for s in summary.summaries:
            if summary.metric(s.metric).curve:
                out.append(
                    {
                        axis: p.x if p.x is not None else (0 if axis == "rows" else None),
                        "seed": p.seed,
                        "variant": s.variant,
                        "metric": s.metric,
                        "mean": s.mean,
                        "ci_low": s.ci_low,
                        "ci_high": s.ci_high,
                        "n": s.n,
                    }
                )
    return out


def _write_curve(path: Path, curve: list[dict], axis: str = "rows") -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[axis, "seed", "variant", "metric", "mean", "ci_low", "ci_high", "n"])
        w.writeheader()
        w.writerows(curve)


def fit_curve(points: list[tuple[int, float]], target: float | None, metric: str = "speaker_sim") -> dict:
    """Fit y = top − (top − start)·exp(−rows/scale) to (rows, metric) and estimate the rows for `target`.

    Says so, instead of guessing, when there are fewer than 4 sizes, the fit fails, or the
    target lies above the fitted plateau.
    """
    import numpy as np
    from scipy.optimize import curve_fit

    sizes = sorted({n for n, _ in points})
    if len(sizes) < 4:
        return {"ok": False, "text": f"{len(sizes)} sizes do not support a saturating fit (need 4 or more)."}
    x = np.array([n for n, _ in points], float)
    y = np.array([v for _, v in points], float)

    def model(n, top, start, scale):
        return top - (top - start) * np.exp(-n / scale)

    try:
        (top, start, scale), _ = curve_fit(
            model, x, y, p0=(y.max(), y.min(), np.median(x)), bounds=([-1, -1, 1e-3], [1, 1, 1e6]), maxfev=20000
        )
    except (RuntimeError, ValueError) as e:
        return {"ok": False, "text": f"the saturating fit did not converge ({e})."}
    fit = {"ok": True, "top": float(top), "start": float(start), "scale": float(scale)}
    text = f"fitted plateau {top:.3f}, half of the gain by {scale * math.log(2):.0f} rows."
    if target is None:
        fit["text"] = text + f" Set `target: {{{metric}: …}}` in the suite for a rows estimate."
    elif target >= top:
        fit["text"] = text + f" The target {target:g} is above the plateau: more rows are not predicted to reach it."
    elif target <= model(min(sizes), top, start, scale):
        fit["rows_for_target"] = float(min(sizes))
        fit["text"] = text + f" The target {target:g} is reached already at {min(sizes)} rows."
    else:
        rows = -scale * math.log((top - target) / (top - start))
        fit["rows_for_target"] = rows
        rough = " (extrapolated beyond twice the largest size: rough)" if rows > 2 * max(sizes) else ""
        fit["text"] = text + f" About {rows:.0f} rows to reach {metric} {target:g}{rough}."
    return fit
