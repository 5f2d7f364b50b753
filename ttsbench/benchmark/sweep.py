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
from dataclasses import dataclass
from pathlib import Path

from ttsbench.core.errors import UserError

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
    rows: int  # 0: the point without fine-tuning (base, cloned, anchors)
    seed: int

    @property
    def name(self) -> str:
        return "baseline" if self.rows == 0 else f"rows{self.rows}-seed{self.seed}"


@dataclass
class SweepResult:
    out: Path
    curve: list[dict]  # the rows of curve.csv
    label: str  # e.g. "tiny random model — pipeline check only"; "" for real weights
    fit: dict  # per variant: the saturating fit and the rows estimated to reach the target
    computed: list[str]  # points run by this call (the rest were already done)
    metric: str = ""  # the curve fitted (the suite's target metric, else similarity)


def point_suite(suite: Suite, point: Point) -> Suite:
    """The suite for one point: the tuned rows fine-tuned on `rows` rows, or the untuned rows (and anchors) at 0."""
    if point.rows == 0:
        return dataclasses.replace(suite, variants=tuple(v for v in suite.variants if not v.tuned), finetune=None)
    spec = suite.finetune or FinetuneSpec(_default_options(suite))
    options = dataclasses.replace(spec.options, rows=point.rows, seed=point.seed)
    return dataclasses.replace(
        suite,
        variants=tuple(v for v in suite.variants if v.tuned),
        anchors=(),
        finetune=dataclasses.replace(spec, options=options),
    )


def _default_options(suite: Suite):
    from ttsbench.models.families import FAMILIES, family
    from ttsbench.models.records import FinetuneOptions

    options = FinetuneOptions()
    return family(suite.model.backend).options(options) if suite.model.backend in FAMILIES else options


def run_point(suite: Suite, point: Point, run_dir: str) -> str:
    """Bench one point (fine-tuning first); resumable and cached like any run."""
    from .runner import run_suite

    run_suite(point_suite(suite, point), Path(run_dir), progress=False)
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


def sweep(
    suite: Suite, sizes: list[int], seeds: list[int], out: str | Path, executor: str = "local", progress: bool = True
) -> SweepResult:
    out = Path(out)
    say = log.info if progress else log.debug
    if suite.adapter is not None:
        raise SweepError(
            f"{suite.path}: names `adapter:`; a sweep fine-tunes at every point — remove it and set "
            "`finetune:` settings instead"
        )
    if not suite.needs_adapter:
        raise SweepError(f"{suite.path}: has no finetuned variants to sweep; add finetuned or finetuned_cloned")
    check_executor(executor)
    if not sizes or any(n < 1 for n in sizes):
        raise SweepError(f"--sizes {sizes}: give positive row counts, e.g. 10,25,50")
    from .check import require, suite_findings

    require(suite_findings(suite, work=False))  # before the first point, not in the middle of the sweep
    from ttsbench.dataprep.dataset import load_splits

    n_train = len(load_splits(suite.dataset).train)
    too_big = [n for n in sizes if n > n_train]
    if too_big:
        raise SweepError(
            f"--sizes {','.join(map(str, too_big))}: the train split of {suite.dataset} has only "
            f"{n_train} rows; use sizes up to {n_train}"
        )
    points = [Point(0, 0)] + [Point(n, s) for n in sorted(set(sizes)) for s in seeds]
    dirs = {p.name: out / p.name for p in points}
    todo = [p for p in points if not _done(dirs[p.name], point_suite(suite, p))]
    say(f"sweep: {len(points)} points, {len(points) - len(todo)} already done, executor {executor}")
    out.mkdir(parents=True, exist_ok=True)
    if executor == "local":
        for p in todo:
            say(f"sweep: point {p.name}")
            run_point(suite, p, str(dirs[p.name]))
    else:
        _run_ray(suite, todo, dirs, say)
    curve = collect(points, dirs)
    _write_curve(out / "curve.csv", curve)
    metric, target = curve_target(suite)
    fit = {
        v.name: fit_curve(
            [
                (r["rows"], r["mean"])
                for r in curve
                if r["variant"] == v.name and r["metric"] == metric and r["mean"] is not None
            ],
            target,
            metric,
        )
        for v in suite.variants
        if v.tuned
    }
    from .runner import run_label

    label = run_label(suite)
    SweepRecord(
        suite=suite.name,
        suite_path=str(suite.path),
        label=label,
        sizes=sorted(set(sizes)),
        seeds=list(seeds),
        executor=executor,
        train_rows=n_train,
        target={metric: target},
        metric=metric,
        points={p.name: str(dirs[p.name]) for p in points},
        fit=fit,
        fit_text=" ".join(f"{v}: {f['text']}" for v, f in fit.items()),
    ).write(out)
    return SweepResult(out, curve, label, fit, [p.name for p in todo], metric)


def _run_ray(suite: Suite, todo: list[Point], dirs: dict, say) -> None:
    ray = start_ray()
    import torch

    task = ray.remote(num_gpus=1 if torch.cuda.is_available() else 0)(run_point)
    futures = {task.remote(suite, p, str(dirs[p.name])): p for p in todo}
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


def collect(points: list[Point], dirs: dict) -> list[dict]:
    """curve.csv rows: rows, seed, variant, metric, mean, ci_low, ci_high, n."""
    out = []
    for p in points:
        summary = current_summary(RunStore(dirs[p.name]))
        for s in summary.summaries:
            if summary.metric(s.metric).curve:
                out.append(
                    {
                        "rows": p.rows,
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


def _write_curve(path: Path, curve: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["rows", "seed", "variant", "metric", "mean", "ci_low", "ci_high", "n"])
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
