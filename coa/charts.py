"""Server-side SVG bar charts of traffic (no JavaScript, no CDN; the page also has a table)."""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from coa.accounting import TrafficPoint

UNITS = ["B", "kB", "MB", "GB", "TB", "PB"]
DOWNLOAD_COLOUR = "#2b6cb0"
UPLOAD_COLOUR = "#9ac1e8"


def human_bytes(octets: int) -> str:
    """1234567 -> "1.2 MB" (powers of 1000, as ISPs count traffic)."""
    value = float(octets)
    for unit in UNITS:
        if value < 1000 or unit == UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def traffic_svg(
    points: Sequence[TrafficPoint], title: str, width: int = 720, height: int = 220
) -> SafeString:
    """A stacked bar per point (download below, upload on top), with the labels of
    the first, middle and last bars and the maximum on the axis; each bar has a
    <title> with its figures."""
    left, bottom, top = 64, 24, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((p.total for p in points), default=0) or 1
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    for n, point in enumerate(points):
        x = left + n * slot + (slot - bar_w) / 2
        h_down = plot_h * point.download / peak
        h_up = plot_h * point.upload / peak
        y_down = top + plot_h - h_down
        tip = f"{point.label}: ↓ {human_bytes(point.download)}, ↑ {human_bytes(point.upload)}"
        bars.append(
            (
                tip,
                f"{x:.1f}",
                f"{y_down:.1f}",
                f"{bar_w:.1f}",
                f"{h_down:.1f}",
                DOWNLOAD_COLOUR,
                f"{x:.1f}",
                f"{y_down - h_up:.1f}",
                f"{bar_w:.1f}",
                f"{h_up:.1f}",
                UPLOAD_COLOUR,
            )
        )
    bar_markup = format_html_join(
        "",
        '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></g>',
        bars,
    )
    label_indexes = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
        ((f"{left + (i + 0.5) * slot:.1f}", height - 6, points[i].label) for i in label_indexes),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="traffic-chart" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet">'
        "<title>{}</title>"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">0</text>'
        "{}{}</svg>",
        title,
        width,
        height,
        title,
        left,
        top + plot_h,
        width - 8,
        top + plot_h,
        left - 4,
        top + 10,
        human_bytes(peak if peak > 1 else 0),
        left - 4,
        top + plot_h,
        bar_markup,
        labels,
    )
