"""Small server-side SVG charts (no JavaScript, no CDN: the strict CSP allows them, and
they print). A chart is a figure over time: a line through its points, each point with
a <title> that says its date and value, the maximum on the axis and the first, middle
and last dates below."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

LINE_COLOUR = "#2b6cb0"
FILL_COLOUR = "#dbe8f6"


@dataclass(frozen=True)
class Point:
    label: str  # the date, as shown
    value: Decimal | int
    text: str  # the value, as shown (with its unit)


def line_svg(points: Sequence[Point], title: str, width: int = 360, height: int = 140) -> SafeString:
    """A line chart of ``points`` (left to right), the area under it shaded; zero at the
    bottom, the largest value at the top."""
    left, right, bottom, top = 8, 8, 20, 16
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max((float(p.value) for p in points), default=0.0)
    low = min((float(p.value) for p in points), default=0.0)
    floor = min(low, 0.0)
    span = (peak - floor) or 1.0
    step = plot_w / max(len(points) - 1, 1)

    def xy(n: int, point: Point) -> tuple[str, str]:
        x = left + n * step
        y = top + plot_h * (1 - (float(point.value) - floor) / span)
        return f"{x:.1f}", f"{y:.1f}"

    coordinates = [xy(n, point) for n, point in enumerate(points)]
    line = " ".join(f"{x},{y}" for x, y in coordinates)
    base = f"{top + plot_h:.1f}"
    area = f"{left:.1f},{base} {line} {coordinates[-1][0]},{base}" if coordinates else ""
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>',
        (
            (x, y, LINE_COLOUR, point.label, point.text)
            for (x, y), point in zip(coordinates, points, strict=True)
        ),
    )
    label_indexes = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    anchors = {0: "start", len(points) - 1: "end"}
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" text-anchor="{}">{}</text>',
        ((coordinates[i][0], height - 4, anchors.get(i, "middle"), points[i].label) for i in label_indexes),
    )
    peak_text = max(points, key=lambda p: p.value).text if points else ""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="line-chart" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet">'
        "<title>{}</title>"
        '<polygon points="{}" fill="{}"/>'
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>'
        '<text x="{}" y="11" font-size="11">{}</text>'
        "{}{}</svg>",
        title,
        width,
        height,
        title,
        area,
        FILL_COLOUR,
        line,
        LINE_COLOUR,
        left,
        base,
        width - right,
        base,
        left,
        peak_text,
        dots,
        labels,
    )
