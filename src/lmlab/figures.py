"""Figures of runs, drawn with matplotlib. Every figure carries a footer naming profile, data and run ids.

Figures are built with `matplotlib.figure.Figure` (not pyplot), so a notebook cell that ends with one
shows it exactly once and stores it as an image output; `alt_text` describes one in words. The
plotly versions of some of them, with hover in the site, are lmlab.interactive's; both take their
numbers from lmlab.figure_data and their colours from lmlab.palette.
"""

from __future__ import annotations

import math
import re

import numpy as np
from matplotlib.figure import Figure

from lmlab.figure_data import (
    TRAIN_LABEL,
    TRAIN_PER_CHAR_LABEL,
    VAL_LABEL,
    VAL_LABELS,
    Groups,
    all_runs,
    ladder_points,
    seed_curve,
    tokenizations_differ,
    tokens_per_char,
)
from lmlab.palette import COLORS, colors_for
from lmlab.runs import Run, provenance
from lmlab.stats import level_text, mean_std

COLUMN_INCHES = (
    7.0  # the site's article column is about 727 CSS px: figures are drawn at that width (100 dpi)
)
FOOTER_POINTS = 8.0  # the provenance line: about 11 px on the page
FEW_POINTS = 8  # a curve with this many evaluations or fewer is drawn as points joined by a thin line


def _footer(fig: Figure, runs: list[Run]) -> None:
    """The provenance line at the bottom, and room for it: the layout's bottom edge is raised by the
    lines it wraps onto, so no axis label is drawn over it."""
    text = provenance(runs) if runs else "no run has finished yet · the figure names its runs once one has"
    fig.text(0.01, 0.005, text, fontsize=FOOTER_POINTS, color="0.35", ha="left", va="bottom", wrap=True)
    char_inches = 0.55 * FOOTER_POINTS / 72  # an average character of the sans-serif font
    lines = math.ceil(len(text) * char_inches / (0.9 * fig.get_figwidth()))
    needed = (lines * 1.35 * FOOTER_POINTS / 72 + 0.06) / fig.get_figheight()
    engine = fig.get_layout_engine()
    left, bottom, width, height = engine.get()["rect"]
    top = min(bottom + height, 1.0)
    if bottom < needed:
        engine.set(rect=(left, needed, width, top - needed))


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def alt_text(fig) -> str:
    """What a figure shows, in words, from its own axes: the site's alt text for its image (the
    default, `<Figure size 600x400 with 1 Axes>`, tells a screen reader nothing). A figure made of
    subfigures is described one subfigure at a time, under its title."""
    if fig.subfigs:
        return "Figure: " + "; ".join(
            f"{sub.get_suptitle() or 'panel'}: {_describe(sub.axes)}"
            + "".join(f". {t.get_text()}" for t in sub.texts if t.get_text() != sub.get_suptitle())
            for sub in fig.subfigs
        )
    footer = " ".join(t.get_text() for t in fig.texts)
    return "Figure: " + _describe(fig.axes) + (f". {footer}" if footer else "")


def _describe(axes) -> str:
    panels = []
    for ax in axes:
        if not ax.get_visible() or not (ax.get_ylabel() or ax.get_xlabel() or ax.get_title()):
            continue
        shown = ax.get_ylabel().replace("\n", " ") or "value"
        named = [t.get_text() for t in ax.get_xticklabels() if t.get_text() and not _is_number(t.get_text())]
        if ax.get_xlabel():
            shown += f" against {ax.get_xlabel()}"
        elif named:
            shown += " for each of: " + ", ".join(named)
        if ax.get_title():
            shown = f"{ax.get_title()}: {shown}"
        legend = ax.get_legend()
        if legend is not None:
            shown += " (" + ", ".join(t.get_text() for t in legend.get_texts()) + ")"
        panels.append(shown)
    return "; ".join(panels or ["(no labelled axes)"])


def loss_curves(
    groups: Groups,
    reference: str | None = None,
    x: str = "step",
    title: str | None = None,
    val: str = "val_loss",
) -> Figure:
    """Training loss and a validation metric (`val`) against step (or epoch) for each group; seeds
    as mean ± std; the group named `reference` dashed. Where the groups' tokenizers differ, the
    training loss is shown per character (each run's loss per token times its training stream's
    tokens per character), since losses per token over different vocabularies do not compare. A
    validation curve of a few evaluations is drawn as its points."""
    fig = Figure(figsize=(COLUMN_INCHES, 3.4), layout="constrained")
    ax_train, ax_val = fig.subplots(1, 2)
    per_char = tokenizations_differ(groups)
    colors = colors_for(groups)
    curves = {}
    for label, runs in groups.items():
        style = dict(color=colors[label], linestyle="--" if label == reference else "-", linewidth=1.6)
        for ax, key in ((ax_train, "train_loss"), (ax_val, val)):
            xs, mean, std = seed_curve(runs, key, x, per_char=per_char and key == "train_loss")
            name = f"{label} (n={len(runs)})" if len(runs) > 1 else label
            points = dict(marker="o", markersize=5, linewidth=0.8) if len(xs) <= FEW_POINTS else {}
            ax.plot(xs, mean, label=name if ax is ax_val else None, **{**style, **points})
            if len(runs) > 1:
                if points:
                    ax.errorbar(xs, mean, yerr=std, fmt="none", ecolor=style["color"], capsize=3, linewidth=1)
                else:
                    ax.fill_between(xs, mean - std, mean + std, color=style["color"], alpha=0.15, linewidth=0)
            if ax is ax_val:
                curves[label] = (xs, mean, {**style, **points})
    xlabel = "optimizer step" if x == "step" else "epoch"
    ax_train.set(xlabel=xlabel, ylabel=TRAIN_PER_CHAR_LABEL if per_char else TRAIN_LABEL, title="training")
    ax_val.set(xlabel=xlabel, ylabel=VAL_LABELS[val], title="validation (every token once)")
    if val == "val_ppl":
        ax_val.set_yscale("log")
    for ax in (ax_train, ax_val):
        ax.grid(alpha=0.3)
    _zoom_to_progress(ax_val, groups, val)
    _inset_end(ax_val, curves)
    # above the panels, where no curve runs
    fig.legend(fontsize=8, loc="outside upper center", ncols=min(3, len(groups)), frameon=False)
    if title:
        fig.suptitle(title)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
    _footer(fig, all_runs(groups))
    return fig


def _inset_end(ax, curves: dict) -> None:
    """Where the curves end closer together than a tenth of the panel's height, the last third of
    training again, zoomed, in the panel's upper right (the curves fall away from it)."""
    ends = [mean[-1] for _, mean, _ in curves.values() if len(mean)]
    low, high = ax.get_ylim()
    if len(ends) < 2 or max(ends) - min(ends) > 0.1 * (high - low) or ax.get_yscale() != "linear":
        return
    start = max(xs[0] + (xs[-1] - xs[0]) * 2 / 3 for xs, _, _ in curves.values() if len(xs))
    inset = ax.inset_axes((0.42, 0.4, 0.55, 0.46))
    late = []
    for xs, mean, style in curves.values():
        keep = xs >= start
        inset.plot(xs[keep], mean[keep], **style)
        late += list(mean[keep])
    if late:
        pad = 0.08 * (max(late) - min(late) or abs(max(late)) * 1e-3)
        inset.set_ylim(min(late) - pad, max(late) + pad)
    inset.set_title("the last third, zoomed", fontsize=7.5)
    inset.tick_params(labelsize=7)
    inset.grid(alpha=0.3)


def _zoom_to_progress(ax, groups: Groups, key: str = "val_loss") -> None:
    """The first evaluation (an untrained model) dwarfs the differences that matter: clip it, with
    room for a marker at either end (a twentieth of the axis, in log space on a log axis). A curve
    drawn as a few points keeps them all: a point cut at the edge reads as a mistake."""
    if any(len(r.evals()) <= FEW_POINTS for runs in groups.values() for r in runs):
        return
    finals = [v for runs in groups.values() for v in (r.final.get(key) for r in runs) if v]
    evals = [e[key] for runs in groups.values() for r in runs for e in r.evals()[1:2]]
    if not (finals and evals):
        return
    low, high = min(finals), max(evals)
    if ax.get_yscale() == "log":
        low, high = np.log10(low), np.log10(high)
    pad = 0.05 * (high - low)
    low, high = low - pad, high + pad
    ax.set_ylim(*((10**low, 10**high) if ax.get_yscale() == "log" else (low, high)))
    first = [e[key] for runs in groups.values() for r in runs for e in r.evals()[:1]]
    top = 10**high if ax.get_yscale() == "log" else high
    if any(
        value > top for value in first
    ):  # said, so that a curve entering from above is not read as a fault
        ax.text(0.98, 0.98, "step 0 (untrained) cut off above", transform=ax.transAxes, ha="right", va="top",
                fontsize=7, color="0.35")  # fmt: skip


def topk_bars(run: Run, context: int = 1, k: int = 10) -> Figure:
    """The model's top-k next tokens after a probe context, `<eos>` highlighted, the true next token marked."""
    fig = Figure(figsize=(4.8, 3.4), layout="constrained")
    _topk_axes(fig.subplots(), run.probes["next_token"][context], k)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    _footer(fig, [run])
    return fig


def topk_compare(runs: dict[str, Run], context: int = 1, k: int = 10) -> Figure:
    """The top-k next tokens of several runs after the same probe context, side by side: how
    differently tokenizers (or models) cut and predict the same text."""
    columns = min(2, len(runs))
    rows = -(-len(runs) // columns)
    fig = Figure(figsize=(COLUMN_INCHES if columns > 1 else 4.5, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (label, run) in zip(axes, runs.items()):
        _topk_axes(ax, run.probes["next_token"][context], k, label=label)
    for ax in axes[len(runs) :]:
        ax.set_visible(False)
    fig.get_layout_engine().set(rect=(0, 0.05 / rows, 1, 1 - 0.02 / rows))
    _footer(fig, list(runs.values()))
    return fig


def topk_grid(runs: dict[str, Run], contexts: tuple[int, ...] = (0, 1, 3), k: int = 8) -> Figure:
    """The top-k next tokens of each run (a row) after each of several probe contexts (a column):
    whether a model's predictions depend on the prefix, or are the same whatever it reads."""
    fig = Figure(figsize=(COLUMN_INCHES, 3.0 * len(runs)), layout="constrained")
    axes = fig.subplots(len(runs), len(contexts), squeeze=False)
    for row, (label, run) in zip(axes, runs.items()):
        for ax, context in zip(row, contexts):
            _topk_axes(ax, run.probes["next_token"][context], k, label=label)
    fig.get_layout_engine().set(rect=(0, 0.05 / len(runs), 1, 1 - 0.05 / len(runs)))
    _footer(fig, list(runs.values()))
    return fig


def _topk_axes(ax, probe: dict, k: int, label: str | None = None) -> None:
    top = probe["topk"][:k]
    tokens = [t["token"] for t in top][::-1]
    probs = [t["prob"] for t in top][::-1]
    colors = [
        "#d62728" if t == "<eos>" else ("#2ca02c" if t == probe.get("true_next") else "#1f77b4")
        for t in tokens
    ]
    ax.barh(range(len(tokens)), probs, color=colors)
    ax.set_yticks(range(len(tokens)), [repr(t)[1:-1] for t in tokens], fontsize=8)
    ax.set_xlabel("P(next token)")
    shown = probe["context"] or "(start of a title)"
    shown = shown if len(shown) <= 26 else shown[:25] + "…"  # three panels share the column's width
    title = f"after “{shown}”\nP(<eos>) = {probe['eos_prob']:.3f}"
    true_next = probe.get("true_next")
    if (
        true_next is not None
    ):  # named even when it is not among the bars, so the figure says how far off it is
        title += f"\ntrue next {true_next!r}" + ("" if true_next in tokens else f" (not in the top {k})")
    ax.set_title(title if label is None else f"{label}\n{title}", fontsize=8)
    ax.grid(axis="x", alpha=0.3)


def token_frequency(run: Run, top_n: int = 25) -> Figure:
    """The training tokens: the most frequent ones, and the rank/frequency curve on log-log axes."""
    freq = run.probes["token_freq"]
    fig = Figure(figsize=(COLUMN_INCHES, 3.4), layout="constrained")
    ax_top, ax_rank = fig.subplots(1, 2, width_ratios=(1.6, 1))
    top = freq["top"][:top_n]  # 25 labels fit the column at 7 pt, turned on their side
    share = [t["count"] / freq["num_tokens"] for t in top]
    ax_top.bar(range(len(top)), share, color=["#d62728" if t["token"] == "<eos>" else "#1f77b4" for t in top])
    ax_top.set_xticks(range(len(top)), [repr(t["token"])[1:-1] for t in top], rotation=90, fontsize=7.5)
    ax_top.set_ylabel("share of training tokens")
    ax_top.set_title(
        f"top {top_n} of {freq['vocab_used']:,} tokens used ({freq['num_tokens']:,} in all)", fontsize=10
    )
    curve = freq["rank_curve"]
    ax_rank.loglog(curve["rank"], curve["count"], marker=".", linewidth=1)
    ax_rank.set(xlabel="rank", ylabel="count", title="rank / frequency")
    ax_rank.grid(alpha=0.3, which="both")
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    _footer(fig, [run])
    return fig


LADDER_LABEL_CHARS = 30  # a row label wraps onto a second line beyond this: none is cut
# The paired panel's axis ends here: a step beyond it is drawn at the edge, its value written. Small,
# so that the late steps' differences of a few thousandths are told apart from zero by eye.
LADDER_CLIP = 0.05


def _row_label(step: str, best: str) -> str:
    """A ladder row's label: its step and its best candidate, once where the step is named after it."""
    return step if best.lower() in step.lower() else f"{step}: {best}"


def _verdict_style(paired: dict | None, adopted: bool) -> dict:
    """One marker per verdict, on both panels: adopted (filled), worse (a filled cross), not resolved (hollow)."""
    if adopted:
        return dict(marker="o", color=COLORS[0], markerfacecolor=COLORS[0])
    if paired is not None and paired["low"] > 0:
        return dict(marker="X", color=COLORS[1], markerfacecolor=COLORS[1])
    return dict(marker="o", color="0.45", markerfacecolor="white")


def ladder(
    groups: Groups, metric: str = "val_loss", intervals: dict[str, dict | None] | None = None
) -> Figure:
    """The ladder a step a row, top to bottom. Left: the recipe's validation loss after each step (a
    path that moves only where a step was adopted) and each step's best candidate, its marker saying
    the verdict: filled where adopted (on the path), a cross where worse, hollow where not resolved.
    Right, with `intervals`: each step's paired difference to the recipe it started from, with the
    interval it was decided by, against zero, on a linear axis; a step beyond it is drawn at its edge
    with its value written beside it."""
    import textwrap

    from matplotlib.lines import Line2D

    points = ladder_points(groups, intervals, metric)
    ys = np.arange(len(points))
    labels = [
        _row_label(p["step"], re.sub(r" \((not resolved|worse|by mean|undecided)\)$", "", p["best"]))
        for p in points
    ]
    wrapped = [textwrap.fill(label, LADDER_LABEL_CHARS) for label in labels]
    fig = Figure(figsize=(COLUMN_INCHES, 0.4 * len(points) + 2.0), layout="constrained")
    if intervals:
        ax, ax_paired = fig.subplots(1, 2, sharey=True, width_ratios=(1.1, 1))
    else:
        ax, ax_paired = fig.subplots(), None
    # the recipe's path: at each row the recipe after that step; it jumps at the row of the step that moved it
    path_x, path_y = [points[0]["recipe"]], [0.0]
    for y, (before, after) in enumerate(zip(points, points[1:]), start=1):
        path_x += [before["recipe"], after["recipe"]]
        path_y += [y, y]
    ax.plot(path_x, path_y, color="0.55", linewidth=1.4, zorder=1)
    for y, p in zip(ys, points):
        ax.errorbar(p["mean"], y, xerr=p["std"], fmt="none", ecolor="0.45", capsize=2, zorder=2)
        ax.plot(
            p["mean"], y, linestyle="", markersize=6, zorder=3, **_verdict_style(p["paired"], p["adopted"])
        )
    ax.set_yticks(ys, wrapped, fontsize=8.5)
    ax.set_ylim(len(points) - 0.5, -0.5)
    ax.set_xlabel(VAL_LABEL if metric == "val_loss" else metric)
    ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color="0.55", label="the recipe after each step"),
        Line2D([], [], linestyle="", markersize=6, label="adopted", **_verdict_style(None, True)),
        Line2D([], [], linestyle="", markersize=6, label="worse", **_verdict_style({"low": 1}, False)),
        Line2D([], [], linestyle="", markersize=6, label="not resolved", **_verdict_style(None, False)),
    ]
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", framealpha=0.95)
    if ax_paired is not None:
        ax_paired.axvline(0, color="0.4", linewidth=1)
        shown = [p["paired"] for p in points if p["paired"]]
        high = max([q["high"] for q in shown] + [0.0])
        low = max(min([q["low"] for q in shown] + [0.0]), -LADDER_CLIP)
        pad = 0.06 * (high - low) or 0.01  # no interval at all (one seed a step): an axis around zero
        left, right = low - pad, high + pad
        for y, p in zip(ys, points):
            q = p["paired"]
            if q is None:
                continue
            style = _verdict_style(q, p["adopted"])
            if q["mean"] < left:  # beyond the axis: an arrow at its edge, and the value
                ax_paired.plot(
                    left, y, marker="<", markersize=9, color=style["color"], linestyle="", clip_on=False
                )
                ax_paired.annotate(f"{q['mean']:+.3f} [{q['low']:+.3f}, {q['high']:+.3f}]", (left, y),
                                   xytext=(7, 0), textcoords="offset points", va="center", fontsize=8.5)  # fmt: skip
                continue
            ax_paired.errorbar(q["mean"], y, xerr=[[q["mean"] - max(q["low"], left)], [q["high"] - q["mean"]]],
                               fmt="none", ecolor=style["color"], capsize=0)  # fmt: skip
            if q["low"] < left:  # the interval goes on past the axis
                ax_paired.plot(
                    left, y, marker="<", markersize=7, color=style["color"], linestyle="", clip_on=False
                )
            ax_paired.plot(q["mean"], y, linestyle="", markersize=6, **style)
        ax_paired.set_xlim(left, right)
        ax_paired.set_xlabel(
            "paired difference to the recipe\n(nats/char, with the step's interval;\n"
            f"◀: it runs on past {-LADDER_CLIP:g})"
        )
        ax_paired.grid(alpha=0.3)
        ax_paired.tick_params(axis="y", left=False)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 1))
    _footer(fig, all_runs(groups))
    return fig


def paired_gap(groups: Groups, recipe: list[Run], level: float = 0.95, metric: str = "val_loss") -> Figure:
    """The gap small changes make, over training: at every evaluation each candidate minus the recipe seed
    by seed, its mean and t interval at `level` (the step's own, so the last point reads as the table's).
    Two curves that overlap hide this; the gap shows it."""
    from scipy import stats

    by_seed = {r.config["seed"]: {e["step"]: e[metric] for e in r.evals()} for r in recipe}
    fig = Figure(figsize=(5.6, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.axhline(0, color="0.4", linewidth=1)
    colors = colors_for(groups)
    limits = []
    for label, candidate in groups.items():
        series = []
        for run in candidate:
            base = by_seed.get(run.config["seed"])
            if base:
                series.append(
                    {e["step"]: e[metric] - base[e["step"]] for e in run.evals() if e["step"] in base}
                )
        steps = sorted(set.intersection(*(set(s) for s in series))) if series else []
        diffs = np.array([[s[k] for k in steps] for s in series])
        mean = diffs.mean(axis=0)
        half = (
            stats.t.ppf(1 - (1 - level) / 2, len(series) - 1)
            * diffs.std(axis=0, ddof=1)
            / np.sqrt(len(series))
            if len(series) > 1
            else np.zeros(len(steps))
        )
        ax.plot(
            steps,
            mean,
            color=colors[label],
            marker="o" if len(steps) <= FEW_POINTS else None,
            label=f"{label} minus the recipe (n={len(series)} seeds)",
        )
        ax.fill_between(steps, mean - half, mean + half, color=colors[label], alpha=0.2, linewidth=0)
        limits.append(_gap_limits(mean, half))
    ax.set(
        xlabel="optimizer step",
        ylabel="paired difference in\nvalidation loss (nats/char)",
        title=f"shaded: the {level_text(level)} interval",
    )
    ax.title.set_fontsize(9)
    ax.set_ylim(min(low for low, _ in limits), max(high for _, high in limits))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.1, 1, 1))  # room for a footer of two lines
    _footer(fig, [r for runs in groups.values() for r in runs] + recipe)
    return fig


def _gap_limits(mean: np.ndarray, half: np.ndarray) -> tuple[float, float]:
    """Every evaluation after the first (two untrained models' gap dwarfs the rest), and zero."""
    late = slice(1, None) if len(mean) > 2 else slice(None)
    low, high = float(np.min((mean - half)[late])), float(np.max((mean + half)[late]))
    low, high = min(low, 0.0), max(high, 0.0)
    pad = 0.1 * (high - low or 1e-3)
    return low - pad, high + pad


def sweep_title(key: str, values: list, means: np.ndarray, stds: np.ndarray) -> str:
    """The value with the lowest mean, and the values whose mean lies within its std: a sweep whose
    best two differ by less than the seeds' spread has no single best."""
    i = int(np.nanargmin(means))
    ties = [f"{v:g}" for j, v in enumerate(values) if j != i and means[j] - means[i] <= stds[i]]
    title = f"lowest mean at {key} = {values[i]:g}"
    return title + (f"; {', '.join(ties)} within its std" if ties else "")


def sweep(
    runs: list[Run], key: str, metric: str = "val_loss", log_x: bool = True, reference: Groups | None = None
) -> Figure:
    """The final metric against one setting: each seed as a dot, the mean with a ±std band."""
    by_value: dict = {}
    for run in runs:
        by_value.setdefault(run.config[key], []).append(run.final.get(metric))
    values = sorted(by_value)
    stats = [mean_std(by_value[v]) for v in values]
    means, stds = np.array([m for m, _ in stats]), np.array([s for _, s in stats])
    fig = Figure(figsize=(5.6, 3.8), layout="constrained")
    ax = fig.subplots()
    for v in values:
        ax.scatter([v] * len(by_value[v]), by_value[v], color=COLORS[0], alpha=0.45, s=14)
    ax.plot(
        values, means, "o-", color=COLORS[0], label=f"mean over seeds (n={len(runs) // max(1, len(values))})"
    )
    ax.fill_between(values, means - stds, means + stds, color=COLORS[0], alpha=0.15, linewidth=0)
    for label, color in colors_for(reference or {}).items():
        m, _ = mean_std([r.final.get(metric) for r in reference[label]])
        ax.axhline(m, color=color, linestyle="--", label=label)
    ax.set(
        xlabel=key,
        ylabel=VAL_LABEL if metric == "val_loss" else metric,
        title=sweep_title(key, values, means, stds),
    )
    if log_x and all(v > 0 for v in values):
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 1))
    _footer(fig, runs + [r for rs in (reference or {}).values() for r in rs])
    return fig


def lr_curves(groups: Groups) -> Figure:
    """The learning rate each group trained with, as recorded step by step (first seed)."""
    fig = Figure(figsize=(5.6, 3.4), layout="constrained")
    ax = fig.subplots()
    for label, color in colors_for(groups).items():
        records = groups[label][0].train_records()
        ax.plot([r["step"] for r in records], [r["lr"] for r in records], label=label, color=color)
    ax.set(xlabel="optimizer step", ylabel="learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.1, 1, 1))  # room for a footer of two lines
    _footer(fig, all_runs(groups))
    return fig


# ------------------------------------------------------------------ diagnostics (lmlab.diagnostics)


def _diagnostic_panels(runs: dict[str, Run], panels: list[dict]) -> Figure:
    """One panel per diagnostic, a line per run (its seed named in the legend), against the step.
    A panel: title, ylabel, get ((record, run) -> value or None), train (read the training records,
    not the evaluations), log (a log scale)."""
    fig = Figure(figsize=(COLUMN_INCHES, 3.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    colors = colors_for(runs)
    for ax, panel in zip(axes, panels):
        for label, run in runs.items():
            records = run.train_records() if panel.get("train") else run.evals()
            points = [(r["step"], panel["get"](r, run)) for r in records]
            # a log scale has no zero (the last step of a schedule that decays to zero moves nothing)
            points = [(x, y) for x, y in points if y is not None and (y > 0 or not panel.get("log"))]
            if points:
                xs, ys = zip(*points)
                ax.plot(
                    xs,
                    ys,
                    color=colors[label],
                    label=f"{label} (seed {run.config['seed']})",
                    linewidth=1.4,
                    marker="o" if len(xs) <= 2 * FEW_POINTS else None,
                    markersize=3,
                )
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(panel["ylabel"])
        ax.set_title(panel["title"], fontsize=10)
        if panel.get("log"):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=7.5)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 1))
    _footer(fig, list(runs.values()))
    return fig


def update_ratios(runs: dict[str, Run]) -> Figure:
    """How far the step before each evaluation moved the attention and the MLP weights, relative to their size."""

    def ratio(group):
        return lambda r, run: (r.get("update_ratio") or {}).get(group)

    return _diagnostic_panels(runs, [
        {"title": f"{group} weights", "ylabel": "||update|| / ||weights||", "log": True, "get": ratio(group)}
        for group in ("attention", "mlp")
    ])  # fmt: skip


def gradient_norms(runs: dict[str, Run]) -> Figure:
    """The gradient norm before clipping, and the share of steps that clipped, over training."""
    return _diagnostic_panels(runs, [
        {"title": "gradient norm", "ylabel": "norm before clipping (mean since last record)", "train": True,
         "log": True, "get": lambda r, run: r.get("grad_norm")},
        {"title": "clipping", "ylabel": "share of steps clipped", "train": True,
         "get": lambda r, run: r.get("clip_rate")},
    ])  # fmt: skip


def _mean(nested) -> float | None:
    values = [v for row in nested or [] for v in row]
    return sum(values) / len(values) if values else None


def attention_use(runs: dict[str, Run]) -> Figure:
    """The mean attention entropy over every layer and head, and the share of attention on the title's own tokens."""
    return _diagnostic_panels(runs, [
        {"title": "attention entropy", "ylabel": "mean over layers and heads (nats)",
         "get": lambda r, run: _mean(r.get("attn_entropy"))},
        {"title": "attention on the title's own tokens", "ylabel": "share of attention",
         "get": lambda r, run: _mean(r.get("attn_own_title"))},
    ])  # fmt: skip


def overfitting(runs: dict[str, Run]) -> Figure:
    """Validation minus training loss (both per character: the training loss per token times the training
    stream's tokens per character), and the RMS of the blocks' weights."""

    def gap(r, run):
        if "train_loss" not in r or "val_loss" not in r:
            return None
        return r["val_loss"] - r["train_loss"] * (tokens_per_char(run) or 1.0)

    def block_rms(r, run):
        rms = r.get("weight_rms") or {}
        return (rms["attention"] + rms["mlp"]) / 2 if "attention" in rms and "mlp" in rms else None

    return _diagnostic_panels(runs, [
        {"title": "validation minus training", "ylabel": "loss gap (nats/char, approx.)", "get": gap},
        {"title": "weights", "ylabel": "RMS of attention and MLP weights", "get": block_rms},
    ])  # fmt: skip


# ------------------------------------------------------------------ benchmarks (benchmarks/results.json)


def benchmark(results: dict) -> Figure:
    """Training tokens/s of the reference loop and of lmlab per machine (a row each) and profile,
    with MFU against the machine's measured matrix-product peak."""
    machines = {
        name: m for name, m in results["machines"].items() if m.get("profiles")
    }  # throughput measured
    columns = max(len(m["profiles"]) for m in machines.values())
    fig = Figure(figsize=(COLUMN_INCHES, 3.2 * len(machines)), layout="constrained")
    rows = fig.subfigures(len(machines), 1, squeeze=False)[:, 0]
    for row, (name, entry) in zip(rows, machines.items()):
        axes = row.subplots(1, columns, squeeze=False)[0]
        for ax, (profile, r) in zip(axes, entry["profiles"].items()):
            variants = list(r["train_tok_per_s"])
            tps = [r["train_tok_per_s"][v] for v in variants]
            bars = ax.bar(range(len(variants)), tps, color=[COLORS[i] for i in range(len(variants))])
            for bar, v in zip(bars, variants):
                ax.annotate(  # inside the bar's top: above it, neighbours' labels and the title collide
                    f"{r['mfu'][v]:.0%}\nMFU",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    textcoords="offset points",
                    xytext=(0, -4),
                    ha="center",
                    va="top",
                    fontsize=7,
                    color="white",
                )
            ax.set_xticks(range(len(variants)), variants, rotation=20, fontsize=8)
            ax.set_title(  # MFU divides by the peak measured in the same run, which varies with the load
                f"{profile}: {r['model']['params'] / 1e6:.1f}M params, {r.get('precision', 'fp32')}\n"
                f"MFU of a {r['gemm_peak_gflops']:,.0f} GFLOP/s peak",
                fontsize=9,
            )
            ax.set_ylabel("training tokens/s")
            ax.grid(axis="y", alpha=0.3)
        for ax in axes[len(entry["profiles"]) :]:
            ax.set_visible(False)
        m = entry["machine"]
        row.suptitle(name, fontsize=11)
        row.supxlabel(
            f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}; each panel's peak: a matrix product measured "
            f"in its run · {entry['date']}",
            fontsize=FOOTER_POINTS,
            color="0.35",
        )
    return fig


FAMILY_CLIP = (
    0.06  # the family chart's axis ends here; a change worth more is drawn at the edge, its value written
)


def family(summary: dict, runs: list[Run]) -> Figure:
    """What each change is worth inside the final recipe: per row, the loss without the change minus
    the loss with it, so that above zero the change helps. Blue: the confirmation on the test split at
    fresh seeds, with its 95% interval, filled and solid where Holm's verdict over the family resolves
    it, hollow and dashed where not; red, hollow, just below: what the ladder measured when it tried the
    change, on validation. A change worth more than FAMILY_CLIP is drawn at the axis' edge (▶) with its
    value written, so that the others keep the width."""
    from matplotlib.lines import Line2D

    rows = [(label, row) for label, row in summary["family"].items()]
    fig = Figure(figsize=(COLUMN_INCHES, 0.36 * len(rows) + 1.7), layout="constrained")
    ax = fig.subplots()
    ax.axvline(0, color="0.4", linewidth=1)
    resolved_verdicts = ("held", "leaves the recipe", "helps", "hurts")
    gains = {label: (summary["ladder_gain"].get(label) or {}).get("worth") for label, _ in rows}
    shown = [interval for label, row in rows for interval in (row["worth"], gains[label]) if interval]
    left = min([interval["low"] for interval in shown] + [0.0])
    left, right = left - 0.06 * (FAMILY_CLIP - left), FAMILY_CLIP

    def draw(interval: dict, y: float, color: str, filled: bool, solid: bool, size: float, above: bool):
        face = color if filled else "white"
        # beyond the axis: its interval up to the edge, an arrow there, the value
        if interval["mean"] > right:
            if interval["low"] < right:
                ax.plot([max(interval["low"], left), right], [y, y], color=color, linewidth=2 if solid else 1,
                        linestyle="-" if solid else (0, (2, 2)))  # fmt: skip
            ax.plot(right, y, marker=">", markersize=size + 1, color=color, markerfacecolor=face, linestyle="",
                    clip_on=False)  # fmt: skip
            ax.annotate(f"{interval['mean']:+.3f} [{interval['low']:+.3f}, {interval['high']:+.3f}]", (right, y),
                        xytext=(-8, 5 if above else -5), textcoords="offset points", ha="right",
                        va="bottom" if above else "top", fontsize=7.5, color=color)  # fmt: skip
            return
        ax.plot([max(interval["low"], left), min(interval["high"], right)], [y, y], color=color,
                linewidth=2 if solid else 1, linestyle="-" if solid else (0, (2, 2)), alpha=1 if solid else 0.8)  # fmt: skip
        ax.plot(interval["mean"], y, "o", markersize=size, color=color, markerfacecolor=face)

    for y, (label, row) in enumerate(rows):
        if gains[label]:
            both_beyond = bool(row["worth"]) and row["worth"]["mean"] > right
            draw(gains[label], y + 0.18, COLORS[1], filled=False, solid=False, size=5, above=not both_beyond)
        if row["worth"]:
            resolved = row["verdict"] in resolved_verdicts
            draw(row["worth"], y, COLORS[0], filled=resolved, solid=resolved, size=6, above=True)
    ax.set_xlim(left, right)
    ax.set_yticks(range(len(rows)), [f"{row['change']} ({'taken out' if row['kind'] == 'without' else 'put in'})"
                                     for _, row in rows])  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlabel(
        "loss without the change minus with it (nats/char);\n"
        f"above zero the change helps; ▶: a value beyond {FAMILY_CLIP:g}, written beside it"
    )
    if not any(row["worth"] for row in summary["family"].values()):
        ax.text(0.5, 0.5, "no confirmation run has finished yet:\nonly the ladder's measurements are drawn",
                transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.3",
                bbox=dict(facecolor="white", edgecolor="0.7"))  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=[
            Line2D(
                [],
                [],
                color=COLORS[0],
                marker="o",
                linewidth=2,
                label="confirmation (test split, fresh seeds, 95%): Holm resolves it",
            ),
            Line2D(
                [],
                [],
                color=COLORS[0],
                marker="o",
                markerfacecolor="white",
                linewidth=1,
                linestyle=(0, (2, 2)),
                label="confirmation: Holm's correction does not resolve it (not confirmed)",
            ),
            Line2D(
                [],
                [],
                color=COLORS[1],
                marker="o",
                markerfacecolor="none",
                linestyle="none",
                label="the ladder when it tried the change (validation)",
            ),
        ],  # fmt: skip
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=1,
        frameon=False,
    )
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 1))
    _footer(fig, runs)
    return fig
