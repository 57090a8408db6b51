#!/usr/bin/env python3
"""Draws scripts/bench's figures as one SVG (Python 3 stdlib only).

    chart.py FIGURES.tsv OUT.svg

FIGURES.tsv has one tab-separated line per figure, written by scripts/bench:
    meta   NAME VALUE
    main   CASE LABEL RPS P50_MS P99_MS       (the 64-connection table)
    low    CASE LABEL RPS P50_MS P99_MS       (wrk -t1 -c1; the case `nginx` is the floor)
    peer   CASE LABEL OK_RPS P50_MS P99_MS    (peer-ours, peer-pretix)
    scale  GROUP SIZE LABEL RPS P50_MS P99_MS (groups keys, events-first, events-deep)

Panels: req/s and p99 of each case divided by those of the DB-free 401 (`checksum`); low-load
p50 and p99 as multiples of nginx's; ours/pretix; and the scaling curves (each size divided by
the smallest of its group). The targets of issue #16 are drawn as marks.
"""

from __future__ import annotations

import math
import sys
from html import escape

WIDTH = 980
LEFT = 300          # room for case labels
RIGHT = 90
BAR = 16
GAP = 6
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
COLOURS = {"rps": "#2f6db5", "p50": "#2f6db5", "p99": "#d9822b", "ok": "#2f6db5", "pretix": "#8a8a8a"}
GROUP_COLOURS = {"keys": "#2f6db5", "events-first": "#3a9a5b", "events-deep": "#b5452f"}
GROUP_NAMES = {"keys": "key info, by keys stored", "events-first": "events page 1, by the team's events",
               "events-deep": "page 100 (or last), by the team's events"}
# Targets of issue #16: (panel, case) -> (value, "at least" | "at most").
TARGETS_MAIN_RPS = {"list": {"SQLite": 0.6, "PostgreSQL": 0.5}, "post": {"SQLite": 0.3, "PostgreSQL": 0.3}}
TARGETS_MAIN_P99 = {"list": 2.0}
TARGETS_LOW_P50 = {"checksum": 3.0, "list": 6.0}


def read(path: str):
    meta, main, low, peer, scale = {}, [], [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            kind = parts[0]
            try:
                if kind == "meta":
                    meta[parts[1]] = parts[2]
                elif kind in ("main", "low", "peer"):
                    {"main": main, "low": low, "peer": peer}[kind].append(
                        (parts[1], parts[2], float(parts[3]), float(parts[4]), float(parts[5])))
                elif kind == "scale":
                    scale.append((parts[1], int(parts[2]), parts[3], float(parts[4]), float(parts[5]), float(parts[6])))
            except (IndexError, ValueError):
                continue
    return meta, main, low, peer, scale


class SVG:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.y = 0

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#222"):
        self.parts.append(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
                          f"font-weight='{weight}' fill='{fill}' {FONT}>{escape(s)}</text>")

    def rect(self, x, y, w, h, fill, opacity=1.0):
        self.parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0):.1f}' height='{h:.1f}' fill='{fill}' "
                          f"fill-opacity='{opacity}'/>")

    def line(self, x1, y1, x2, y2, stroke="#999", width=1.0, dash=""):
        d = f" stroke-dasharray='{dash}'" if dash else ""
        self.parts.append(f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{stroke}' "
                          f"stroke-width='{width}'{d}/>")

    def polyline(self, points, stroke, width=2.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(f"<polyline points='{pts}' fill='none' stroke='{stroke}' stroke-width='{width}'/>")

    def circle(self, x, y, r, fill):
        self.parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r}' fill='{fill}'/>")

    def render(self) -> str:
        height = self.y + 20
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height:.0f}' "
                f"viewBox='0 0 {WIDTH} {height:.0f}'>\n<rect width='100%' height='100%' fill='white'/>\n"
                + "\n".join(self.parts) + "\n</svg>\n")


def fmt(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def bars(svg: SVG, title: str, note: str, rows, series, targets=None, log=False):
    """rows: [(label, {series: value})]; series: [(name, legend)]; targets: {label: (value, text)}."""
    targets = targets or {}
    svg.y += 28
    svg.text(16, svg.y, title, size=15, weight="bold")
    svg.y += 16
    svg.text(16, svg.y, note, size=11, fill="#555")
    svg.y += 10
    values = [v for _, vals in rows for v in vals.values() if v > 0] + [t[0] for t in targets.values()] + [1.0]
    top = max(values) * 1.08
    bottom = min(min(values) / 1.5, 0.5) if log else 0.0
    plot_w = WIDTH - LEFT - RIGHT

    def x_of(v: float) -> float:
        if log:
            v = max(v, bottom)
            return LEFT + plot_w * (math.log10(v) - math.log10(bottom)) / (math.log10(top) - math.log10(bottom))
        return LEFT + plot_w * v / top

    y0 = svg.y + 6
    height = len(rows) * (len(series) * BAR + GAP + 6)
    # grid
    ticks = []
    if log:
        e = math.floor(math.log10(bottom))
        while 10 ** e <= top:
            for m in (1, 2, 5):
                t = m * 10 ** e
                if bottom <= t <= top:
                    ticks.append(t)
            e += 1
    else:
        step = 10 ** math.floor(math.log10(top / 2)) if top > 0 else 1
        for m in (1, 2, 5):
            if top / (step * m) <= 8:
                step *= m
                break
        t = 0.0
        while t <= top:
            ticks.append(t)
            t += step
    for t in ticks:
        x = x_of(t)
        svg.line(x, y0, x, y0 + height, stroke="#e3e3e3")
        svg.text(x, y0 + height + 13, fmt(t).rstrip("0").rstrip(".") if t < 10 and t != int(t) else f"{t:,.0f}",
                 size=10, anchor="middle", fill="#777")
    one = x_of(1.0)
    svg.line(one, y0, one, y0 + height, stroke="#555", dash="3,3")
    y = y0 + 4
    for label, vals in rows:
        svg.text(LEFT - 8, y + len(series) * BAR / 2 + 4, label, size=12, anchor="end")
        for name, _ in series:
            v = vals.get(name)
            if v is not None:
                svg.rect(LEFT if not log else x_of(bottom), y, x_of(v) - (LEFT if not log else x_of(bottom)), BAR - 2,
                         COLOURS.get(name, "#2f6db5"))
                svg.text(x_of(v) + 4, y + BAR - 5, fmt(v) + ("×" if log else ""), size=10, fill="#333")
            y += BAR
        if label in targets:
            value, text = targets[label]
            x = x_of(value)
            svg.line(x, y - len(series) * BAR - 2, x, y, stroke="#c0392b", width=2.5)
            svg.text(x + 3, y - len(series) * BAR - 4, text, size=9, fill="#c0392b")
        y += GAP + 6
    svg.y = y0 + height + 34
    lx = LEFT
    for name, legend in series:
        if legend:
            svg.rect(lx, svg.y - 9, 10, 10, COLOURS.get(name, "#2f6db5"))
            svg.text(lx + 14, svg.y, legend, size=11)
            lx += 24 + 7 * len(legend)
    svg.line(lx + 10, svg.y - 4, lx + 24, svg.y - 4, stroke="#c0392b", width=2.5)
    svg.text(lx + 28, svg.y, "target of #16", size=11)
    svg.y += 8


def curves(svg: SVG, scale):
    svg.y += 30
    svg.text(16, svg.y, "As data grows: each size divided by the smallest of its group", size=15, weight="bold")
    svg.y += 16
    svg.text(16, svg.y, "solid: req/s ratio (labels: req/s); dashed: p99 ratio; shaded: within 10 % (the target of #16); "
             "y axis cut at 2", size=11, fill="#555")
    groups: dict[str, list] = {}
    for group, size, label, rps, p50, p99 in scale:
        groups.setdefault(group, []).append((size, rps, p99))
    sizes = [s for pts in groups.values() for s, _, _ in pts]
    ratios = []
    for pts in groups.values():
        pts.sort()
        b = pts[0]
        for s, r, p in pts:
            ratios += [r / b[1] if b[1] else 1, p / b[2] if b[2] else 1]
    lo, hi = min(ratios + [0.8]), max(ratios + [1.2])
    # Past 2× the curve says enough: such points sit on the top edge with their value written.
    lo, hi = max(min(lo, 0.8) * 0.95, 0.0), min(max(hi, 1.2) * 1.05, 2.0)
    smin, smax = min(sizes), max(sizes)
    if smax == smin:
        smax = smin * 10
    top = svg.y + 16
    plot_h = 230
    left, right = 90, WIDTH - 330

    def x_of(s):
        return left + (right - left) * (math.log10(s) - math.log10(smin)) / (math.log10(smax) - math.log10(smin))

    def y_of(r):
        return top + plot_h * (1 - (min(max(r, lo), hi) - lo) / (hi - lo))

    svg.rect(left, y_of(1.1), right - left, y_of(0.9) - y_of(1.1), "#3a9a5b", opacity=0.12)
    step = 0.1 if hi - lo <= 1.2 else 0.25 if hi - lo <= 3 else 1.0
    t = math.ceil(lo / step) * step
    while t <= hi:
        svg.line(left, y_of(t), right, y_of(t), stroke="#e3e3e3" if abs(t - 1) > 1e-9 else "#555",
                 dash="" if abs(t - 1) > 1e-9 else "3,3")
        svg.text(left - 6, y_of(t) + 4, f"{t:.2f}", size=10, anchor="end", fill="#777")
        t += step
    e = math.floor(math.log10(smin))
    while 10 ** e <= smax:
        if 10 ** e >= smin:
            svg.line(x_of(10 ** e), top, x_of(10 ** e), top + plot_h, stroke="#eeeeee")
            svg.text(x_of(10 ** e), top + plot_h + 14, f"{10 ** e:,}", size=10, anchor="middle", fill="#777")
        e += 1
    svg.text((left + right) / 2, top + plot_h + 30, "rows stored (keys, or events in the team), log scale", size=11,
             anchor="middle", fill="#555")
    ly = top + 10
    for group, pts in groups.items():
        colour = GROUP_COLOURS.get(group, "#555")
        b = pts[0]
        rps = [(x_of(s), y_of(r / b[1] if b[1] else 1)) for s, r, _ in pts]
        p99 = [(x_of(s), y_of(p / b[2] if b[2] else 1)) for s, _, p in pts]
        svg.polyline(rps, colour)
        svg.parts.append(f"<polyline points='{' '.join(f'{x:.1f},{y:.1f}' for x, y in p99)}' fill='none' "
                         f"stroke='{colour}' stroke-width='1.5' stroke-dasharray='5,4'/>")
        for (x, y), (s, r, p) in zip(rps, pts):
            svg.circle(x, y, 3.5, colour)
            svg.text(x + 5, y - 6, f"{r:,.0f}/s", size=9, fill=colour)
        for (x, y), (s, _, p) in zip(p99, pts):
            svg.circle(x, y, 2.5, colour)
            ratio = p / b[2] if b[2] else 1
            if ratio > hi or ratio < lo:
                svg.text(x + 5, y + (12 if ratio > hi else -4), f"p99 {ratio:.1f}× (off scale)", size=9, fill=colour)
        svg.line(right + 16, ly - 4, right + 36, ly - 4, stroke=colour, width=2)
        svg.text(right + 40, ly, GROUP_NAMES.get(group, group), size=10)
        ly += 18
    svg.y = top + plot_h + 40


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py FIGURES.tsv OUT.svg")
    meta, main, low, peer, scale = read(sys.argv[1])
    db = "PostgreSQL" if "PostgreSQL" in meta.get("title", "") else "SQLite"
    svg = SVG()
    svg.y = 26
    svg.text(16, svg.y, "Kagibag: " + meta.get("title", "scripts/bench"), size=17, weight="bold")
    svg.y += 18
    svg.text(16, svg.y, meta.get("settings", ""), size=11, fill="#555")

    nodb = next((r for r in main if r[0] == "checksum"), None)
    if main and nodb:
        rows, targets = [], {}
        for case, label, rps, p50, p99 in main:
            rows.append((label, {"rps": rps / nodb[2]}))
            if case in TARGETS_MAIN_RPS:
                targets[label] = (TARGETS_MAIN_RPS[case][db], f"≥ {TARGETS_MAIN_RPS[case][db]}")
        bars(svg, "Throughput against the DB-free ceiling (rps/nodb, 64 connections)",
             f"req/s of each case divided by that of the checksum-failing key (401 before any I/O), {db}",
             rows, [("rps", "req/s ÷ DB-free 401")], targets)
        rows, targets = [], {}
        for case, label, rps, p50, p99 in main:
            rows.append((label, {"p99": p99 / nodb[4]}))
            if case in TARGETS_MAIN_P99:
                targets[label] = (TARGETS_MAIN_P99[case], f"≤ {TARGETS_MAIN_P99[case]:g}")
        bars(svg, "p99 latency against the DB-free ceiling (p99/nodb, 64 connections)",
             "p99 of each case divided by that of the checksum-failing key; lower is better", rows,
             [("p99", "p99 ÷ DB-free 401")], targets, log=True)
    floor = next((r for r in low if r[0] == "nginx"), None)
    if low and floor:
        rows, targets = [], {}
        for case, label, rps, p50, p99 in low:
            rows.append((label, {"p50": p50 / floor[3], "p99": p99 / floor[4]}))
            if case in TARGETS_LOW_P50:
                targets[label] = (TARGETS_LOW_P50[case], f"p50 ≤ {TARGETS_LOW_P50[case]:g}×")
        bars(svg, "Low load: latency as a multiple of nginx's (wrk -t1 -c1)",
             f"nginx answers a fixed string on the same machine in {floor[3] * 1000:.0f} µs (p50), {floor[4] * 1000:.0f} µs (p99); "
             "log scale, lower is better", rows, [("p50", "p50 ÷ nginx p50"), ("p99", "p99 ÷ nginx p99")], targets, log=True)
    ours = next((r for r in peer if r[0] == "peer-ours"), None)
    theirs = next((r for r in peer if r[0] == "peer-pretix"), None)
    if ours and theirs and theirs[2] > 0:
        ratio = ours[2] / theirs[2]
        rows = [(ours[1], {"ok": ratio}), (theirs[1], {"pretix": 1.0})]
        bars(svg, f"Against pretix: {ratio:,.0f}× the authenticated event list's 200s per second",
             f"same wrk settings, 25 events each, only 200 answers counted: Kagibag {ours[2]:,.0f}/s, pretix {theirs[2]:,.1f}/s "
             "(log scale)", rows, [("ok", ""), ("pretix", "")], {ours[1]: (300.0, "≥ 300×")}, log=True)
    if scale:
        curves(svg, scale)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(svg.render())


if __name__ == "__main__":
    main()
