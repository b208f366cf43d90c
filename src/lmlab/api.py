"""The calls a notebook makes: run (train, or fetch from the store), sweep, compare."""

from __future__ import annotations

import itertools
from pathlib import Path

from lmlab.config import DEFAULT_PROFILE, make_config
from lmlab.runs import Run, RunStore, record_use


def run(
    profile: str = DEFAULT_PROFILE, runs_dir: str | Path | None = None, progress: bool = True, **overrides
) -> Run:
    """One run with `overrides` on top of `profile`; returns the cached run when it exists."""
    from lmlab.train import train as train_config

    result = train_config(make_config(profile, **overrides), runs_dir=runs_dir, progress=progress)
    record_use(result)
    return result


def sweep(
    profile: str = DEFAULT_PROFILE,
    runs_dir: str | Path | None = None,
    progress: bool = True,
    executor="local",
    **grid,
) -> list[Run]:
    """Every combination of the listed values (a scalar is one value), each run cached on its own.
    `executor`: "local" trains them here one after another; "ray" (or an executor from
    lmlab.executors.make_executor) trains them as Ray tasks, side by side."""
    from lmlab.executors import train_configs

    keys = list(grid)
    values = [v if isinstance(v, (list, tuple)) else [v] for v in grid.values()]
    configs = [make_config(profile, **dict(zip(keys, combo))) for combo in itertools.product(*values)]
    runs = train_configs(configs, executor, runs_dir, progress)
    for result in runs:
        record_use(result)
    return runs


def load_run(run_id: str, runs_dir: str | Path | None = None) -> Run:
    return RunStore(runs_dir).find(run_id)


def compare(runs: list[Run]) -> str:
    from lmlab.runs import compare_table

    return compare_table(runs)
