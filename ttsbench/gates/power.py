"""`ttsbench bench SUITE --plan`: before a long run, how many prompts each difference gate (and each asked-for
difference) needs, from the spread an earlier, shorter run of the suite observed. Generates nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ttsbench.benchmark.plan import KNOWN, Suite
from ttsbench.benchmark.results import current_summary
from ttsbench.benchmark.stats import detectable, prompts_needed
from ttsbench.benchmark.store import RunStore
from ttsbench.core.errors import UserError

from .gates import parse_gate


@dataclass(frozen=True)
class PromptsNeeded:
    """One difference to detect, and what the earlier run says about it."""

    what: str  # the gate's text, or "ROW − base on METRIC: D"
    a: str
    b: str
    metric: str
    difference: float
    spread: float | None  # of the per-prompt differences; None: fewer than 2 prompts scored in both
    prompts_now: int | None  # prompts the earlier run compared
    detectable_now: float | None  # what those prompts detect (80 % power, α 0.05)
    prompts_needed: int | None  # for `difference`; None: more than any practical number


@dataclass(frozen=True)
class PromptPlan:
    run_dir: Path  # the earlier run estimated from
    prompts: int  # its prompts …
    seeds: int  # … and seeds
    items: tuple[PromptsNeeded, ...]

    def text(self) -> str:
        if not self.items:
            return "nothing to plan: the suite has no gate on a difference; pass --target METRIC=DIFFERENCE"
        lines = [f"from {self.run_dir} ({self.prompts} prompts × {self.seeds} seeds); 80 % power, α 0.05, two-sided"]
        for p in self.items:
            if p.spread is None:
                lines.append(f"{p.what}\n    no estimate: {p.a} and {p.b} have fewer than 2 prompts scored in both")
                continue
            now = "?" if p.detectable_now is None else f"{p.detectable_now:.3g}"
            need = "more than 100000" if p.prompts_needed is None else p.prompts_needed
            lines.append(
                f"{p.what}\n    spread of per-prompt differences {p.spread:.3g}; {p.prompts_now} prompts "
                f"detect {now}; {p.difference:g} needs about {need} prompts (at {self.seeds} seeds each)"
            )
        return "\n".join(lines)


def plan_prompts(suite: Suite, run_dir: str | Path, targets: dict[str, float] | None = None) -> PromptPlan:
    """Each difference gate of the suite (and each variant − base on each of `targets`' metrics) with the prompts
    it needs, from the run in `run_dir`. UserError when there is no earlier run there."""
    from ttsbench.benchmark.scorers import declared

    compared = [m.name for m in declared(suite.scorers).values() if m.compared]
    for metric, difference in (targets or {}).items():
        if metric not in compared:
            raise UserError(
                f"--target {metric}={difference:g}: {metric} is not a metric this suite's scorers compare; one of "
                f"{', '.join(compared) or '(none: add a scorer)'}"
            )
        if not difference > 0 and not difference < 0:
            raise UserError(f"--target {metric}={difference:g}: the difference to detect must not be 0 (or NaN)")
    store = RunStore(run_dir)
    run = store.run()
    if run is None:
        raise UserError(
            f"--plan: {run_dir} holds no earlier run to estimate from; run `ttsbench bench` once "
            "(a few prompts are enough) or pass --out to an earlier run of this suite"
        )
    summary = current_summary(store)
    asks = []
    for text in suite.gates:
        gate = parse_gate(text, suite)
        if gate.minus_row is not None and gate.threshold and gate.row != "human":  # human.*: listeners, not prompts
            asks.append((text, gate.row, gate.minus_row, gate.metric, abs(gate.threshold)))
    base = next(v.name for v in (*suite.variants, *KNOWN) if v.plain)  # the suite's base row (or its name)
    for metric, difference in (targets or {}).items():
        for row in [v.name for v in suite.variants if not v.plain]:
            asks.append((f"{row} − {base} on {metric}: {abs(difference):g}", row, base, metric, abs(difference)))
    out = []
    for text, a, b, metric, difference in asks:
        c = summary.comparison(a, b, (metric, summary.metric(metric).base))
        if c is None or c.spread is None:
            out.append(PromptsNeeded(text, a, b, metric, difference, None, None, None, None))
            continue
        n = c.n_pairs if c.paired else len(run.plan.prompts.prompts)
        out.append(
            PromptsNeeded(
                text,
                a,
                b,
                metric,
                difference,
                c.spread,
                n,
                detectable(c.spread, n or 0, c.groups),
                prompts_needed(c.spread, difference, c.groups),
            )
        )
    return PromptPlan(Path(run_dir), len(run.plan.prompts.prompts), len(run.plan.seeds), tuple(out))
