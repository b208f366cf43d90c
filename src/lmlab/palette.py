"""One colour per label across every figure of the site, matplotlib's and plotly's alike.

A notebook's set-up (lmlab.notebook_setup) hands the study's labels to `use_palette` in the study's
order; `colors_for` then gives each figure's labels their colours.
"""

from __future__ import annotations

COLORS = [  # strong colours first; a figure takes them in the order its labels come in the ladder
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
    "#636363", "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8", "#e7969c", "#5254a3", "#8ca252", "#bd9e39",
    "#ad494a", "#a55194", "#17a589", "#c0392b", "#2e86c1", "#d68910", "#7d3c98", "#1e8449", "#b9770e",
    "#5d6d7e", "#a04000", "#148f77", "#6c3483", "#2874a6", "#b03a2e", "#117864", "#7e5109", "#4a235a",
]  # fmt: skip
BASELINE_COLOR = "#222222"  # the study's baselines

_palette: dict[str, str] = {}  # label -> colour for every figure, from the study (use_palette)


def use_palette(labels: list[str], baselines=()) -> None:
    """One colour per label across every figure of the site: `labels` in the study's order (Study.labels)
    take the palette's colours in turn, its `baselines` near-black. A notebook's set-up passes its study's."""
    _palette.clear()
    _palette.update({label: COLORS[i % len(COLORS)] for i, label in enumerate(labels)})
    _palette.update(dict.fromkeys(baselines, BASELINE_COLOR))


def colors_for(labels) -> dict[str, str]:
    """Each label's colour: a study label keeps its colour from use_palette, "before: X" takes X's; other
    labels take the first colour no label of the figure has."""
    out: dict[str, str] = {}
    for label in labels:
        color = _palette.get(label.removeprefix("before: "))
        if color is None or any(_alike(color, used) for used in out.values()):
            color = next(
                (c for c in COLORS if not any(_alike(c, used) for used in out.values())),
                COLORS[len(out) % len(COLORS)],
            )
        out[label] = color
    return out


def _alike(a: str, b: str) -> bool:
    """Two colours a reader could confuse in one figure (the palette's later shades are close kin)."""
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b)]
    return sum((x - y) ** 2 for x, y in zip(*rgb)) < 90**2
