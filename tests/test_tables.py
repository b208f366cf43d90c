"""Tables and generated sentences, from recorded numbers."""

from lmlab import perf_tables, run_tables


def test_profiles_table_lists_what_differs_and_extra_budgets():

    budgets = {"cpu": {"d_model": 128, "epochs": 1}, "full": {"epochs": 7}}
    table = str(
        run_tables.profiles_table(("cpu", "cpu-27m", "full"), extra={"words": budgets}, note="a note")
    )
    assert "| `d_model` | 256 | 512 | 512 |" in table and "| `lr` |" not in table  # only what differs
    assert (
        "| words: `d_model` | 128 | — | 512 |" in table and "a note" in table
    )  # a missing value: the profile's
    assert "| words: `epochs` | 1 | — | 7 |" in table  # no budget at cpu-27m: a dash, not the profile's


def test_profile_table_puts_the_variants_side_by_side():

    def rec(variant, mm, fill):
        ops = [
            {"name": "aten::mm", "self_ms": mm, "share": mm / (mm + fill), "calls": 5},
            {"name": "aten::fill_", "self_ms": fill, "share": fill / (mm + fill), "calls": 5},
        ]
        return {
            "profile": "cpu",
            "variant": variant,
            "steps": 5,
            "settings": {},
            "step_ms": (mm + fill) / 5,
            "date": "2026-11-22",
            "machine": {"cpu": "test cpu", "torch_threads": 2},
            "ops": ops,
        }

    table = str(
        perf_tables.profile_table(
            {"cpu/reference": rec("reference", 600, 400), "cpu/lmlab": rec("lmlab", 600, 100)}
        )
    )
    assert (
        "| `aten::mm` | 60.0% | 85.7% |" in table
        and "| **CPU time per step** | **200 ms** | **140 ms** |" in table
    )
    assert "No profile" in str(perf_tables.profile_table({}, "full"))


def test_the_family_table_gives_every_change_its_worth_in_one_sign():
    """Without minus with, above zero the change helps, for a change taken out and for one put in alike:
    the ladder measured each as with minus without, a removal's variant is without minus with, an
    addition's is with minus without."""
    from lmlab import confirm, confirm_tables

    def interval(mean):
        return {"n": 5, "mean": mean, "low": mean - 0.001, "high": mean + 0.001, "level": 0.95}

    def row(change, kind, mean):
        paired = interval(mean)
        return {"change": change, "kind": kind, "seeds": [1, 2, 3, 4, 5], "paired": paired,
                "worth": confirm.worth(paired, kind), "p_holm": 0.01, "verdict": "v"}  # fmt: skip

    def gain(mean):
        return {"paired": interval(mean), "worth": confirm.turned(interval(mean))}

    summary = {
        "alpha": 0.05,
        "family": {
            "without Muon": row("Muon", "without", 0.12),
            "with untied": row("untied", "with", -0.014),
        },
        "ladder_gain": {"without Muon": gain(-0.17), "with untied": gain(-0.018)},
    }
    table = str(confirm_tables.family_table(summary, {}, {}, planned=5))
    assert "| without Muon () | +0.1700 [+0.1690,\u00a0+0.1710] | +0.1200 [+0.1190,\u00a0+0.1210] |" in table
    # putting untied in lowered the loss on the ladder and in the recipe: it is worth +0.018 and +0.014
    assert "| with untied () | +0.0180 [+0.0170,\u00a0+0.0190] | +0.0140 [+0.0130,\u00a0+0.0150] |" in table


def test_a_setting_in_a_table_breaks_after_its_equals_or_underscore_and_nowhere_else():
    from lmlab.markdown import markdown

    table = markdown("| change |\n|:---|\n| `tie_embeddings=False` `init=scaled` |")
    html = table._repr_html_()
    assert "<code>tie_<wbr>embeddings=<wbr>False</code>" in html and "<code>init=<wbr>scaled</code>" in html
    assert "<wbr>" not in str(table)  # the Markdown, what a reader copies, is as written


def test_the_against_baseline_table_gives_a_group_of_several_runs_its_mean_and_spread():
    """A group still training beside one with more seeds done: each says how many of its runs are in, one
    run's value stands alone, several give mean ± std (this once failed as soon as a group had two)."""
    from lmlab.ladder_tables import against_baseline_table

    def group(values, legacy, ratio=None):
        out = {
            "runs": [f"run{i}" for i in range(len(values))],
            "device": ["cpu"],
            "train_seconds": [3600] * len(values),
        }
        for metric, vals in (("val_loss", values), ("val_loss_legacy", legacy)):
            mean = sum(vals) / len(vals)
            std = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5 if len(vals) > 1 else 0.0
            out |= {metric: vals, f"{metric}_mean": mean, f"{metric}_std": std}
        return out | ({"ratio": ratio} if ratio else {})  # fmt: skip

    comparison = {
        "profile": "full",
        "data_fingerprint": "8e3483a0aaaa",
        "baseline": "baseline",
        "groups": {
            "baseline": group([1.8525], [1.6939]),
            "recipe": group(
                [1.2218, 1.2216], [1.2125, 1.2124], {"val_loss": 0.6596, "val_loss_legacy": 0.7158}
            ),
        },
    }
    table = str(against_baseline_table(comparison, planned={"baseline": 3, "recipe": 3}))
    assert table.splitlines()[0] == "| | baseline | recipe |"  # a column a group: it fits the page's column
    assert "| runs done | 1 of 3 | 2 of 3 |" in table
    assert "| loss (nats/char) | 1.8525 | 1.2217\u00a0±\u00a00.0001 |" in table
    assert "| loss (nats/char) | 1.6939 | 1.2125\u00a0±\u00a00.0001 |" in table  # the legacy metric's block
    assert "|  | **0.660** |" in table and "|  | **0.716** |" in table
    assert "| training (min a run) | 60 | 60, 60 |" in table
    assert "paired" not in table.split("*Each")[0]  # one shared seed: no rows of empty cells
    comparison["groups"]["recipe"]["paired"] = {
        "val_loss": {"n": 2, "mean": -0.63, "low": -0.64, "high": -0.62},
        "val_loss_legacy": {"n": 2, "mean": -0.48, "low": -0.49, "high": -0.47},
    }
    comparison["groups"]["recipe"]["paired_difference"] = comparison["groups"]["recipe"]["paired"]["val_loss"]
    comparison["groups"]["recipe"]["ratio_paired"] = {
        "val_loss": {"n": 2, "mean": 0.6596, "low": 0.6591, "high": 0.6601},
        "val_loss_legacy": {"n": 2, "mean": 0.7158, "low": 0.7154, "high": 0.7162},
    }
    table = str(against_baseline_table(comparison, planned={"baseline": 3, "recipe": 3}))
    assert "| minus the baseline, paired [95%] |  | -0.6300 [-0.6400,\u00a0-0.6200], n=2 |" in table
    assert "| minus the baseline, paired [95%] |  | -0.4800 [-0.4900,\u00a0-0.4700], n=2 |" in table
    assert "**0.660** [0.659,\u00a00.660]" in table and "**0.716** [0.715,\u00a00.716]" in table


def test_an_interval_end_near_zero_keeps_the_digit_that_says_its_side():
    from lmlab.markdown import paired_cell

    cell = paired_cell({"mean": 0.0008, "low": 0.00003, "high": 0.0015, "n": 7, "level": 0.99})
    assert cell == "+0.0008 [+0.00003,\u00a0+0.0015] at 99%, n=7"
    assert paired_cell({"mean": 0.0031, "low": -4.6e-06, "high": 0.0062, "n": 3}) == (
        "+0.0031 [-0.000005,\u00a0+0.0062], n=3"
    )  # not "-0.00000": the digit that says its side


def test_a_spread_too_small_for_four_decimals_shows_its_first_digit():
    from lmlab.markdown import spread

    assert spread(1.69394, 0.00004) == "1.6939\u00a0±\u00a00.00004"  # not "± 0.0000": none
    assert (
        spread(1.2217, 0.00019) == "1.2217\u00a0±\u00a00.0002"
        and spread(1.0, 0.0) == "1.0000\u00a0±\u00a00.0000"
    )


def test_p_values_keep_one_format_in_a_column():
    from lmlab.markdown import p_value

    assert [p_value(p) for p in (0.1, 0.022, 0.0017, 1.3e-4, 1.7e-6, None)] == [
        "0.10", "0.022", "0.0017", "<0.001", "<0.001", ""
    ]  # fmt: skip


def test_the_size_comparison_keeps_its_columns_narrow_and_names_the_models_below(tmp_path):
    """Each row a profile with numbers only; the models (the longest words) in one line under the table."""
    from lmlab.ladder import FINAL_RECIPE
    from lmlab.ladder_tables import size_comparison
    from lmlab.runs import Run, write_json

    def runs(name, profile, shape, losses, steps):
        out = []
        for seed, loss in enumerate(losses, 1):
            folder = tmp_path / f"{name}-{profile}-{seed}"
            folder.mkdir()
            n_layer, d_model, tokenizer, vocab, params = shape
            config = {"seed": seed, "profile": profile, "n_layer": n_layer, "d_model": d_model}
            config |= {"tokenizer": tokenizer, "vocab_size": vocab, "block_size": 64, "batch_size": 32}
            meta = {"status": "done", "num_params": params, "total_steps": steps, "final": {"val_loss": loss}}
            write_json(folder / "config.json", config)
            write_json(folder / "meta.json", meta)
            out.append(Run(folder))
        return out

    small, recipe = (4, 256, "bpe", 4096, 4.2e6), (2, 360, "unigram", 8192, 6.1e6)
    sizes = {
        "cpu": {
            "baseline": runs("b", "cpu", small, [2.24, 2.25, 2.23], 254),
            FINAL_RECIPE: runs("r", "cpu", recipe, [1.42, 1.43, 1.43], 220),
        },
        "cpu-27m": {
            "baseline": runs("b", "cpu-27m", (6, 512, "bpe", 16000, 27.2e6), [2.14, 2.15, 2.16], 48),
            FINAL_RECIPE: runs("r", "cpu-27m", (6, 512, "unigram", 16000, 27.1e6), [1.48, 1.48, 1.49], 48),
        },
    }
    table = str(size_comparison(sizes))
    header = table.splitlines()[0]
    assert "model" not in header and header.count("|") == 7
    assert "| `cpu` | 64 × 32, 254 → 220 |" in table
    assert (
        "The models, baseline → recipe (layers × width, vocabulary, parameters): `cpu` 4 × 256, BPE 4,096, 4.2M → "
        "2 × 360, unigram 8,192, 6.1M; `cpu-27m` 6 × 512, BPE 16,000, 27.2M → 6 × 512, unigram 16,000, 27.1M."
        in table
    )


def test_a_groups_speed_and_minutes_are_one_runs_and_agree(tmp_path):
    """tokens/s and min/run come from the same run, the one of median minutes: a run slowed by other
    work shows fewer tokens a second and more minutes, never more of both (readers caught that once)."""
    from lmlab.costs import cost
    from lmlab.runs import Run, write_json

    runs = []
    for seed, seconds, final_speed in ((1, 600, 2000.0), (2, 1200, 2500.0), (3, 900, 2100.0)):
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        write_json(folder / "config.json", {"seed": seed, "batch_size": 32, "block_size": 64})
        write_json(
            folder / "meta.json",
            {
                "status": "done",
                "total_steps": 770,
                "final": {"train_seconds": seconds, "tok_per_s": final_speed},
            },
        )
        runs.append(Run(folder))
    c = cost(runs)
    assert c["minutes"] == 15.0  # seed 3's 900 s, the median
    assert c["tok_per_s"] == 770 * 32 * 64 / 900


def test_the_precision_table_says_how_long_its_loss_check_ran_and_what_it_did_not_check():
    from lmlab.perf_tables import precision_table

    check = {
        "recipe": "the challenge baseline",
        "profile": "cpu-27m",
        "epochs": 4,
        "steps": 96,
        "runs": {"fp32, seed 1": {"id": "5e8dc7cdcd64"}},
        "bf16_minus_fp32": {"final": 1e-5, "largest": 6e-5, "evaluations": 18},
        "seed2_minus_seed1": {"final": 0.0024, "largest": 0.0096, "evaluations": 18},
    }
    step = {
        "s_per_step": {"fp32": 6.8, "bf16": 3.2},
        "bf16_speedup": 2.1,
        "params": 27e6,
        "batch_tokens": 8192,
    }
    machine = {"precision": {"full": {**step, "timed_steps": 6}, "loss_check": check, "date": "2026-12-01"}}
    text = str(precision_table({"machines": {"CPU: x": machine}}))
    assert (
        "at `cpu-27m` for 4 epochs, 96 steps (the profile's own runs train 2)" in text
        and "\n\n*The loss check" in text
    )
    assert "How far bf16 moves the final recipe's loss is not measured yet" in text
    machine["precision"]["loss_check_recipe"] = {
        **check,
        "recipe": "the final recipe at the challenge's size",
    }
    assert "not measured yet" not in str(precision_table({"machines": {"CPU: x": machine}}))
