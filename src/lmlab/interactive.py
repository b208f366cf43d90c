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
    seed_curve,
    tokenizations_differ,
)
from lmlab.palette import colors_for
from lmlab.runs import Run, provenance


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
            y=0.97,
            yanchor="top",
            font=dict(size=11, color="gray"),
        ),
        margin=dict(l=60, r=20, t=90, b=60),  # room for the x axes' titles below the ticks
    )
