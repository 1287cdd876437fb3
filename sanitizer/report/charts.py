"""Inline SVG charts for the HTML report: drawn here in Python, no script, no external resource.

Every chart carries a <title> and a <desc> that say in words what it shows, prints its numbers
next to the marks (colour is never the only carrier of meaning), and uses colours readable with the
common colour-vision deficiencies. All text is escaped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from markupsafe import Markup, escape

WIDTH = 680
ROW = 26
CHAR_PX = 7.2  # average glyph width at 12 px in a system sans-serif
BAR = "#2f5d8a"
HIGHLIGHT = "#a34700"
LOW_SHADE = (0xEE, 0xF3, 0xF8)
HIGH_SHADE = (0x1F, 0x4E, 0x79)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, int]],
    *,
    highlight: Collection[str] = (),
    highlight_note: str = "",
) -> Markup:
    """Horizontal bars, one per label, each value printed at its end; highlights are hatched."""
    if not bars:
        return Markup("")
    label_w = _label_width([label for label, _ in bars])
    value_w = 70
    plot_w = WIDTH - label_w - value_w
    top = 8
    height = top + ROW * len(bars) + (22 if highlight_note else 8)
    peak = max(value for _, value in bars) or 1
    parts = [_open(chart_id, title, description, height)]
    parts.append(
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{HIGHLIGHT}"/>'
        '<rect width="2" height="6" fill="#ffffff" fill-opacity="0.45"/></pattern></defs>'
    )
    for i, (label, value) in enumerate(bars):
        y = top + i * ROW
        is_marked = label in highlight
        bar_w = max(plot_w * value / peak, 2 if value else 0)
        fill = f"url(#{chart_id}-hatch)" if is_marked else BAR
        weight = ' font-weight="700"' if is_marked else ""
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12"{weight}>'
            f"{_fit(label, label_w)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w:.1f}" height="{ROW - 8}" fill="{fill}">'
            f"<title>{escape(label)}: {value:,}</title></rect>"
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 17}" font-size="12"{weight}>'
            f"{value:,}</text>"
        )
    if highlight_note:
        y = top + ROW * len(bars) + 14
        parts.append(
            f'<rect x="{label_w}" y="{y - 10}" width="14" height="12" '
            f'fill="url(#{chart_id}-hatch)"/>'
            f'<text x="{label_w + 20}" y="{y}" font-size="12">{escape(highlight_note)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text part above is escaped)


def heatmap(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[str],
    columns: Sequence[str],
    counts: dict[tuple[str, str], int],
) -> Markup:
    """A grid of rows x columns; each cell is shaded by its count and prints the count."""
    if not rows or not columns:
        return Markup("")
    label_w = _label_width(rows)
    header_h = min(max(len(c) for c in columns) * CHAR_PX * 0.72 + 16, 130)
    cell_w = max(min((WIDTH - label_w) / len(columns), 90), 34)
    cell_h = 28
    width = max(WIDTH, label_w + cell_w * len(columns) + 40)
    height = header_h + cell_h * len(rows) + 8
    peak = max(counts.values(), default=0) or 1
    parts = [_open(chart_id, title, description, height, width)]
    for j, column in enumerate(columns):
        x = label_w + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{header_h - 6:.1f}" font-size="11" '
            f'transform="rotate(-40 {x:.1f} {header_h - 6:.1f})">{_fit(column, 130)}</text>'
        )
    for i, row in enumerate(rows):
        y = header_h + i * cell_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18:.1f}" text-anchor="end" font-size="12">'
            f"{_fit(row, label_w)}</text>"
        )
        for j, column in enumerate(columns):
            n = counts.get((row, column), 0)
            shade = 0.15 + 0.85 * n / peak  # any count is visibly darker than an empty cell
            fill = _shade(shade) if n else "#ffffff"
            ink = "#ffffff" if n and shade > 0.55 else ("#1a1a1a" if n else "#6b6b6b")
            x = label_w + j * cell_w
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" '
                f'fill="{fill}" stroke="#c9d3de"><title>{escape(row)}, {escape(column)}: {n}'
                f"</title></rect>"
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 18:.1f}" text-anchor="middle" '
                f'font-size="12" fill="{ink}">{n}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text part above is escaped)


def _open(chart_id: str, title: str, description: str, height: float, width: float = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _label_width(labels: Sequence[str]) -> int:
    longest = max((len(label) for label in labels), default=4)
    return int(min(max(longest * CHAR_PX + 16, 80), 280))


def _fit(label: str, width: float) -> Markup:
    """The label, shortened with an ellipsis when it would not fit in `width` pixels (escaped)."""
    room = max(int((width - 12) / CHAR_PX), 4)
    shown = label if len(label) <= room else label[: room - 1] + "…"
    return escape(shown)


def _shade(share: float) -> str:
    channels = (round(lo + (hi - lo) * share) for lo, hi in zip(LOW_SHADE, HIGH_SHADE, strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)
