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
# # AdamW and its learning rate
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lmlab/lmlab/blob/main/notebooks/02_adamw.ipynb)
#
# One change from the challenge recipe: the optimizer becomes AdamW (betas 0.9/0.95, no weight
# decay yet, the same cosine schedule). Adam's step size does not depend on the gradient's scale,
# so its best learning rate is far from SGD's: we sweep five values with three seeds each.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the toolkit first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lmlab @ git+https://github.com/lmlab/lmlab"], check=True)

# %% tags=["parameters"]
import lmlab
from lmlab import plots, report

report.setup_notebook()
PROFILE, DATA = report.parameters()  # LMLAB_PROFILE and LMLAB_DATA override these
SEEDS = [1, 2, 3]
LEARNING_RATES = [5e-4, 1e-3, 2e-3, 4e-3, 8e-3]
print(f"profile: {PROFILE}\ndata: {DATA}")

# %%
baseline = lmlab.sweep(PROFILE, data=DATA, seed=SEEDS, note="challenge recipe: SGD lr 6e-3, cosine")
adamw = lmlab.sweep(PROFILE, data=DATA, optimizer="adamw", lr=LEARNING_RATES, seed=SEEDS, note="AdamW learning-rate sweep")
by_lr = {lr: [r for r in adamw if r.config["lr"] == lr] for lr in LEARNING_RATES}
best_lr = min(LEARNING_RATES, key=lambda lr: report.mean_std(report.final_values(by_lr[lr]))[0])
groups = {"SGD (challenge)": baseline, f"AdamW lr {best_lr:g}": by_lr[best_lr]}

# %%
#| label: adamw-lr-sweep
plots.sweep(adamw, "lr", reference={"SGD (challenge)": baseline})

# %%
#| label: adamw-loss
plots.loss_curves(groups, reference="SGD (challenge)")

# %%
#| label: adamw-loss-interactive
plots.loss_curves_plotly({**{f"AdamW lr {lr:g}": by_lr[lr] for lr in LEARNING_RATES}, "SGD (challenge)": baseline}, reference="SGD (challenge)")

# %%
#| label: adamw-results
report.results_table({"SGD (challenge)": baseline, **{f"AdamW lr {lr:g}": by_lr[lr] for lr in LEARNING_RATES}})

# %%
#| label: adamw-topk
plots.topk_bars(by_lr[best_lr][0], context=1)

# %%
#| label: adamw-samples
report.samples(by_lr[best_lr][0])
