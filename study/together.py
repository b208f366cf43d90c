"""The together notebook's sentences (notebooks/17_together): which of the changes tried together
carries the gain, and how they compare with each alone."""

from __future__ import annotations

from lmlab.markdown import markdown, paired_words
from lmlab.stats import paired_difference


def ablation(result, combined: str, left_out: dict[str, str], alone: dict):
    """A combined change, each part left out in turn, and each part measured alone at its own step:
    which part carries the gain, and how the parts alone compare with the whole. `left_out` maps a
    part to the label of the candidate without it; `alone` maps a part to its own step's result."""
    whole = result.groups[combined]
    without = {part: paired_difference(result.groups[label], whole) for part, label in left_out.items()
               if result.groups.get(label)}  # fmt: skip
    costs = [f"without {part}, {paired_words(p)}" for part, p in without.items()]
    lines = [
        "**Which change carries it.** Each part left out in turn, at the same base and seeds (the candidate "
        f"without it minus {combined}; above zero, the part left out helped): " + "; ".join(costs) + "."
    ]
    helped = [part for part, p in without.items() if p and p["low"] > 0]
    hurt = [part for part, p in without.items() if p and p["high"] < 0]
    neither = [part for part, p in without.items() if p and p["low"] <= 0 <= p["high"]]
    verdicts = [
        f"without {' or '.join(helped)} the loss is higher: {'it carries' if len(helped) == 1 else 'they carry'} the gain"
        if helped else "",
        f"without {' or '.join(hurt)} the loss is lower than with all three: {'it' if len(hurt) == 1 else 'they'} "
        "hurt here, with an interval that excludes zero" if hurt else "",
        f"without {' or '.join(neither)} the difference cannot be told from zero" if neither else "",
    ]  # fmt: skip
    if any(verdicts):
        lines += ["", "So " + "; ".join(v for v in verdicts if v) + ". The pairs are ablations, not candidates: the "
                      "recipe takes the three together, the change this step tested"
                      + (f", and so carries {' and '.join(hurt)} although this ablation finds "
                         f"{'it' if len(hurt) == 1 else 'them'} to hurt. No later step of the ladder tests "
                         f"dropping {'it' if len(hurt) == 1 else 'them'}; the confirmation page "
                         "takes each part out of the final recipe on fresh seeds and titles no decision read." if hurt
                         else ".")]  # fmt: skip
    singles = {part: r.paired for part, r in alone.items() if r.paired}
    if singles:
        together = paired_words(result.paired)
        lines += [
            "",
            "**Alone and together.** Alone, each from the recipe of its own step (earlier in the ladder, "
            "before the steps that followed it): "
            + ", ".join(f"{part} {p['mean']:+.4f}" for part, p in singles.items())
            + f", {sum(p['mean'] for p in singles.values()):+.4f} summed. Together, from this step's recipe: "
            f"{together}, {result.verdict}. The bases differ, so this does not show whether the parts add up; "
            "it shows what the three do together from the recipe as it now stands.",
        ]
    return markdown("\n".join(lines))
