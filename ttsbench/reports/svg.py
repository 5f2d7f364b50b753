"""Small inline-SVG charts for the report: no plotting library, nothing fetched, text escaped.

Two shapes cover the report: `dots` (one row per label: a point and its 95 % interval) and
`lines` (series of (x, y[, low, high]) points: loss curves, learning curves with whiskers).
"""

from __future__ import annotations

import math
from html import escape

# how a chart looks, in the report and in a chart saved on its own (`api.Chart.save`)
STYLE = (
    "svg.chart text { font-size: 11px; fill: #333; font-family: sans-serif; } "
    "svg.chart .title { font-size: 13px; font-weight: 600; } svg.chart .grid { stroke: #eee; } "
    "svg.chart .whisker { stroke: #555; stroke-width: 2; }"
)

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _ticks(low: float, high: float, n: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    step = 10 ** math.floor(math.log10((high - low) / n))
    for m in (1, 2, 5, 10):
        if (high - low) / (step * m) <= n:
            step *= m
            break
    first = math.ceil(low / step) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _frame(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" class="title">{escape(title)}</text>',
    ]


def dots(
    rows: list[tuple[str, float | None, float | None, float | None]], title: str, xlabel: str, width: int = 520
) -> str:
    """Horizontal dot plot: per label a point at the mean and a whisker over [low, high]."""
    have = [r for r in rows if r[1] is not None]
    values = [v for r in have for v in r[1:] if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.08 or 0.05
    low, high = low - pad, high + pad
    left, right, top, row_h = 130, 20, 28, 22
    height = top + row_h * len(rows) + 40

    def x(v):
        return left + (v - low) / (high - low) * (width - left - right)

    parts = _frame(width, height, title)
    for t in _ticks(low, high):
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{height - 36}" class="grid"/>'
            f'<text x="{x(t):.1f}" y="{height - 22}" text-anchor="middle">{_fmt(t)}</text>'
        )
    for k, (label, mean, lo, hi) in enumerate(rows):
        y = top + row_h * k + row_h / 2
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        if mean is None:
            parts.append(f'<text x="{left + 4}" y="{y + 4:.1f}" class="missing">no value</text>')
            continue
        if lo is not None and hi is not None:
            parts.append(f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y:.1f}" y2="{y:.1f}" class="whisker"/>')
        parts.append(
            f'<circle cx="{x(mean):.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[k % len(COLOURS)]}">'
            f"<title>{escape(label)}: {_fmt(mean)}</title></circle>"
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">{escape(xlabel)}</text>'
    )
    return "".join(parts) + "</svg>"


def lines(
    series: dict[str, list[tuple]],
    title: str,
    xlabel: str,
    ylabel: str,
    width: int = 520,
    height: int = 260,
    log_x: bool = False,
) -> str:
    """Line chart; a point given as (x, y, low, high) gets a whisker."""
    pts = [p for s in series.values() for p in s if p[1] is not None]
    if not pts:
        return f'<p class="missing">{escape(title)}: no points yet</p>'
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    xs = [fx(p[0]) for p in pts]
    ys = [v for p in pts for v in p[1:] if v is not None]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.08 or 0.05
    y0, y1 = y0 - pad, y1 + pad
    left, right, top, bottom = 56, 190, 28, 40

    def px(v):
        return left + (fx(v) - x0) / (x1 - x0) * (width - left - right)

    def py(v):
        return height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom)

    parts = _frame(width, height, title)
    for t in _ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    x_ticks = sorted({p[0] for p in pts}) if log_x or len({p[0] for p in pts}) <= 8 else [t for t in _ticks(x0, x1)]
    for t in x_ticks:
        parts.append(f'<text x="{px(t):.1f}" y="{height - bottom + 16}" text-anchor="middle">{_fmt(t)}</text>')
    for k, (name, points) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        good = [p for p in points if p[1] is not None]
        if len(good) > 1:
            path = " ".join(f"{px(p[0]):.1f},{py(p[1]):.1f}" for p in good)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        for p in good:
            if len(p) >= 4 and p[2] is not None and p[3] is not None:
                parts.append(
                    f'<line x1="{px(p[0]):.1f}" x2="{px(p[0]):.1f}" y1="{py(p[2]):.1f}" '
                    f'y2="{py(p[3]):.1f}" stroke="{colour}" stroke-width="1.5" opacity="0.6"/>'
                )
            if len(good) <= 40:
                parts.append(
                    f'<circle cx="{px(p[0]):.1f}" cy="{py(p[1]):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(name)} at {_fmt(p[0])}: {_fmt(p[1])}</title></circle>"
                )
        parts.append(f'<text x="{width - right + 8}" y="{top + 14 + 16 * k}" fill="{colour}">{escape(name)}</text>')
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">{escape(xlabel)}</text>'
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">'
        f"{escape(ylabel)}</text>"
    )
    return "".join(parts) + "</svg>"
