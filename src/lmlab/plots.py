"""Figures of runs. Every figure carries a footer naming profile, data and run ids.

Matplotlib figures are built with `matplotlib.figure.Figure` (not pyplot), so a notebook cell that
ends with one shows it exactly once and stores it as an image output; plotly versions of the loss
curves and the ladder give hover in the site.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lmlab.runs import Run, provenance
from lmlab.stats import mean_std
from lmlab.tables import summary_rows

Groups = dict[str, list[Run]]
COLORS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
VAL_LABEL = "validation loss (nats/char)"
VAL_LABELS = {
    "val_loss": VAL_LABEL,
    "val_ppl": "validation perplexity (per token)",
    "val_bpc": "validation bits per char",
}
TRAIN_LABEL = "training loss (nats/token)"
TRAIN_PER_CHAR_LABEL = "training loss (nats/char, approx.)"
FEW_POINTS = 8  # a curve with this many evaluations or fewer is drawn as points joined by a thin line


def _footer(fig: Figure, runs: list[Run]) -> None:
    fig.text(0.01, 0.005, provenance(runs), fontsize=7, color="0.4", ha="left", va="bottom")


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


def _runs(groups: Groups) -> list[Run]:
    return [r for runs in groups.values() for r in runs]


def tokens_per_char(run: Run) -> float | None:
    """Training tokens per character of the run's training stream (its tokenizer's compression)."""
    data = run.meta.get("data") or {}
    try:
        return data["tokens"]["train"] / data["chars"]["train"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def tokenizations_differ(groups: Groups) -> bool:
    """Whether the groups cut the text into tokens differently, so that losses per token do not compare."""
    return len({round(t, 6) for t in map(tokens_per_char, _runs(groups)) if t is not None}) > 1


def _curve(
    runs: list[Run], key: str, x: str, per_char: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and std across seeds of `key`, at the x values all runs share; `per_char` scales a
    per-token value by each run's training tokens per character."""
    series = []
    for run in runs:
        records = [r for r in run.metrics if key in r and r[key] is not None]
        scale = (tokens_per_char(run) or 1.0) if per_char else 1.0
        series.append({r[x]: r[key] * scale for r in records})
    common = sorted(set.intersection(*(set(s) for s in series))) if series else []
    values = np.array([[s[k] for k in common] for s in series], dtype=float)
    return (
        np.array(common, dtype=float),
        values.mean(axis=0),
        values.std(axis=0, ddof=1) if len(series) > 1 else np.zeros(len(common)),
    )


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
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_train, ax_val = fig.subplots(1, 2)
    per_char = tokenizations_differ(groups)
    for i, (label, runs) in enumerate(groups.items()):
        style = dict(
            color=COLORS[i % len(COLORS)], linestyle="--" if label == reference else "-", linewidth=1.6
        )
        for ax, key in ((ax_train, "train_loss"), (ax_val, val)):
            xs, mean, std = _curve(runs, key, x, per_char=per_char and key == "train_loss")
            name = f"{label} (n={len(runs)})" if len(runs) > 1 else label
            points = dict(marker="o", markersize=5, linewidth=0.8) if len(xs) <= FEW_POINTS else {}
            ax.plot(xs, mean, label=name, **{**style, **points})
            if len(runs) > 1:
                if points:
                    ax.errorbar(xs, mean, yerr=std, fmt="none", ecolor=style["color"], capsize=3, linewidth=1)
                else:
                    ax.fill_between(xs, mean - std, mean + std, color=style["color"], alpha=0.15, linewidth=0)
    xlabel = "optimizer step" if x == "step" else "epoch"
    ax_train.set(xlabel=xlabel, ylabel=TRAIN_PER_CHAR_LABEL if per_char else TRAIN_LABEL, title="training")
    ax_val.set(xlabel=xlabel, ylabel=VAL_LABELS[val], title="validation (every token once)")
    if val == "val_ppl":
        ax_val.set_yscale("log")
    for ax in (ax_train, ax_val):
        ax.grid(alpha=0.3)
    _zoom_to_progress(ax_val, groups, val)
    ax_val.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
    _footer(fig, _runs(groups))
    return fig


def _zoom_to_progress(ax, groups: Groups, key: str = "val_loss") -> None:
    """The first evaluation (an untrained model) dwarfs the differences that matter: clip it."""
    finals = [v for runs in groups.values() for v in (r.final.get(key) for r in runs) if v]
    evals = [e[key] for runs in groups.values() for r in runs for e in r.evals()[1:2]]
    if finals and evals:
        ax.set_ylim(min(finals) * 0.97, max(evals) * 1.02)


def topk_bars(run: Run, context: int = 1, k: int = 10) -> Figure:
    """The model's top-k next tokens after a probe context, `<eos>` highlighted, the true next token marked."""
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    _topk_axes(fig.subplots(), run.probes["next_token"][context], k)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    _footer(fig, [run])
    return fig


def topk_compare(runs: dict[str, Run], context: int = 1, k: int = 10) -> Figure:
    """The top-k next tokens of several runs after the same probe context, side by side: how
    differently tokenizers (or models) cut and predict the same text."""
    fig = Figure(figsize=(3.4 * len(runs), 3.8), layout="constrained")
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for ax, (label, run) in zip(axes, runs.items()):
        _topk_axes(ax, run.probes["next_token"][context], k, label=label)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    _footer(fig, list(runs.values()))
    return fig


def topk_grid(runs: dict[str, Run], contexts: tuple[int, ...] = (0, 1, 3), k: int = 8) -> Figure:
    """The top-k next tokens of each run (a row) after each of several probe contexts (a column):
    whether a model's predictions depend on the prefix, or are the same whatever it reads."""
    fig = Figure(figsize=(3.6 * len(contexts), 3.2 * len(runs)), layout="constrained")
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
    ax.set_yticks(range(len(tokens)), [repr(t)[1:-1] for t in tokens], fontsize=9)
    ax.set_xlabel("probability of the next token")
    shown = probe["context"] or "(start of a title)"
    title = f"after “{shown}”: P(<eos>) = {probe['eos_prob']:.3f}"
    true_next = probe.get("true_next")
    if (
        true_next is not None
    ):  # named even when it is not among the bars, so the figure says how far off it is
        title += f"\ntrue next: {true_next!r}" + ("" if true_next in tokens else f" (not in the top {k})")
    ax.set_title(title if label is None else f"{label}\n{title}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)


def token_frequency(run: Run, top_n: int = 25) -> Figure:
    """The training tokens: the most frequent ones, and the rank/frequency curve on log-log axes."""
    freq = run.probes["token_freq"]
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_top, ax_rank = fig.subplots(1, 2, width_ratios=(1.3, 1))
    top = freq["top"][:top_n]
    share = [t["count"] / freq["num_tokens"] for t in top]
    ax_top.bar(range(len(top)), share, color=["#d62728" if t["token"] == "<eos>" else "#1f77b4" for t in top])
    ax_top.set_xticks(range(len(top)), [repr(t["token"])[1:-1] for t in top], rotation=70, fontsize=8)
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


def ladder(
    groups: Groups, metric: str = "val_loss", intervals: dict[str, dict | None] | None = None
) -> Figure:
    """Each step's final metric, mean ± std over seeds, in ladder order; with `intervals`
    (lmlab.ladder.ladder_intervals) a second panel shows each step's paired difference to the
    recipe it started from, with its 95% interval, against zero."""
    rows = summary_rows(groups, metric)
    xs = np.arange(len(rows))
    fig = Figure(figsize=(max(6, 0.8 * len(rows) + 2), 6.5 if intervals else 4), layout="constrained")
    if intervals:
        ax, ax_paired = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        ax, ax_paired = fig.subplots(), None
    means = [r["mean"] for r in rows]
    ax.errorbar(xs, means, yerr=[r["std"] for r in rows], fmt="o-", capsize=4, color=COLORS[0])
    for x, r in zip(xs, rows):
        ax.annotate(
            f"{r['mean']:.3f}",
            (x, r["mean"]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    ax.set_ylabel(VAL_LABEL if metric == "val_loss" else metric)
    ax.grid(alpha=0.3)
    bottom = ax
    if ax_paired is not None:
        ax_paired.axhline(0, color="0.4", linewidth=1)
        for x, r in zip(xs, rows):
            p = intervals.get(r["label"])
            if p is None:
                continue
            below = p["high"] < 0
            ax_paired.errorbar(
                [x],
                [p["mean"]],
                yerr=[[p["mean"] - p["low"]], [p["high"] - p["mean"]]],
                fmt="o",
                capsize=4,
                color=COLORS[0] if below else COLORS[1],
                markerfacecolor=COLORS[0] if below else "white",
            )
        from matplotlib.lines import Line2D

        ax_paired.legend(
            handles=[
                Line2D([], [], marker="o", linestyle="", color=COLORS[0], label="interval below zero"),
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=COLORS[1],
                    markerfacecolor="white",
                    label="interval holds or is above zero",
                ),
            ],
            fontsize=8,
            loc="lower right",
        )
        ax_paired.set_ylabel("paired difference\nto the recipe, 95% CI")
        ax_paired.set_yscale("symlog", linthresh=0.02)
        ax_paired.grid(alpha=0.3)
        bottom = ax_paired
    bottom.set_xticks(xs, [r["label"] for r in rows], rotation=30, ha="right")
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 1))
    _footer(fig, _runs(groups))
    return fig


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
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for v in values:
        ax.scatter([v] * len(by_value[v]), by_value[v], color=COLORS[0], alpha=0.45, s=14)
    ax.plot(
        values, means, "o-", color=COLORS[0], label=f"mean over seeds (n={len(runs) // max(1, len(values))})"
    )
    ax.fill_between(values, means - stds, means + stds, color=COLORS[0], alpha=0.15, linewidth=0)
    for i, (label, ref_runs) in enumerate((reference or {}).items()):
        m, _ = mean_std([r.final.get(metric) for r in ref_runs])
        ax.axhline(m, color=COLORS[1 + i], linestyle="--", label=label)
    best = values[int(np.nanargmin(means))]
    ax.set(xlabel=key, ylabel=VAL_LABEL if metric == "val_loss" else metric, title=f"best {key} = {best:g}")
    if log_x and all(v > 0 for v in values):
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 1))
    _footer(fig, runs + [r for rs in (reference or {}).values() for r in rs])
    return fig


# ------------------------------------------------------------------ plotly (interactive in the site)


def loss_curves_plotly(groups: Groups, reference: str | None = None):
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (label, runs) in enumerate(groups.items()):
        xs, mean, std = _curve(runs, "val_loss", "step")
        color = COLORS[i % len(COLORS)]
        dash = "dash" if label == reference else "solid"
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=mean,
                name=label,
                line=dict(color=color, dash=dash),
                error_y=dict(type="data", array=std, visible=len(runs) > 1, thickness=1),
                hovertemplate="step %{x}<br>%{y:.4f} nats/char<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(xaxis_title="optimizer step", yaxis_title=VAL_LABEL, height=440)
    _plotly_frame(fig, _runs(groups))
    return fig


def ladder_plotly(groups: Groups, metric: str = "val_loss", intervals: dict[str, dict | None] | None = None):
    """The ladder, one point per step (its best candidate); the axis names the step, the hover says
    which candidate, its value, its paired difference to the recipe and the verdict."""
    import plotly.graph_objects as go

    rows = summary_rows(groups, metric)
    steps = [r["label"].split(": ", 1)[0] for r in rows]
    paired = [(intervals or {}).get(r["label"]) for r in rows]
    hover = [
        f"<b>{r['label']}</b><br>{r['mean']:.4f} ± {r['std']:.4f} (n={r['seeds']})"
        + (
            ""
            if p is None
            else f"<br>paired difference {p['mean']:+.4f}, 95% CI [{p['low']:+.4f}, {p['high']:+.4f}]"
        )
        for r, p in zip(rows, paired)
    ]
    adopted = [
        p is None or p["high"] < 0 for p in paired
    ]  # filled: the interval lies below zero (or there is none)
    fig = go.Figure(
        go.Scatter(
            x=steps,
            y=[r["mean"] for r in rows],
            mode="lines+markers",
            name="best candidate",
            marker=dict(size=9, color=COLORS[0], symbol=["circle" if a else "circle-open" for a in adopted]),
            error_y=dict(type="data", array=[r["std"] for r in rows]),
            hovertext=hover,
            hoverinfo="text",
        )
    )
    fig.update_layout(
        yaxis_title=VAL_LABEL if metric == "val_loss" else metric,
        height=460,
        showlegend=False,
        xaxis=dict(tickangle=-35, automargin=True),
    )
    _plotly_frame(fig, _runs(groups))
    return fig


def _plotly_frame(fig, runs: list[Run]) -> None:
    """Provenance in small type at the top of the figure, where nothing else is (the axis labels are
    at the bottom and may take any height), with room above the plot so the mode bar stays off the legend."""
    where, _, ids = provenance(runs).partition(" · runs ")
    fig.update_layout(
        template="plotly_white",
        title=dict(
            text=f"{where}<br>runs {ids}" if ids else where,
            x=0,
            xanchor="left",
            y=0.985,
            yanchor="top",
            font=dict(size=10, color="gray"),
        ),
        margin=dict(l=60, r=20, t=80, b=40),
    )


def benchmark(results: dict) -> Figure:
    """Training tokens/s of the reference loop and of lmlab per machine (a row each) and profile,
    with MFU against the machine's measured matrix-product peak."""
    machines = results["machines"]
    columns = max(len(m["profiles"]) for m in machines.values())
    fig = Figure(figsize=(10, 3.6 * len(machines)), layout="constrained")
    rows = fig.subfigures(len(machines), 1, squeeze=False)[:, 0]
    for row, (name, entry) in zip(rows, machines.items()):
        axes = row.subplots(1, columns, squeeze=False)[0]
        for ax, (profile, r) in zip(axes, entry["profiles"].items()):
            variants = list(r["train_tok_per_s"])
            tps = [r["train_tok_per_s"][v] for v in variants]
            bars = ax.bar(range(len(variants)), tps, color=[COLORS[i] for i in range(len(variants))])
            for bar, v in zip(bars, variants):
                ax.annotate(
                    f"{r['mfu'][v]:.0%} MFU",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    textcoords="offset points",
                    xytext=(0, 3),
                    ha="center",
                    fontsize=8,
                )
            ax.set_xticks(range(len(variants)), variants, rotation=20, fontsize=8)
            ax.set_title(
                f"{profile}: {r['model']['params'] / 1e6:.1f}M params, {r.get('precision', 'fp32')}",
                fontsize=10,
            )
            ax.set_ylabel("training tokens/s")
            ax.grid(axis="y", alpha=0.3)
        for ax in axes[len(entry["profiles"]) :]:
            ax.set_visible(False)
        m = entry["machine"]
        peak = max(r["gemm_peak_gflops"] for r in entry["profiles"].values())
        row.suptitle(name, fontsize=11)
        row.supxlabel(
            f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}, matrix-product peak {peak:,.0f} GFLOP/s · "
            f"{entry['date']}",
            fontsize=7,
            color="0.4",
        )
    return fig


def lr_curves(groups: Groups) -> Figure:
    """The learning rate each group trained with, as recorded step by step (first seed)."""
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    for i, (label, runs) in enumerate(groups.items()):
        records = runs[0].train_records()
        ax.plot(
            [r["step"] for r in records],
            [r["lr"] for r in records],
            label=label,
            color=COLORS[i % len(COLORS)],
        )
    ax.set(xlabel="optimizer step", ylabel="learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 1))
    _footer(fig, _runs(groups))
    return fig
