# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Notebook 90: benchmark results
#
# [![Open in Colab](open-in-colab.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/90_performance.ipynb)
#
# Reads `benchmarks/results.json`, written by `python benchmarks/bench_train.py`, which measures
# lmlab's training step against the challenge's own loop (benchmarks/reference.py) in one process
# on one machine.

# %%
import json
from pathlib import Path

from lmlab import figures, notebook_setup, perf_tables

notebook_setup.setup_notebook()
results = json.loads(Path("../benchmarks/results.json").read_text())

# %%
#| label: perf-throughput
figures.benchmark(results)

# %%
#| label: perf-table
perf_tables.benchmark_table(results)

# %%
#| label: perf-precision
perf_tables.precision_table(results)

# %%
#| label: perf-profile
profiles = json.loads(Path("../benchmarks/profiles.json").read_text())
perf_tables.profile_table(profiles, "cpu")

# %%
#| label: perf-memory
perf_tables.memory_table(results)

# %%
#| label: perf-executors
perf_tables.executors_table(results)
