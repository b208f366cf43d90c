"""The study's word-level check on WikiText-2 (notebooks/30_wikitext2): which recipes of the ladder it
trains there, and what it found, beside the published numbers."""

from __future__ import annotations

from lmlab import wordlevel
from lmlab.ladder import FINAL_RECIPE, Ladder
from lmlab.markdown import markdown, spread
from lmlab.runs import Run, provenance
from lmlab.stats import final_values, level_text, mean_std, paired_difference


def recipes(ladder: Ladder) -> dict[str, dict]:
    """The challenge baseline, AdamW at the learning rate the ladder chose for it (a baseline that is
    not a straw man), and the ladder's final recipe, each from the ladder's runs (trained if missing)."""
    adamw = ladder.step("adamw").recipe_after
    return {
        ladder.study.final_baseline: {},
        f"AdamW lr {adamw['lr']:g}": adamw,
        FINAL_RECIPE: ladder.final().recipe_after,
    }


def table(groups: dict[str, list[Run]]):
    """Validation and test perplexity per word, ours (mean ± std over seeds) above the published numbers."""
    lines = [
        "| model | parameters | training | valid ppl | test ppl | source |",
        "|:---|---:|:---|---:|---:|:---|",
    ]
    for label, group in groups.items():
        cfg, meta = group[0].config, group[0].meta
        words = meta["data"]["tokens"]["train"]
        budget = f"{cfg['epochs']} x {words / 1e6:.2f}M words ({cfg['profile']} profile)"
        cells = []
        for metric in ("val_ppl", "test_ppl"):
            mean, std = mean_std([r.final.get(metric) for r in group])
            cells.append(spread(mean, std, 1))
        lines.append(
            f"| **{label}** (n={len(group)}) | {group[0].meta['num_params'] / 1e6:.1f}M | {budget} | "
            f"{cells[0]} | {cells[1]} | this study |"
        )
    for model, params, valid, test, source in wordlevel.PUBLISHED:
        lines.append(
            f"| {model} | {params} | 2.09M words, tuned to convergence | {valid} | {test} | {source} |"
        )
    runs_ = [r for group in groups.values() for r in group]
    lines += ["", f"*{provenance(runs_)}.*"]
    return markdown("\n".join(lines))


def comparison(groups: dict[str, list[Run]], recipe: str, baseline: str):
    """The word-level result in words: `recipe` against `baseline`, validation and test perplexity,
    paired seed by seed."""
    parts = []
    for metric, name in (("val_ppl", "validation"), ("test_ppl", "test")):
        ours, base = (
            mean_std(final_values(groups[recipe], metric)),
            mean_std(final_values(groups[baseline], metric)),
        )
        paired = paired_difference(groups[recipe], groups[baseline], metric=metric)
        parts.append(f"{name} perplexity {ours[0]:,.1f} ± {ours[1]:,.1f} against {base[0]:,.1f} ± {base[1]:,.1f}"
                     + ("" if paired is None else f" (paired difference {paired['mean']:+,.1f}, {level_text(paired['level'])} interval "
                        f"[{paired['low']:+,.1f}, {paired['high']:+,.1f}], n={paired['n']})"))  # fmt: skip
    better = (
        mean_std(final_values(groups[recipe], "val_ppl"))[0]
        < mean_std(final_values(groups[baseline], "val_ppl"))[0]
    )
    steps = sorted({run.meta.get("total_steps") for run in groups[recipe]} - {None})
    budget = f"{steps[0]:,} optimizer steps" if len(steps) == 1 else "this budget"
    return markdown(f"**{recipe} against {baseline}**, at the same budget and model size: " + "; ".join(parts)
                    + f". At {budget} over part of the training file, the recipe from the titles "
                    f"{'beats' if better else 'does not beat'} AdamW. That is a statement about this short budget: "
                    "the published models train to convergence, at perplexities far below these, and whether the "
                    "recipe's lead holds there is not measured.")  # fmt: skip
