"""Server-side SVG charts: no JavaScript, nothing fetched at run time.

Each function returns markup that is safe to put in a template. Labels are
escaped; numbers are ints (points, fen, counts) or floats for rates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#b4282d", "#d4a640", "#4f6bd8", "#2f8f6b", "#8e9aaf", "#7c3aed"]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    color: str = ""


def nice_max(value: float) -> float:
    """The smallest 1/2/5×10^n at or above ``value`` (an axis top a person reads easily)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def compact(value: float) -> str:
    """12,345 -> 12.3k; 1,200,000 -> 1.2M; small numbers as they are."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.1f}M".replace(".0M", "M")
    if v >= 10_000:
        return f"{sign}{v / 1000:.0f}k"
    if v >= 1000:
        return f"{sign}{v / 1000:.1f}k".replace(".0k", "k")
    if v != int(v):
        return f"{value:.1f}"
    return f"{int(value)}"


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str] = compact,
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """Grouped vertical bars, one group per label, one bar per series."""
    left, right, top, bottom = 48, 12, 28 if len(series) > 1 else 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max([v for s in series for v in s.values] or [0]))
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = max(2.0, min(28.0, group_w * 0.8 / max(len(series), 1)))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    every = max(1, int(n / 12 + 0.999))
    for gi, label in enumerate(labels):
        gx = left + group_w * gi + (group_w - bar_w * len(series)) / 2
        for si, s in enumerate(series):
            value = s.values[gi] if gi < len(s.values) else 0
            h = plot_h * value / top_value if top_value else 0
            color = s.color or PALETTE[si % len(PALETTE)]
            x = gx + si * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" rx="2" fill="{color}"><title>{escape(s.name)} · '
                f"{escape(label)}: {escape(fmt(value))}</title></rect>"
            )
        if gi % every == 0:
            parts.append(
                f'<text x="{left + group_w * gi + group_w / 2:.1f}" y="{height - bottom + 18}" '
                f'class="axis" text-anchor="middle">{escape(label)}</text>'
            )
    if len(series) > 1:
        x = left
        for si, s in enumerate(series):
            color = s.color or PALETTE[si % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="6" width="12" height="12" rx="2" fill="{color}"/>'
                f'<text x="{x + 16}" y="16" class="legend">{escape(s.name)}</text>'
            )
            x += 28 + 13 * len(s.name) if s.name.isascii() else 28 + 15 * len(s.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def hbar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Callable[[float], str] = compact,
    width: int = 480,
    highlight: str = "",
    max_value: float | None = None,
) -> SafeString:
    """Horizontal bars with the value at the end: best for a few named categories."""
    row_h, label_w, pad = 30, 100, 8
    height = max(row_h * len(rows) + pad * 2, 40)
    plot_w = width - label_w - 80
    top_value = max_value or nice_max(max([v for _, v in rows] or [0]))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = pad + i * row_h
        w = plot_w * value / top_value if top_value else 0
        color = PALETTE[0] if not highlight or label == highlight else PALETTE[4]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" class="label" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{plot_w}" height="{row_h - 10}" rx="4" '
            f'class="track"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="4" '
            f'fill="{color}"/>'
            f'<text x="{label_w + plot_w + 8}" y="{y + 19}" class="value">'
            f"{escape(fmt(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped
