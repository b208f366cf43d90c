"""What a notebook needs around its runs: its parameters (profile, data), seed statistics and
result tables, and the record of which runs it used.

Groups are `{label: [runs]}`: the seeds of one configuration under one label.
"""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path

from lmlab.runs import Run

HUB_DATA = "julien040/hacker-news-posts"
LOCAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hn-titles" / "titles.txt"
RUN_LOG_ENV = "LMLAB_RUN_LOG"


def in_colab() -> bool:
    import sys

    return "google.colab" in sys.modules


def parameters() -> tuple[str, str]:
    """(profile, data) for a notebook: environment first (LMLAB_PROFILE, LMLAB_DATA); else `full`
    on a GPU and `cpu` elsewhere; the offline copy of the titles beside the project when present,
    else the hub dataset."""
    import torch

    profile = os.environ.get("LMLAB_PROFILE") or ("full" if torch.cuda.is_available() else "cpu")
    data = os.environ.get("LMLAB_DATA") or (str(LOCAL_DATA) if LOCAL_DATA.exists() else HUB_DATA)
    return profile, data


def setup_notebook() -> None:
    """Figures as image outputs, and plotly figures as their JSON mimetype, which MyST renders
    interactively (the default renderer on Colab writes HTML that loads plotly from a CDN)."""
    import plotly.io as pio
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:  # registers the PNG formatter for matplotlib Figure objects built without pyplot
        shell.run_line_magic("matplotlib", "inline")

    pio.renderers.default = "plotly_mimetype+notebook_connected" if in_colab() else "plotly_mimetype"


def record_use(run: Run) -> None:
    """Append the run id to the file named by $LMLAB_RUN_LOG (set by `lmlab notebooks run`)."""
    log = os.environ.get(RUN_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{run.id}\t{run.meta.get('data', {}).get('fingerprint', '')}\t{run.config.get('profile', '')}\n")


def mean_std(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def final_values(runs: list[Run], metric: str = "val_loss") -> list[float]:
    return [r.final.get(metric) for r in runs]


def summary_rows(groups: dict[str, list[Run]], metric: str = "val_loss") -> list[dict]:
    """Per group: n seeds, mean and std of the final metric, change against the previous group."""
    rows, previous = [], None
    for label, runs in groups.items():
        mean, std = mean_std(final_values(runs, metric))
        legacy, _ = mean_std(final_values(runs, "val_loss_legacy"))
        rows.append({
            "label": label, "seeds": len(runs), "mean": mean, "std": std, "legacy": legacy,
            "delta": None if previous is None else mean - previous,
            "notes": sorted({r.note for r in runs if r.note}),
            "runs": [r.id for r in runs],
        })
        previous = mean
    return rows


def results_table(groups: dict[str, list[Run]], metric: str = "val_loss"):
    """A Markdown table (an IPython display object in a notebook) of the groups' final metric."""
    lines = [
        f"| | seeds | {metric} (nats/char) | change | legacy metric | note | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary_rows(groups, metric):
        delta = "" if row["delta"] is None else f"{row['delta']:+.4f}"
        lines.append(
            f"| {row['label']} | {row['seeds']} | {row['mean']:.4f} ± {row['std']:.4f} | {delta} | "
            f"{row['legacy']:.4f} | {'; '.join(row['notes'])} | {', '.join(r[:8] for r in row['runs'])} |"
        )
    runs = [r for rs in groups.values() for r in rs]
    lines.append("")
    lines.append(f"*{provenance(runs)}. Mean ± standard deviation over seeds.*")
    return markdown("\n".join(lines))


def markdown(text: str):
    try:
        from IPython.display import Markdown
    except ImportError:  # outside IPython the text itself is the most useful thing to return
        return text
    return Markdown(text)


def provenance(runs: list[Run]) -> str:
    """profile, data and run ids: what every figure and table states about where it came from."""
    profiles = sorted({r.config.get("profile", "?") for r in runs})
    sources = sorted({Path(r.meta.get("data", {}).get("source", "?")).name for r in runs})
    prints = sorted({r.meta.get("data", {}).get("fingerprint", "?")[:8] for r in runs})
    ids = [r.id[:8] for r in runs]
    shown = ", ".join(ids[:6]) + (f" +{len(ids) - 6} more" if len(ids) > 6 else "")
    return f"profile {'/'.join(profiles)} · data {', '.join(sources)} ({', '.join(prints)}) · runs {shown}"


def samples(run: Run):
    """The titles the model wrote (fixed seed), as a Markdown list."""
    lines = [f"Titles sampled from run `{run.id}` (temperature 1, seed {run.config.get('seed')}):", ""]
    lines += [f"- {title or '(empty)'}" for title in run.probes.get("samples", [])]
    lines += ["", f"*{provenance([run])}*"]
    return markdown("\n".join(lines))
