"""An SVG bar chart of per-query hot-time ratios (Granary / peer) on a log scale, drawn by
hand (no plotting dependency)."""

import math
from xml.sax.saxutils import escape

COLOURS = ["#d62728", "#1f77b4", "#2ca02c"]


def ratios_svg(series, title):
    """SVG text: one group of bars per query, one bar per peer; 1.0 is the middle line."""
    peers = list(series)
    n = len(next(iter(series.values()))) if series else 0
    width, height, left, top, bottom = 1100, 460, 60, 50, 60
    plot_w, plot_h = width - left - 20, height - top - bottom
    lo, hi = -2.0, 2.0  # log10 range: 0.01x .. 100x
    for vals in series.values():
        for v in vals:
            lo, hi = min(lo, math.floor(math.log10(v))), max(hi, math.ceil(math.log10(v)))
    y = lambda v: top + plot_h * (hi - math.log10(v)) / (hi - lo)
    group = plot_w / max(n, 1)
    bar = group * 0.8 / max(len(peers), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
             f'{escape(title)}</text>']
    for e in range(int(lo), int(hi) + 1):
        yy = y(10.0 ** e)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     f'stroke="{"#000" if e == 0 else "#ddd"}"/>')
        parts.append(f'<text x="{left - 5}" y="{yy + 4:.1f}" text-anchor="end">'
                     f'{10.0 ** e:g}x</text>')
    base = y(1.0)
    for q in range(n):
        for k, p in enumerate(peers):
            v = series[p][q]
            x = left + q * group + group * 0.1 + k * bar
            y0, y1 = sorted((base, y(v)))
            parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
                         f'height="{max(y1 - y0, 0.5):.1f}" fill="{COLOURS[k % 3]}">'
                         f'<title>Q{q} Granary/{escape(p)}: {v:.2f}</title></rect>')
        parts.append(f'<text x="{left + (q + 0.5) * group:.1f}" y="{top + plot_h + 14}" '
                     f'text-anchor="middle" font-size="9">{q}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 25}" text-anchor="middle">'
                 'query (hot time ratio, (10 ms + Granary) / (10 ms + peer); '
                 'above the line = Granary slower)</text>')
    for k, p in enumerate(peers):
        parts.append(f'<rect x="{left + k * 170}" y="{height - 16}" width="10" height="10" '
                     f'fill="{COLOURS[k % 3]}"/><text x="{left + k * 170 + 14}" '
                     f'y="{height - 7}">Granary / {escape(p)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
