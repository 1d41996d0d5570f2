"""The one bar chart: inline SVG (no plotting library, no script), for reports and notebooks."""

from __future__ import annotations

import html
from collections.abc import Mapping

__all__ = ["bar_chart"]

_BAR, _GAP, _WIDTH, _TITLE_HEIGHT = 22, 6, 420, 24
_COLOUR = "#4a7bd0"  # the report stylesheet's .bar colour


def bar_chart(
    counts: Mapping[str, int],
    *,
    label: str = "records per outcome",
    title: str = "",
    label_width: int = 120,
    standalone: bool = False,
) -> str:
    """A horizontal bar per key of ``counts`` (in their order), its count at the bar's end;
    "" when there are none. ``label``: what a screen reader says; ``title``: a heading drawn
    above the bars; ``label_width``: room for the keys. ``standalone``: for a page without
    the HTML report's stylesheet (a notebook): the chart carries its own colour and font."""
    items = [(str(key), int(value)) for key, value in counts.items()]
    if not items:
        return ""
    top = max(value for _, value in items) or 1
    first = _TITLE_HEIGHT if title else 0
    fill = f' fill="{_COLOUR}"' if standalone else ""
    rows = []
    for i, (name, value) in enumerate(items):
        y = first + i * (_BAR + _GAP)
        length = max(int(_WIDTH * value / top), 1)
        rows.append(
            f'<text x="0" y="{y + 16}">{html.escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{_BAR}" '
            f'class="bar"{fill}><title>{html.escape(name)}: {value}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 16}">{value}</text>'
        )
    height = first + len(items) * (_BAR + _GAP)
    total_width = label_width + _WIDTH + 80
    font = ' font-family="sans-serif" font-size="13"' if standalone else ""
    heading = f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>' if title else ""
    return (
        f'<svg role="img" aria-label="{html.escape(label)}" width="{total_width}" '
        f'height="{height}" viewBox="0 0 {total_width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"{font}>{heading}{"".join(rows)}</svg>'
    )
