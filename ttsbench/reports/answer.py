"""The answer to the user's question, first: which variant sounds most like the speaker without losing
intelligibility, and how sure that is — as one compact table (each model row against the base model
and against cloning alone, one column per compared metric: the difference with its 95 % interval,
marked better or worse and whether the interval excludes no difference) under a one-line verdict.

The report opens with it, and `Run.answer()` returns it as a DataFrame. Which metric is the voice and
which is intelligibility is what the scorers declare (`Metric.role`), never a name here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ttsbench.benchmark.records import Comparison, Metric, RunSummary


@dataclass(frozen=True)
class AnswerCell:
    metric: str
    difference: float | None  # row − against
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    direction: str  # "better", "worse" or "" (no direction, or no difference)
    excludes_zero: bool  # the interval excludes no difference: the direction is clear at 95 %
    text: str  # the difference as shown: "+0.12 [0.08, 0.16]"


@dataclass(frozen=True)
class AnswerRow:
    variant: str
    against: str  # base or cloned, or the row the suite names
    cells: tuple[AnswerCell, ...]


@dataclass(frozen=True)
class Answer:
    metrics: tuple[Metric, ...]  # the columns: compared metrics, in their scorers' order
    rows: tuple[AnswerRow, ...]
    verdict: str  # one line: the best-sounding variant, its intelligibility, and how sure


def answer_table(summary: RunSummary) -> Answer:
    """Each model row against base and cloned (the suite's model untuned), or against the row the suite names for
    it (`against`); a row of another system without one is against its own system's plain row, if any."""
    rows = [summary.variant(r) for r in summary.rows if summary.variant(r).model]
    references = [v for v in rows if v.reference]  # base (plain) first, then cloned
    references.sort(key=lambda v: v.clones)
    metrics = tuple(m for m in summary.metrics.values() if m.compared and not m.of)
    out = []
    for v in rows:
        if v.against or v.system:
            against = [v.against] if v.against else [r.name for r in rows if r.system == v.system and r.plain_of_system]
        else:  # base vs cloned once: cloned vs base
            against = [r.name for r in references if r.name != v.name and not (v.reference and r.clones)]
        for ref in against:
            if ref == v.name:
                continue
            cells = tuple(_cell(summary.comparison(v.name, ref, (m.name,)), m) for m in metrics)
            out.append(AnswerRow(v.name, ref, cells))
    return Answer(metrics, tuple(out), verdict(summary, [v.name for v in rows]))


def number(x: float | None, digits: int = 3, sign: bool = False) -> str:
    """A value as shown: `digits` decimals, never a negative zero ("-0.000" is "0.000"), "—" for none."""
    if x is None:
        return "—"
    if round(x, digits) == 0:
        x = 0.0
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def short(x: float, sign: bool = False) -> str:
    """Three significant digits, never a negative zero."""
    value = float(f"{x:.3g}") or 0.0
    return f"{value:+.3g}" if sign else f"{value:.3g}"


def _cell(c: Comparison | None, m: Metric) -> AnswerCell:
    if c is None or c.difference is None:
        return AnswerCell(m.name, None, None, None, None, "", False, "—")
    sure = c.ci_low is not None and c.ci_high is not None and (c.ci_low > 0 or c.ci_high < 0)
    sign = (c.difference > 0) - (c.difference < 0)
    direction = (
        ""
        if not sign or m.better not in ("higher", "lower")
        else ("better" if (sign > 0) == (m.better == "higher") else "worse")
    )
    digits = min(m.digits, 3)
    ci = f" [{number(c.ci_low, digits)}, {number(c.ci_high, digits)}]" if c.ci_low is not None else ""
    return AnswerCell(
        m.name, c.difference, c.ci_low, c.ci_high, c.p_value, direction, sure, number(c.difference, digits, True) + ci
    )


def verdict(summary: RunSummary, model_rows: list[str]) -> str:
    """One line: which row sounds most like the speaker (the voice metric's highest mean), whether that is
    clearly above the base model, and what it does to intelligibility."""
    voice = next((m for m in summary.metrics.values() if m.role == "voice"), None)
    words = next((m for m in summary.metrics.values() if m.role == "intelligibility"), None)
    label = f"[{summary.label}] " if summary.label else ""
    if voice is None or not model_rows:
        return label + "No similarity to the speaker was scored, so there is no verdict on the voice."
    means = [(r, summary.summary(r, voice.name)) for r in model_rows]
    means = [(r, s) for r, s in means if s is not None and s.mean is not None]
    if not means:
        return label + f"No {voice.label or voice.name} scores yet."
    best, s = max(means, key=lambda t: t[1].mean)
    base = next((r for r in model_rows if summary.variant(r).plain), None)
    name = voice.label.lower() if voice.label else voice.name
    head = f"{best} sounds most like the speaker ({name} {s.mean:.3f}"
    head += f" [{s.ci_low:.3f}, {s.ci_high:.3f}])" if s.ci_low is not None else ")"
    if base is None or best == base:
        return label + head + ("; no variant is above the base model." if best == base else ".")
    c = summary.comparison(best, base, (voice.name,))
    if c is None or c.ci_low is None:
        return label + head + f"; too few prompts to tell it from {base}."
    sure = "clearly" if c.ci_low > 0 else "not clearly (the interval includes no difference)"
    line = head + f", {sure} above {base} by {number(c.difference, 3, True)} [{number(c.ci_low)}, {number(c.ci_high)}]"
    if words is not None:
        w = summary.comparison(best, base, (words.name,))
        if w is not None and w.ci_low is not None:
            scale, unit = (words.words[2], words.words[3]) if words.words else (1.0, "")
            amount = (
                f"{short(w.difference * scale, True)}{unit} [{short(w.ci_low * scale)}, {short(w.ci_high * scale)}]"
            )
            worse = (w.ci_low > 0) if words.better == "lower" else (w.ci_high < 0)
            better = (w.ci_high < 0) if words.better == "lower" else (w.ci_low > 0)
            line += (
                f", but it is less intelligible ({amount})"
                if worse
                else f", and more intelligible ({amount})"
                if better
                else f", with no clear change in intelligibility ({amount})"
            )
    return label + line + f" — {c.n_pairs} prompts."


ARROWS = {"higher": "↑", "lower": "↓"}


def answer_html(answer: Answer) -> str:
    """The verdict and the table as HTML (the report's first screen, and a notebook's display of
    `Run.answer()`): a cell green where the row is better, red where worse, bold where the interval excludes
    no difference; its title says the same in words."""
    from html import escape

    if not answer.rows:
        return f'<p class="verdict">{escape(answer.verdict)}</p>'
    head = "".join(f"<th>{escape(m.label or m.name)} {ARROWS.get(m.better, '')}</th>" for m in answer.metrics)
    lines = []
    for row in answer.rows:
        cells = []
        for c in row.cells:
            sure = "clear" if c.excludes_zero else "unclear"
            words = (f"{c.direction} than {row.against}" if c.direction else "no direction") + (
                ", the interval excludes no difference" if c.excludes_zero else ", the interval includes no difference"
            )
            value, _, ci = c.text.partition(" [")
            shown = escape(value) + (f'<br><span class="ci">[{escape(ci)}</span>' if ci else "")
            cells.append(f'<td class="{c.direction or "neutral"} {sure}" title="{escape(words)}">{shown}</td>')
        lines.append(f"<tr><td>{escape(row.variant)}</td><td>{escape(row.against)}</td>{''.join(cells)}</tr>")
    style = (
        "<style>.answer td.better{background:#e3f4e1}.answer td.worse{background:#fbe3e1}"
        ".answer td.clear{font-weight:600}.answer td.unclear{color:#666}.answer td,.answer th"
        "{border:1px solid #ddd;padding:3px 6px;font-size:13px}.answer .ci{font-size:11px;white-space:nowrap}"
        ".answer{border-collapse:collapse;max-width:100%}"
        ".verdict{font-size:15px;font-weight:600}</style>"
    )
    return (
        f'{style}<p class="verdict">{escape(answer.verdict)}</p>'
        f'<div class="gridbox"><table class="answer"><tr><th>variant</th><th>against</th>{head}</tr>'
        f"{''.join(lines)}</table></div>"
        '<p class="small">Each cell: the row minus the other on the same prompts and seeds, with its 95 % '
        "interval; green better, red worse (↑ higher is better, ↓ lower is better), bold where the interval "
        "excludes no difference.</p>"
    )
