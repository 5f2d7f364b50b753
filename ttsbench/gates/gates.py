"""Quality gates: suite YAML `gates:` lines checked against a run directory.

    finetuned_cloned.speaker_sim - base.speaker_sim >= 0.05 (p < 0.05)
    finetuned.wer_micro <= 0.15
    *.stop_failure_rate <= 0.1          # every model variant (not the anchors)
    ground_truth.speaker_sim - impostor.speaker_sim >= 0.2
    finetune.loss_drop >= 0.5           # first train losses minus the last (3-step means)
    *.failed <= 0                       # every sample generated
    report.missing <= 0                 # the report exists, is newer than the run, misses nothing
    human.prefer(finetuned_cloned, base) >= 0.6   # listeners (`ttsbench listen`): more like the reference
    human.smos.finetuned_cloned >= 3.5            # … and human.prefer_natural(a, b), human.mos.ROW

A single term compares the row's mean (over prompts) with the threshold; a difference uses the
paired comparison (same prompts and seeds); `(p < α)` also asks its permutation p-value to be
below α. A gate with no value (nothing scored, no report) fails and says so. A difference gate
whose (non-zero) threshold is smaller than what the run's prompts can detect (80 % power, α 0.05,
from the observed spread of per-prompt differences) says so, with about how many prompts it needs.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from ttsbench.benchmark.plan import Suite
from ttsbench.benchmark.records import ReportRecord, RunSummary
from ttsbench.benchmark.results import current_summary
from ttsbench.benchmark.scorers import declared
from ttsbench.benchmark.stats import prompts_needed
from ttsbench.benchmark.store import RunStore
from ttsbench.core.errors import UserError

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
COUNTS = ("failed", "samples", "failed_rate")  # from the samples, not the scores
FINETUNE = ("loss_drop", "final_loss", "eval_loss_drop", "steps")
REPORT = ("missing", "audio_elements")
_TERM = r"([A-Za-z_*][A-Za-z0-9_]*|\*)\.([A-Za-z_0-9]+)"  # row (a letter first, or *) . metric
_NUM = r"(-?[0-9.]+(?:e-?[0-9]+)?)"
_HUMAN = re.compile(
    rf"^\s*human\.(?:(prefer|prefer_natural)\(\s*(\w+)\s*,\s*(\w+)\s*\)|(mos|smos)\.(\w+))"
    rf"\s*(<=|>=|<|>)\s*{_NUM}\s*$"
)
_GATE = re.compile(
    rf"^\s*{_TERM}\s*(?:-\s*{_TERM}\s*)?(<=|>=|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*"
    rf"(?:\(\s*p\s*<\s*([0-9.]+(?:e-?[0-9]+)?)\s*\))?\s*$"
)


class GateError(UserError, ValueError):
    """A gate line that cannot be checked; the message names the suite file and the gate."""


@dataclass(frozen=True)
class Gate:
    text: str
    row: str  # a variant, an anchor, "*", "finetune" or "report"
    metric: str
    minus_row: str | None  # set for a difference gate
    minus_metric: str | None
    op: str
    threshold: float
    p_below: float | None


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str  # observed value, its interval and the threshold, in one or more lines


def parse_gate(text: str, suite: Suite, where: str = "") -> Gate:
    """Parse and check one gate against the suite's rows and the metrics its scorers declare."""
    rows, where = suite.row_names, where or f"{suite.path}: key 'gates'"
    h = _HUMAN.match(str(text))
    if h:  # the listeners: human.prefer(a, b), human.prefer_natural(a, b), human.mos.ROW, human.smos.ROW
        kind, a, b, scale, row, op, threshold = h.groups()
        named = [a, b] if kind else [row]
        unknown = [r for r in named if r not in rows]
        if unknown or (kind and a == b):
            raise GateError(
                f"{where}: gate {text!r} names {', '.join(unknown) or a + ' twice'}; "
                f"name rows of this suite: {', '.join(rows)}"
            )
        return Gate(str(text), "human", kind or scale, a or row, b, op, float(threshold), None)
    m = _GATE.match(str(text))
    if not m:
        raise GateError(
            f"{where}: gate {text!r} is not of the form 'variant.metric [- variant.metric] "
            "<=|>=|<|> number [(p < alpha)]'"
        )
    row, metric, minus_row, minus_metric, op, threshold, p_below = m.groups()
    gate = Gate(
        str(text),
        row,
        metric,
        minus_row,
        minus_metric,
        op,
        float(threshold),
        None if p_below is None else float(p_below),
    )
    known = list(declared(suite.scorers)) + list(COUNTS)
    for r, mt in ((row, metric), (minus_row, minus_metric)):
        if r is None:
            continue
        if r == "finetune":
            allowed = FINETUNE
        elif r == "report":
            allowed = REPORT
        elif r == "*" or r in rows:
            allowed = known
        else:
            raise GateError(
                f"{where}: gate {text!r} names {r!r}, which is not a row of this suite "
                f"(rows: {', '.join(rows)}; also *, finetune, report)"
            )
        if mt not in allowed:
            raise GateError(f"{where}: gate {text!r} names unknown metric {r}.{mt}; known: {', '.join(allowed)}")
    if minus_row is not None and (
        minus_metric != metric or "*" in (row, minus_row) or {row, minus_row} & {"finetune", "report"}
    ):
        raise GateError(f"{where}: gate {text!r}: a difference compares one metric between two named rows")
    if minus_row is not None:
        compared = [m.name for m in declared(suite.scorers).values() if m.compared]
        if metric not in compared:
            raise GateError(
                f"{where}: gate {text!r}: {metric} is not compared between rows (no paired difference is kept for "
                f"it); gate each row on it alone, or difference one of {', '.join(compared)}"
            )
    return gate


def check(gate: Gate, run_dir: Path, suite: Suite) -> Outcome:
    """Evaluate one gate on the run in `run_dir` (its current summary), for the suite that declares the gate."""
    store = RunStore(run_dir)
    run = store.run()
    if run is not None and run.plan.identity() != suite.identity():
        return Outcome(
            False,
            f"FAIL {gate.text}: {run_dir} holds a run of another suite or configuration ({run.suite}, from "
            f"{run.plan.path}); check the gates on a run of {suite.path}: ttsbench bench {suite.path} --out DIR",
        )
    try:
        summary = current_summary(store)
    except UserError as e:  # a run that does not read, or whose audio changed since it was scored
        return Outcome(False, f"FAIL {gate.text}: {e}")
    op, want = OPS[gate.op], f"{gate.op} {gate.threshold:g}" + (f" with p < {gate.p_below:g}" if gate.p_below else "")
    if gate.row == "human":
        return _human(gate, op, want, store, summary)
    if gate.minus_row is not None:
        return _difference(gate, summary, op, want)
    targets = [v.name for v in suite.variants] if gate.row == "*" else [gate.row]
    lines, passed = [], True
    for row in targets:
        value, ci, note = _value(row, gate.metric, store, summary, suite.report)
        ok = finite(value) and op(value, gate.threshold)
        passed &= ok
        ci_text = f" [{ci[0]:.4g}, {ci[1]:.4g}]" if ci and None not in ci else ""
        shown = "no value" if value is None else f"{value:.4g}{ci_text}"
        lines.append(
            f"{'ok  ' if ok else 'FAIL'} {row}.{gate.metric} = {shown}; needs {want}" + (f" ({note})" if note else "")
        )
    if not targets:
        return Outcome(False, f"FAIL {gate.text}: the run has no model variants")
    return Outcome(passed, "\n".join(lines))


def _difference(gate: Gate, summary: RunSummary, op, want: str) -> Outcome:
    found = summary.comparison(gate.row, gate.minus_row, (gate.metric, summary.metric(gate.metric).base))
    name = f"{gate.row}.{gate.metric} - {gate.minus_row}.{gate.metric}"
    if found is None or not finite(found.difference):
        return Outcome(False, f"FAIL {name} = no value (no prompts scored in both); needs {want}")
    if found.ci_low is None:
        return Outcome(
            False,
            f"FAIL {name} = {found.difference:.4g} without an interval (a row has fewer than "
            f"2 scored prompts or clips); needs {want}",
        )
    d, p = found.difference, found.p_value
    ok = op(d, gate.threshold) and (gate.p_below is None or (p is not None and p < gate.p_below))
    p_text = "p n/a" if p is None else f"p = {p:.3g}"
    return Outcome(
        ok,
        f"{'ok  ' if ok else 'FAIL'} {name} = {d:.4g} [{found.ci_low:.4g}, {found.ci_high:.4g}], "
        f"{p_text}, "
        + (f"{found.n_pairs} prompts" if found.paired else "unpaired")
        + f"; needs {want}"
        + power_note(found, gate.threshold),
    )


def _human(gate: Gate, op, want: str, store: RunStore, summary: RunSummary) -> Outcome:
    """What the listeners said (`ttsbench listen`): a preference rate, or a row's MOS / SMOS."""
    from ttsbench.listening.analysis import summary_of

    found = summary_of(store, summary)
    if gate.metric.startswith("prefer"):
        question = "natural" if gate.metric == "prefer_natural" else "similar"
        name = f"human.{gate.metric}({gate.minus_row}, {gate.minus_metric})"
        item = found.preference(gate.minus_row, gate.minus_metric, question) if found else None
        value = item.rate if item else None
    else:
        name = f"human.{gate.metric}.{gate.minus_row}"
        item = found.opinion(gate.metric, gate.minus_row) if found else None
        value = item.mean if item else None
    if item is None:
        why = "no listening test yet" if not store.ratings_path.exists() else "no answers on it yet"
        return Outcome(
            False,
            f"FAIL {name} = no value ({why}: `ttsbench listen {store.dir}`"
            + (" --mode " + gate.metric if gate.metric in ("mos", "smos") else "")
            + "); needs "
            + want,
        )
    ok = finite(value) and op(value, gate.threshold)
    ci = f" [{item.ci_low:.3g}, {item.ci_high:.3g}]" if item.ci_low is not None else ""
    flagged = sum(1 for r in found.raters if r.flagged)
    note = f", {flagged} rater(s) failed an attention check" if flagged else ""
    return Outcome(ok, f"{'ok  ' if ok else 'FAIL'} {name} = {value:.3g}{ci} ({item.n} answers{note}); needs {want}")


def power_note(found, threshold: float) -> str:
    """ "" when the comparison can tell `threshold` apart from no difference, else a sentence saying it cannot."""
    if not threshold or found.detectable is None or abs(threshold) >= found.detectable:
        return ""
    needed = prompts_needed(found.spread, threshold, found.groups)
    n = found.n_pairs if found.paired else "these"
    return (
        f"\n     power: this gate cannot reliably pass or fail with {n} prompts — they detect differences of "
        f"{found.detectable:.3g} or more (80 % power, α 0.05), the threshold is {abs(threshold):g}; "
        + (f"about {needed} prompts are needed" if needed else "no practical number of prompts reaches it")
    )


def finite(value) -> bool:
    """A value a gate can pass on: present and a real number (NaN and ±inf always fail)."""
    return value is not None and math.isfinite(value)


def _value(row: str, metric: str, store: RunStore, summary: RunSummary, report: Path | None):
    """(value, (ci_low, ci_high) or None, note) for one term."""
    if row == "finetune":
        return _finetune_value(metric, store)
    if row == "report":
        return _report_value(metric, store, report)
    if metric in COUNTS:
        counts = summary.samples.get(row)
        if not counts:
            return None, None, "no samples"
        failed, planned = counts.failed + counts.missing, counts.n + counts.missing  # missing: planned, never made
        if not planned and metric != "samples":  # a gate over nothing would pass without a word
            return None, None, f"{row} has no samples (for ground_truth: a dataset with no eval clips)"
        value = {"failed": failed, "samples": counts.n, "failed_rate": failed / planned if planned else None}[metric]
        return value, None, f"{counts.missing} planned samples missing" if counts.missing else ""
    s = summary.summary(row, metric)
    if s is None:
        return None, None, "not scored"
    return s.mean, (s.ci_low, s.ci_high), f"{s.n} scored, {s.n_failed} failed" if s.n_failed else ""


def _finetune_value(metric: str, store: RunStore):
    record = store.finetune()
    if record is None:
        return None, None, "the run used no fine-tune with a finetune.json"
    if record.diverged:
        d = record.diverged
        return None, None, f"the fine-tune diverged at step {d['step']} ({d['what']} {d['value']})"
    evals = record.eval_losses
    values = {
        "loss_drop": record.loss_drop,
        "final_loss": record.losses[-1] if record.losses else None,
        "eval_loss_drop": evals[0] - evals[-1] if len(evals) > 1 else None,
        "steps": record.steps,
    }
    return values[metric], None, f"{len(record.losses)} logged steps" if metric == "loss_drop" else ""


def _report_value(metric: str, store: RunStore, report: Path | None):
    run_dir = store.dir
    report = Path(report) if report else run_dir / "report.html"
    record = ReportRecord.read_file(report.with_suffix(".json")) if report.is_file() else None
    if record is None:
        return None, None, f"no report at {report}; run `ttsbench report {run_dir} -o {report}`"
    if report.stat().st_mtime < store.newest_change():
        return None, None, f"{report} is older than the run; write it again"
    if str(run_dir.resolve()) not in {str(Path(r).resolve()) for r in record.runs}:
        return None, None, f"{report} is not a report of {run_dir}"
    return (len(record.missing) if metric == "missing" else record.audio_elements), None, "; ".join(record.missing[:3])
