"""Server-rendered SVG charts shared by every app: trend lines, 5×5 heat maps, lane maps.

Charts are built as XML elements (``xml.etree``), never by pasting strings together, so every
text a person typed is escaped and the result is always well-formed. Each function returns the
SVG document as a string, ready to inline in a page (``|safe``) or serve as ``image/svg+xml``.
Colours are attributes rather than CSS so a downloaded SVG looks the same as the inline one.
"""

import math
import unicodedata
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT = 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'

#: Traffic-light and level colours (match static/css/portal.css).
COLOURS = {
    "green": "#1e7b34",
    "amber": "#d08a00",
    "red": "#b3261e",
    "low": "#cfe8d3",
    "medium": "#fbe7a8",
    "high": "#f6b27a",
    "critical": "#e57368",
    "ink": "#1d2733",
    "muted": "#5b6878",
    "line": "#d6dde5",
    "brand": "#0b5394",
}


def _fmt(number):
    """Coordinates with at most one decimal, so the SVG stays small and stable."""
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _svg(width, height, title, description=""):
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "xmlns:xlink": XLINK_NS,
            "viewBox": f"0 0 {_fmt(width)} {_fmt(height)}",
            "width": _fmt(width),
            "height": _fmt(height),
            "role": "img",
            "aria-labelledby": "chart-title",
            "font-family": FONT,
            "class": "chart",
        },
    )
    ET.SubElement(root, "title", {"id": "chart-title"}).text = str(title)
    if description:
        ET.SubElement(root, "desc").text = str(description)
    return root


def _el(parent, tag, text=None, **attributes):
    attrs = {key.rstrip("_").replace("_", "-"): _value(value) for key, value in attributes.items()}
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = str(text)
    return element


def _value(value):
    return _fmt(value) if isinstance(value, float) else str(value)


def _link(parent, url):
    """A clickable group (SVG 2 ``href`` plus ``xlink:href`` for older viewers)."""
    if not url:
        return _el(parent, "g")
    return ET.SubElement(parent, "a", {"href": str(url), "xlink:href": str(url)})


def _to_string(root):
    return ET.tostring(root, encoding="unicode")


def display_width(text):
    """Width of text in 'narrow character' units: CJK characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten(text, width):
    """Cut ``text`` to ``width`` narrow-character units, with an ellipsis when cut."""
    text = str(text)
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            break
        kept.append(ch)
    return "".join(kept) + "…"


# --- Trend chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    colour: str = "brand"
    note: str = ""


@dataclass(frozen=True)
class ReferenceLine:
    label: str
    value: float
    colour: str


def _nice_ticks(low, high, count=5):
    if high == low:
        high, low = high + 1, low - 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks, tick = [], first
    while tick <= high + step * 0.5:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def trend_chart(points, *, title, lines=(), unit="", width=760, height=280):
    """A line chart of ``points`` in order, dots coloured by status, with dashed reference lines."""
    root = _svg(width, height, title)
    left, right, top, bottom = 56, 120, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p.value for p in points] + [line.value for line in lines]
    if not points:
        _el(
            root,
            "text",
            _("No measurements yet."),
            x=width / 2,
            y=height / 2,
            text_anchor="middle",
            fill=COLOURS["muted"],
            font_size=14,
        )
        return _to_string(root)
    ticks = _nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]

    def y(value):
        return top + plot_h - (value - low) / (high - low) * plot_h

    def x(index):
        return left + (plot_w / 2 if len(points) == 1 else index * plot_w / (len(points) - 1))

    axis = _el(root, "g", font_size=11, fill=COLOURS["muted"])
    for tick in ticks:
        _el(
            axis,
            "line",
            x1=float(left),
            x2=float(left + plot_w),
            y1=y(tick),
            y2=y(tick),
            stroke=COLOURS["line"],
        )
        _el(axis, "text", f"{tick:g}", x=float(left - 6), y=y(tick) + 4, text_anchor="end")
    if unit:
        _el(axis, "text", unit, x=4.0, y=float(top + 4), dominant_baseline="hanging")
    step = max(1, math.ceil(len(points) / 12))
    for index, point in enumerate(points):
        if (len(points) - 1 - index) % step == 0:  # counted from the newest, which is always shown
            _el(
                axis,
                "text",
                point.label,
                x=x(index),
                y=float(height - bottom + 18),
                text_anchor="middle",
            )
    for line in lines:
        colour = COLOURS.get(line.colour, line.colour)
        _el(
            root,
            "line",
            x1=float(left),
            x2=float(left + plot_w),
            y1=y(line.value),
            y2=y(line.value),
            stroke=colour,
            stroke_dasharray="6 4",
            stroke_width=1.5,
        )
        _el(
            root,
            "text",
            f"{line.label} {line.value:g}",
            x=float(left + plot_w + 6),
            y=y(line.value) + 4,
            fill=colour,
            font_size=11,
        )
    coordinates = " ".join(f"{_fmt(x(i))},{_fmt(y(p.value))}" for i, p in enumerate(points))
    _el(root, "polyline", points=coordinates, fill="none", stroke=COLOURS["brand"], stroke_width=2)
    for index, point in enumerate(points):
        dot = _el(
            root,
            "circle",
            cx=x(index),
            cy=y(point.value),
            r=4.5,
            fill=COLOURS.get(point.colour, point.colour),
            stroke="#fff",
        )
        tip = f"{point.label}: {point.value:g}{(' ' + unit) if unit else ''}"
        _el(dot, "title", f"{tip} {point.note}".strip())
    return _to_string(root)


# --- Heat map ------------------------------------------------------------------------------


def heat_map(
    counts, *, title, colour_of, url_of=None, x_label="Likelihood", y_label="Impact", size=5
):
    """A size × size grid: x grows to the right, y grows upwards; cells show how many items.

    ``counts`` maps (x, y) to a number, ``colour_of(x, y)`` names the cell colour and
    ``url_of(x, y)`` (optional) makes cells with items clickable.
    """
    cell, left, top = 64, 64, 16
    width, height = left + size * cell + 16, top + size * cell + 56
    root = _svg(width, height, title)
    for x in range(1, size + 1):
        for y in range(1, size + 1):
            count = counts.get((x, y), 0)
            px, py = left + (x - 1) * cell, top + (size - y) * cell
            group = _link(root, url_of(x, y) if url_of and count else None)
            _el(group, "title", f"{x_label} {x} × {y_label} {y}: {count}")
            _el(
                group,
                "rect",
                x=float(px),
                y=float(py),
                width=float(cell - 2),
                height=float(cell - 2),
                fill=COLOURS.get(colour_of(x, y), colour_of(x, y)),
                rx=3.0,
            )
            if count:
                _el(
                    group,
                    "text",
                    count,
                    x=px + cell / 2 - 1,
                    y=py + cell / 2 + 6,
                    text_anchor="middle",
                    font_size=18,
                    font_weight="700",
                    fill=COLOURS["ink"],
                )
    axis = _el(root, "g", font_size=12, fill=COLOURS["muted"], text_anchor="middle")
    for n in range(1, size + 1):
        _el(axis, "text", n, x=left + (n - 0.5) * cell, y=float(top + size * cell + 16))
        _el(axis, "text", n, x=float(left - 14), y=top + (size - n + 0.5) * cell + 4)
    _el(axis, "text", x_label, x=left + size * cell / 2, y=float(height - 12), font_weight="600")
    _el(
        axis,
        "text",
        y_label,
        x=16.0,
        y=top + size * cell / 2,
        font_weight="600",
        transform=f"rotate(-90 16 {_fmt(top + size * cell / 2)})",
    )
    return _to_string(root)


# --- Lane map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    key: object
    code: str
    name: str
    url: str = ""
    colour: str = "#ffffff"


@dataclass(frozen=True)
class Edge:
    source: object
    target: object
    label: str = ""


NODE_W, NODE_H, GAP_X, GAP_Y, LANE_LABEL_W, LANE_PAD = 172, 50, 30, 36, 150, 18


def _lane_positions(lanes, width):
    """Grid positions of every node, lane by lane: {key: (centre x, centre y)}, lane boxes."""
    columns = max(1, int((width - LANE_LABEL_W - LANE_PAD) // (NODE_W + GAP_X)))
    positions, boxes, y = {}, [], 8.0
    for label, nodes in lanes:
        rows = max(1, math.ceil(len(nodes) / columns))
        lane_h = rows * NODE_H + (rows - 1) * GAP_Y + 2 * LANE_PAD
        boxes.append((label, y, lane_h))
        for index, node in enumerate(nodes):
            row, column = divmod(index, columns)
            cx = LANE_LABEL_W + LANE_PAD + column * (NODE_W + GAP_X) + NODE_W / 2
            cy = y + LANE_PAD + row * (NODE_H + GAP_Y) + NODE_H / 2
            positions[node.key] = (cx, cy)
        y += lane_h + 10
    return positions, boxes, y


def _border_point(centre, towards, margin=3):
    """Where the line from ``centre`` towards ``towards`` leaves the node's box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    half_w, half_h = NODE_W / 2 + margin, NODE_H / 2 + margin
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return centre[0] + dx * t, centre[1] + dy * t


def _edge_path(start, end):
    """A gentle curve bent to the right of its direction, so A→B and B→A do not overlap."""
    a, b = _border_point(start, end), _border_point(end, start)
    length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1
    bend = 14 + length * 0.12
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = (b[1] - a[1]) / length, -(b[0] - a[0]) / length
    control = (mx + nx * bend, my + ny * bend)
    start_xy, control_xy, end_xy = (f"{_fmt(p[0])},{_fmt(p[1])}" for p in (a, control, b))
    return f"M{start_xy} Q{control_xy} {end_xy}"


def _draw_node(parent, node, centre):
    group = _link(parent, node.url)
    _el(group, "title", f"{node.code} · {node.name}")
    _el(
        group,
        "rect",
        x=centre[0] - NODE_W / 2,
        y=centre[1] - NODE_H / 2,
        width=float(NODE_W),
        height=float(NODE_H),
        rx=6.0,
        fill=node.colour,
        stroke=COLOURS["brand"],
        stroke_width=1.2,
    )
    _el(
        group,
        "text",
        shorten(node.code, 22),
        x=centre[0],
        y=centre[1] - 5,
        text_anchor="middle",
        font_size=12,
        font_weight="700",
        fill=COLOURS["brand"],
    )
    _el(
        group,
        "text",
        shorten(node.name, 27),
        x=centre[0],
        y=centre[1] + 13,
        text_anchor="middle",
        font_size=11,
        fill=COLOURS["ink"],
    )


def lane_map(lanes, edges, *, title, width=1180):
    """Nodes in horizontal lanes (one per group), laid out on a grid; arrows for the edges.

    ``lanes`` is [(label, [Node])] in display order. The layout is computed, never hand-placed,
    and stays readable at 60+ nodes: fixed-size boxes, wrapped rows, names shortened with the
    full name as a tooltip.
    """
    positions, boxes, height = _lane_positions(lanes, width)
    root = _svg(width, height, title)
    defs = _el(root, "defs")
    marker = _el(
        defs,
        "marker",
        id="arrow",
        viewBox="0 0 10 10",
        refX=9.0,
        refY=5.0,
        markerWidth=7.0,
        markerHeight=7.0,
        orient="auto-start-reverse",
    )
    _el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=COLOURS["muted"])
    for label, y, lane_h in boxes:
        _el(
            root,
            "rect",
            x=4.0,
            y=y,
            width=float(width - 8),
            height=lane_h,
            rx=8.0,
            fill="#f3f6f9",
            stroke=COLOURS["line"],
        )
        _el(
            root,
            "text",
            label,
            x=16.0,
            y=y + 24,
            font_size=14,
            font_weight="700",
            fill=COLOURS["muted"],
        )
    edge_layer = _el(
        root, "g", fill="none", stroke=COLOURS["muted"], stroke_opacity="0.55", stroke_width=1.3
    )
    for edge in edges:
        if edge.source not in positions or edge.target not in positions:
            continue
        path = _el(
            edge_layer,
            "path",
            d=_edge_path(positions[edge.source], positions[edge.target]),
            marker_end="url(#arrow)",
        )
        if edge.label:
            _el(path, "title", edge.label)
    node_layer = _el(root, "g")
    for _label, nodes in lanes:
        for node in nodes:
            _draw_node(node_layer, node, positions[node.key])
    return _to_string(root)


# --- Bar chart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    url: str = ""
    colour: str = "brand"


def bar_chart(bars, *, title, width=420, bar_height=22, label_width=150, empty_text=None):
    """Horizontal bars with their value at the end; each bar links to the list behind it."""
    bars = list(bars)
    height = max(1, len(bars)) * (bar_height + 8) + 16
    root = _svg(width, height, title)
    if not bars:
        _el(
            root,
            "text",
            empty_text or _("Nothing to show."),
            x=width / 2,
            y=height / 2 + 4,
            text_anchor="middle",
            fill=COLOURS["muted"],
            font_size=13,
        )
        return _to_string(root)
    top = max(b.value for b in bars) or 1
    plot_w = width - label_width - 56
    for index, bar in enumerate(bars):
        y = 8 + index * (bar_height + 8)
        group = _link(root, bar.url)
        _el(group, "title", f"{bar.label}: {bar.value:g}")
        _el(
            group,
            "text",
            shorten(bar.label, label_width // 7),
            x=float(label_width - 6),
            y=y + bar_height / 2 + 4,
            text_anchor="end",
            font_size=12,
            fill=COLOURS["ink"],
        )
        _el(
            group,
            "rect",
            x=float(label_width),
            y=float(y),
            width=max(2.0, bar.value / top * plot_w),
            height=float(bar_height),
            rx=3.0,
            fill=COLOURS.get(bar.colour, bar.colour),
        )
        _el(
            group,
            "text",
            f"{bar.value:g}",
            x=label_width + max(2.0, bar.value / top * plot_w) + 6,
            y=y + bar_height / 2 + 4,
            font_size=12,
            font_weight="700",
            fill=COLOURS["ink"],
        )
    return _to_string(root)


# --- Labelled cell grid --------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    label: str
    colour: str
    url: str = ""
    tip: str = ""


def cell_grid(rows, *, title, cell_w=56, cell_h=34, label_width=190):
    """Rows of labelled, coloured cells (a heat map of uneven rows, e.g. clauses by chapter).

    ``rows`` is [(row label, [Cell])]; a cell with a url is clickable, its tip is the tooltip.
    """
    rows = list(rows)
    columns = max((len(cells) for _label, cells in rows), default=1) or 1
    width = label_width + columns * cell_w + 8
    height = len(rows) * cell_h + 8
    root = _svg(width, height, title)
    for r, (label, cells) in enumerate(rows):
        y = 4 + r * cell_h
        _el(
            root,
            "text",
            shorten(label, label_width // 7),
            x=float(label_width - 8),
            y=y + cell_h / 2 + 4,
            text_anchor="end",
            font_size=12,
            fill=COLOURS["ink"],
        )
        for c, cell in enumerate(cells):
            group = _link(root, cell.url)
            _el(group, "title", cell.tip or cell.label)
            x = label_width + c * cell_w
            _el(
                group,
                "rect",
                x=float(x),
                y=float(y),
                width=float(cell_w - 3),
                height=float(cell_h - 3),
                rx=3.0,
                fill=COLOURS.get(cell.colour, cell.colour),
            )
            _el(
                group,
                "text",
                cell.label,
                x=x + (cell_w - 3) / 2,
                y=y + cell_h / 2 + 3,
                text_anchor="middle",
                font_size=11,
                fill=COLOURS["ink"],
            )
    return _to_string(root)


# --- Radar and quadrant (self-assessment) -----------------------------------------------------


@dataclass(frozen=True)
class RadarSeries:
    label: str
    values: tuple  # one value per axis, 0..maximum
    colour: str = "brand"


@dataclass(frozen=True)
class QuadrantItem:
    label: str
    colour: str  # a COLOURS key or a colour
    tip: str = ""
    url: str = ""


def _radar_point(centre, radius, index, count, fraction):
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return (
        centre + math.cos(angle) * radius * fraction,
        centre + math.sin(angle) * radius * fraction,
    )


def radar_chart(axes, series, *, title, maximum=100, size=420, rings=4):
    """A radar (spider) chart: one axis per label, one closed polygon per series.

    ``axes`` are the axis labels; each :class:`RadarSeries` has one value per axis. Values are
    drawn as a fraction of ``maximum``; the legend lists the series.
    """
    axes, series = list(axes), list(series)
    count = max(3, len(axes))
    legend_h = 20 * len(series)
    root = _svg(size + 160, size + legend_h + 10, title)
    centre, radius = size / 2 + 80, size / 2 - 50
    for ring in range(1, rings + 1):
        points = [_radar_point(centre, radius, i, count, ring / rings) for i in range(count)]
        _el(
            root,
            "polygon",
            points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points),
            fill="none",
            stroke=COLOURS["line"],
        )
    for index, label in enumerate(axes):
        x, y = _radar_point(centre, radius, index, count, 1)
        _el(root, "line", x1=centre, y1=centre, x2=x, y2=y, stroke=COLOURS["line"])
        lx, ly = _radar_point(centre, radius + 22, index, count, 1)
        anchor = "middle" if abs(lx - centre) < 5 else ("start" if lx > centre else "end")
        _el(
            root,
            "text",
            shorten(label, 28),
            x=lx,
            y=ly + 4,
            text_anchor=anchor,
            font_size=12,
            fill=COLOURS["ink"],
        )
    for number, line in enumerate(series):
        colour = COLOURS.get(line.colour, line.colour)
        values = list(line.values) + [0] * (count - len(line.values))
        points = [
            _radar_point(centre, radius, i, count, max(0.0, min(1.0, v / maximum)))
            for i, v in enumerate(values[:count])
        ]
        polygon = _el(
            root,
            "polygon",
            points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points),
            fill=colour,
            fill_opacity="0.18",
            stroke=colour,
            stroke_width="2",
        )
        _el(
            polygon,
            "title",
            f"{line.label}: " + ", ".join(f"{a} {v:g}" for a, v in zip(axes, values, strict=False)),
        )
        y = size + 4 + number * 20
        _el(root, "rect", x=20.0, y=float(y), width=14.0, height=10.0, fill=colour)
        _el(root, "text", line.label, x=40.0, y=y + 9.0, font_size=12, fill=COLOURS["ink"])
    return _to_string(root)


def quadrant_chart(quadrants, *, title, width=760, cell=30):
    """Four quadrants (one per area), each a titled grid of coloured, labelled squares.

    ``quadrants`` is [(title, [QuadrantItem])] with four entries, drawn left to right, top to
    bottom; a one-page view of every indicator's level.
    """
    quadrants = list(quadrants)[:4]
    per_row = max(1, (width // 2 - 24) // (cell + 6))
    rows_needed = max((math.ceil(len(items) / per_row) for _t, items in quadrants), default=1)
    quad_h = 34 + max(1, rows_needed) * (cell + 6) + 10
    root = _svg(width, quad_h * 2 + 4, title)
    for index, (heading, items) in enumerate(quadrants):
        qx, qy = (index % 2) * (width / 2), (index // 2) * quad_h
        _el(
            root,
            "rect",
            x=qx + 2,
            y=qy + 2,
            width=width / 2 - 4,
            height=float(quad_h - 4),
            fill="none",
            stroke=COLOURS["line"],
            rx=6.0,
        )
        _el(
            root,
            "text",
            shorten(heading, int(width / 2 / 7)),
            x=qx + 12,
            y=qy + 22,
            font_size=13,
            font_weight="700",
            fill=COLOURS["ink"],
        )
        for n, item in enumerate(items):
            x = qx + 12 + (n % per_row) * (cell + 6)
            y = qy + 32 + (n // per_row) * (cell + 6)
            group = _link(root, item.url)
            _el(group, "title", item.tip or item.label)
            _el(
                group,
                "rect",
                x=float(x),
                y=float(y),
                width=float(cell),
                height=float(cell),
                rx=4.0,
                fill=COLOURS.get(item.colour, item.colour),
            )
            _el(
                group,
                "text",
                shorten(item.label, 5),
                x=x + cell / 2,
                y=y + cell / 2 + 4,
                text_anchor="middle",
                font_size=10,
                fill="#ffffff",
            )
    return _to_string(root)
