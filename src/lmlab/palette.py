"""One colour per label across every figure of the site, matplotlib's and plotly's alike.

A notebook's set-up (lmlab.notebook_setup) hands the study's labels to `use_palette`, each step's
candidates as a group; every label then keeps one colour wherever it is drawn, and the labels of a
group never share one. The recipe a step starts from ("before: ...") is drawn in grey and the
baselines near-black, so a candidate never has to give way to them. A label the study does not name
takes a colour from its own text (the same in every figure) unless a label of its figure has it.
`used()` is what this process drew: `lmlab notebooks run` records it with the notebook, and
`lmlab check` fails a label drawn in two colours or two labels of one notebook drawn alike.
"""

from __future__ import annotations

import hashlib

COLORS = [  # strong colours first; a figure takes them in the order its labels come in the ladder
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
    "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8", "#e7969c", "#5254a3", "#8ca252", "#bd9e39",
    "#ad494a", "#a55194", "#17a589", "#c0392b", "#2e86c1", "#d68910", "#7d3c98", "#1e8449", "#b9770e",
    "#a04000", "#148f77", "#6c3483", "#2874a6", "#b03a2e", "#117864", "#7e5109", "#4a235a",
]  # fmt: skip
BASELINE_COLOR = "#222222"  # the study's baselines
REFERENCE_COLOR = "#a0a0a0"  # the recipe a step starts from ("before: ..."), drawn dashed
REFERENCE_PREFIX = "before: "


def _alike(a: str, b: str) -> bool:
    """Two colours a reader could confuse in one figure (the palette's later shades are close kin)."""
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b)]
    return sum((x - y) ** 2 for x, y in zip(*rgb)) < 90**2


LABEL_COLORS = [c for c in COLORS if not _alike(c, REFERENCE_COLOR) and not _alike(c, BASELINE_COLOR)]
"""The colours a label may take: none a reader could take for a reference's grey or a baseline's black."""

_palette: dict[str, str] = {}  # label -> colour for every figure, from the study (use_palette)
_used: dict[str, set[str]] = {}  # label -> the colours this process drew it in
_drawn_together: list[list[str]] = []  # the labels of each figure this process coloured


def use_palette(labels: list[str], baselines=(), groups: list[list[str]] = ()) -> None:
    """Each of `labels` (in the study's order) its own colour, never one alike a colour of a label it
    shares a group with (a step's candidates); the `baselines` near-black."""
    _palette.clear()
    _palette.update(dict.fromkeys(baselines, BASELINE_COLOR))
    neighbours: dict[str, set[str]] = {}
    for group in groups:
        for label in group:
            neighbours.setdefault(label, set()).update(g for g in group if g != label)
    for i, label in enumerate(label for label in labels if label not in _palette):
        taken = [_palette[n] for n in neighbours.get(label, ()) if n in _palette]
        start = i % len(LABEL_COLORS)
        order = LABEL_COLORS[start:] + LABEL_COLORS[:start]  # spread the labels over the whole palette
        _palette[label] = next((c for c in order if not any(_alike(c, t) for t in taken)), order[0])


def _own_color(label: str) -> str:
    """A colour from the label's text: the same in every figure of every notebook."""
    return LABEL_COLORS[int(hashlib.sha256(label.encode()).hexdigest(), 16) % len(LABEL_COLORS)]


def color_of(label: str) -> str:
    if label.startswith(REFERENCE_PREFIX):
        return REFERENCE_COLOR
    return _palette.get(label) or _own_color(label)


def colors_for(labels) -> dict[str, str]:
    """Each label's colour: the study's labels and the references keep theirs; a label the study does
    not name takes its own unless a label of this figure has it (or one alike), then the next free one."""
    labels = list(labels)
    out = {
        label: color_of(label) for label in labels if label in _palette or label.startswith(REFERENCE_PREFIX)
    }
    drawn = {color for label, shades in _used.items() if label not in labels for color in shades}
    for label in labels:
        if label in out:
            continue
        own = _own_color(label)
        start = LABEL_COLORS.index(own)
        order = LABEL_COLORS[start:] + LABEL_COLORS[:start]
        free = [c for c in order if not any(_alike(c, used) for used in out.values())]
        # its own colour where this figure leaves it free, else one no label of this notebook has
        out[label] = (
            own if own in free else next((c for c in free if c not in drawn), free[0] if free else own)
        )
    out = {label: out[label] for label in labels}
    for label, color in out.items():
        _used.setdefault(label, set()).add(color)
    _drawn_together.append(labels)
    return out


def used() -> dict:
    """What this process drew: each label's colours, and the labels of each figure."""
    return {"colors": {label: sorted(colors) for label, colors in _used.items()}, "figures": _drawn_together}


def clashes(colors: dict[str, list[str]], figures: list[list[str]]) -> list[str]:
    """In one notebook's figures: a label drawn in more than one colour, two labels drawn in one colour,
    and two labels of one figure drawn alike."""
    problems = [
        f"'{label}' is drawn in {len(shades)} colours ({', '.join(shades)})"
        for label, shades in colors.items()
        if len(shades) > 1
    ]
    by_color: dict[str, list[str]] = {}
    for label, shades in colors.items():
        for color in shades:
            by_color.setdefault(color, []).append(label)
    problems += [
        f"{' and '.join(repr(label) for label in labels)} are drawn in one colour ({color})"
        for color, labels in by_color.items()
        if len(labels) > 1 and color not in (BASELINE_COLOR, REFERENCE_COLOR)
    ]
    seen = set()
    for labels in figures:
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                ca, cb = colors.get(a, [None])[0], colors.get(b, [None])[0]
                pair = tuple(sorted((a, b)))
                if ca and cb and _alike(ca, cb) and pair not in seen:
                    seen.add(pair)
                    problems.append(f"'{a}' and '{b}' are drawn in one figure in alike colours ({ca}, {cb})")
    return problems
