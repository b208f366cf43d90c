"""Interactive twins of some figures (lmlab.figures), drawn with plotly: the same panels from the
same numbers (lmlab.figure_data) and colours (lmlab.palette), with hover in the site. A notebook's
set-up (lmlab.notebook_setup) has plotly write them as its JSON mimetype, which MyST renders."""

from __future__ import annotations

from lmlab.figure_data import (
    TRAIN_LABEL,
    TRAIN_PER_CHAR_LABEL,
    VAL_LABEL,
    Groups,
    all_runs,
    ladder_points,
    seed_curve,
    tokenizations_differ,
)
from lmlab.palette import COLORS, colors_for
from lmlab.runs import Run, provenance
from lmlab.stats import level_text


def loss_curves(groups: Groups, reference: str | None = None):
    """The same panels as lmlab.figures.loss_curves (training, then validation), with hover."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    per_char = tokenizations_differ(groups)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training", "validation (every token once)"))
    colors = colors_for(groups)
    for label, runs in groups.items():
        dash = "dash" if label == reference else "solid"
        for col, key, unit in (
            (1, "train_loss", "nats/char" if per_char else "nats/token"),
            (2, "val_loss", "nats/char"),
        ):
            xs, mean, std = seed_curve(runs, key, "step", per_char=per_char and key == "train_loss")
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=mean,
                    name=label,
                    legendgroup=label,
                    showlegend=col == 2,
                    line=dict(color=colors[label], dash=dash),
                    error_y=dict(type="data", array=std, visible=len(runs) > 1 and col == 2, thickness=1),
                    hovertemplate=f"step %{{x}}<br>%{{y:.4f}} {unit}<extra>{label}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="optimizer step")
    fig.update_yaxes(title_text=TRAIN_PER_CHAR_LABEL if per_char else TRAIN_LABEL, row=1, col=1)
    fig.update_yaxes(title_text=VAL_LABEL, row=1, col=2)
    fig.update_layout(height=440, legend=dict(orientation="h", y=-0.25))
    _frame(fig, all_runs(groups))
    return fig


def ladder(groups: Groups, metric: str = "val_loss", intervals: dict[str, dict | None] | None = None):
    """The same panels as lmlab.figures.ladder: the recipe's path with each step's best candidate (hollow
    where not adopted), and each step's paired interval; hover gives the values."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    points = ladder_points(groups, intervals, metric)
    names = [f"{p['step']}: {p['best']}" for p in points]
    columns = 2 if intervals else 1
    fig = make_subplots(
        rows=1, cols=columns, shared_yaxes=True, column_widths=[0.56, 0.44][:columns], horizontal_spacing=0.03
    )
    fig.add_trace(
        go.Scatter(
            x=[p["recipe"] for p in points],
            y=names,
            mode="lines",
            line=dict(color="#8c8c8c", shape="vh"),
            name="the recipe after each step",
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    hover = [
        f"<b>{n}</b><br>{p['mean']:.4f} ± {p['std']:.4f} (n={p['seeds']})"
        + (
            ""
            if p["paired"] is None
            else f"<br>paired difference {p['paired']['mean']:+.4f}, {level_text(p['paired']['level'])} interval "
            f"[{p['paired']['low']:+.4f}, {p['paired']['high']:+.4f}]"
        )
        + ("<br>adopted" if p["adopted"] else "<br>not adopted")
        for n, p in zip(names, points)
    ]
    symbols = ["circle" if p["adopted"] else "circle-open" for p in points]
    colors = [COLORS[0] if p["adopted"] else COLORS[1] for p in points]
    fig.add_trace(
        go.Scatter(
            x=[p["mean"] for p in points],
            y=names,
            mode="markers",
            name="best candidate",
            marker=dict(size=9, color=colors, symbol=symbols),
            error_x=dict(type="data", array=[p["std"] for p in points]),
            hovertext=hover,
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    if intervals:
        shown = [(n, p["paired"]) for n, p in zip(names, points) if p["paired"] is not None]
        # a step far larger than the rest is drawn at the panel's edge, its value in the hover
        edge = max([0.05] + [max(-q["low"], q["high"]) for _, q in shown if abs(q["mean"]) <= 0.1]) * 1.1
        far = [abs(q["mean"]) > 0.1 for _, q in shown]
        fig.add_trace(
            go.Scatter(
                x=[max(-edge, min(edge, q["mean"])) for _, q in shown],
                y=[n for n, _ in shown],
                mode="markers",
                name="paired difference",
                marker=dict(
                    size=9,
                    color=[COLORS[0] if q["high"] < 0 else COLORS[1] for _, q in shown],
                    symbol=[
                        "triangle-left" if f else "circle" if q["high"] < 0 else "circle-open"
                        for f, (_, q) in zip(far, shown)
                    ],
                ),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=[0 if f else q["high"] - q["mean"] for f, (_, q) in zip(far, shown)],
                    arrayminus=[0 if f else q["mean"] - q["low"] for f, (_, q) in zip(far, shown)],
                ),
                hovertext=[
                    f"{n}<br>paired difference {q['mean']:+.4f}, {level_text(q['level'])} interval [{q['low']:+.4f}, {q['high']:+.4f}]"
                    + (" (beyond the panel's edge)" if f else "")
                    for f, (n, q) in zip(far, shown)
                ],
                hoverinfo="text",
            ),
            row=1,
            col=2,
        )
        fig.add_vline(x=0, line=dict(color="gray", width=1), row=1, col=2)
        fig.update_xaxes(
            title_text="paired difference (the step's interval)", range=[-edge, edge], row=1, col=2
        )
    fig.update_xaxes(title_text=VAL_LABEL if metric == "val_loss" else metric, row=1, col=1)
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont=dict(size=10))
    fig.update_layout(height=140 + 26 * len(points), showlegend=False)
    _frame(fig, all_runs(groups))
    return fig


def _frame(fig, runs: list[Run]) -> None:
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
        margin=dict(l=60, r=20, t=80, b=60),  # room for the x axes' titles below the ticks
    )
