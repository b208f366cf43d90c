"""Seed statistics."""

import pytest

from lmlab import markdown, stats


def test_paired_difference_pairs_seeds_and_gives_a_t_interval(tmp_path):
    from lmlab.runs import Run, write_json

    def runs(name, values):
        out = []
        for seed, value in values.items():
            folder = tmp_path / f"{name}{seed}"
            folder.mkdir()
            write_json(folder / "config.json", {"seed": seed})
            write_json(folder / "meta.json", {"status": "done", "final": {"val_loss": value}})
            out.append(Run(folder))
        return out

    recipe = runs("r", {1: 2.0, 2: 2.5, 3: 1.5, 4: 9.0})  # seed 4 has no partner: left out
    candidate = runs("c", {3: 1.4, 1: 1.9, 2: 2.3})
    paired = stats.paired_difference(candidate, recipe)
    # differences -0.1, -0.2, -0.1: mean -0.1333, sd 0.0577, t(0.975, 2) = 4.3027
    assert paired["n"] == 3 and paired["mean"] == pytest.approx(-0.13333, abs=1e-4)
    assert paired["high"] - paired["mean"] == pytest.approx(4.3027 * 0.057735 / 3**0.5, rel=1e-3)
    assert markdown.paired_cell(paired) == "-0.1333 [-0.2768,\u00a0+0.0101], n=3"
    assert stats.paired_difference(candidate[:1], recipe) is None  # one pair: no interval
    # a corrected rule's wider interval: t(0.995, 2) = 9.9248
    wide = stats.paired_difference(candidate, recipe, level=0.99)
    assert wide["mean"] == paired["mean"] and wide["high"] - wide["mean"] == pytest.approx(
        9.9248 * 0.057735 / 3**0.5, rel=1e-3
    )
    # t = -0.13333 / (0.057735 / sqrt 3) = -4.0 on 2 degrees of freedom: two-sided p = 0.0572
    assert paired["p"] == pytest.approx(0.0572, abs=1e-3)
    # the interval excludes zero exactly when p is below 1 - level
    assert (paired["high"] < 0) == (paired["p"] < 0.05) and (wide["high"] < 0) == (wide["p"] < 0.01)


def test_holm_steps_down_through_the_sorted_p_values():
    # sorted 0.01, 0.03, 0.04 are multiplied by 3, 2, 1 and kept non-decreasing: 0.03, 0.06, 0.06
    assert stats.holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert stats.holm([]) == []
