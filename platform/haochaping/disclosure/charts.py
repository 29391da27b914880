"""Small inline SVG charts built on the server (no JavaScript, no chart library): bars for the number of ratings per
month and a line for the satisfaction rate where it is shown (months with too few ratings have no point). The SVG
scales to the container's width, carries a title and description for screen readers, and the page prints the same
figures in a table."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass
class Point:
    label: str  # shown under the bar, e.g. "11"
    title: str  # a tooltip, e.g. "2026-11: 50 条评价，好评率 80.0%"
    count: int
    rate: float | None


WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 30, 30, 12, 22
BAR = "#9db7d5"
LINE = "#b7321c"


def bars_and_line(points: list[Point], *, title: str, description: str, chart_id: str = "chart") -> SafeString:
    n = max(1, len(points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    top_count = max([p.count for p in points] + [1])
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMidYMid meet" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>']
    base = TOP + plot_h
    # Axes: counts on the left (0 and the maximum), rate on the right (0% and 100%).
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#999" stroke-width="1"/>')
    parts.append(f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="9" text-anchor="end" fill="#555">{top_count}</text>')
    parts.append(f'<text x="{LEFT - 4}" y="{base}" font-size="9" text-anchor="end" fill="#555">0</text>')
    parts.append(f'<text x="{WIDTH - RIGHT + 4}" y="{TOP + 8}" font-size="9" fill="{LINE}">100%</text>')
    parts.append(f'<text x="{WIDTH - RIGHT + 4}" y="{base}" font-size="9" fill="{LINE}">0%</text>')
    line: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        x = LEFT + i * slot
        h = plot_h * p.count / top_count
        parts.append(f'<g class="bar"><title>{escape(p.title)}</title>'
                     f'<rect x="{x + slot * 0.15:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{BAR}" data-count="{p.count}"/></g>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 8}" font-size="9" text-anchor="middle" '
                     f'fill="#555">{escape(p.label)}</text>')
        if p.rate is not None:
            line.append((x + slot / 2, base - plot_h * p.rate))
    if len(line) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, y in line:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above; numbers are formatted
