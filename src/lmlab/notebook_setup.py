"""What a notebook calls to set itself up: its parameters (profile, data), the printed line that
names them, and the display of figures (lmlab.figures, described in words) and interactive plots
(lmlab.interactive), in the study's colours (lmlab.palette)."""

from __future__ import annotations

import os
from pathlib import Path

from lmlab import config
from lmlab.config import HUB_DATASET
from lmlab.ladder import Study, load_study
from lmlab.project import data_setting


def in_colab() -> bool:
    import sys

    return "google.colab" in sys.modules


def default_profile() -> str:
    """The notebooks' profile here: `full` on a GPU, the default profile elsewhere."""
    import torch

    return config.default_profile(gpu=torch.cuda.is_available())


def parameters() -> tuple[str, str]:
    """(profile, data) for a notebook: environment first (LMLAB_PROFILE, LMLAB_DATA); else the
    default profile, and the data the project names (`[tool.lmlab] data`), else the challenge's hub
    dataset."""
    profile = os.environ.get("LMLAB_PROFILE") or default_profile()
    if not os.environ.get("LMLAB_PROFILE") and in_colab() and profile != config.default_profile(gpu=True):
        print(
            f"lmlab: this Colab runtime has no GPU, so the notebook takes the `{profile}` profile (minutes a run); "
            "for the challenge's `full` profile choose Runtime > Change runtime type > a GPU, and run it again"
        )
    data = os.environ.get("LMLAB_DATA") or data_setting() or HUB_DATASET
    return profile, data


def data_name(data: str) -> str:
    """A data source as a reader should see it: a hub name as it is, a local path by its file or
    folder name (the machine's absolute path means nothing on the page)."""
    from lmlab.data import source_kind

    try:
        return data if source_kind(data) == "hub" else Path(data).name
    except Exception:  # a source that does not exist: its name is still the best description
        return Path(data).name


def describe(profile: str, **sources: str) -> str:
    """The parameters line a notebook prints: `profile: cpu · data: titles.txt`."""
    return " · ".join(
        [f"profile: {profile}", *(f"{name}: {data_name(data)}" for name, data in sources.items())]
    )


def setup_notebook(study=None) -> None:
    """Figures as image outputs described in words, and plotly figures as their JSON mimetype,
    which MyST renders interactively (the default renderer on Colab writes HTML that loads plotly
    from a CDN); the study's labels keep one colour each in every figure."""
    import plotly.io as pio
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:  # registers the PNG formatter for matplotlib Figure objects built without pyplot
        shell.run_line_magic("matplotlib", "inline")
        from matplotlib.figure import Figure

        from lmlab.figures import alt_text

        # the text beside the image is what the site gives as its alt text
        shell.display_formatter.formatters["text/plain"].for_type(
            Figure, lambda fig, printer, cycle: printer.text(alt_text(fig))
        )

    pio.renderers.default = "plotly_mimetype+notebook_connected" if in_colab() else "plotly_mimetype"
    if study is not None:
        from lmlab.palette import use_palette

        use_palette(
            study.labels(),
            baselines=(study.baseline, study.final_baseline),
            groups=[list(step.changes({})) for step in study.steps],  # a step's candidates never share one
        )


def start() -> tuple[Study, str, str]:
    """A notebook's set-up in one call: the project's study (study/ beside notebooks/), the display set
    up for its labels, and the notebook's parameters (profile, data: LMLAB_PROFILE and LMLAB_DATA
    override them), printed as the line that names them. Returns (study, profile, data)."""
    study = load_study()
    setup_notebook(study)
    profile, data = parameters()
    print(describe(profile, data=data))
    return study, profile, data
