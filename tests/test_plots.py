"""Figures name their runs and show what they claim to show."""

import lmlab
from conftest import TINY
from lmlab import plots


def test_figures_of_real_runs(runs_dir):
    bpe = [lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, seed=s) for s in (1, 2)]
    words = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **{**TINY, "tokenizer": "word"})

    fig = plots.topk_compare({"bpe": bpe[0], "words": words}, context=1)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["bpe", "words"]
    assert len(fig.axes[0].patches) == 10  # ten bars
    assert bpe[0].id[:8] in fig.texts[0].get_text() and words.id[:8] in fig.texts[0].get_text()

    fig = plots.loss_curves({"bpe": bpe}, val="val_ppl")
    ax_val = fig.axes[1]
    assert ax_val.get_yscale() == "log" and "perplexity" in ax_val.get_ylabel()
    final_ppl = sum(r.final["val_ppl"] for r in bpe) / 2
    assert abs(ax_val.lines[0].get_ydata()[-1] - final_ppl) < 1e-6 * final_ppl  # the last point is the final evaluation
