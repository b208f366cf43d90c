"""Figures name their runs and show what they claim to show."""

import pytest

import lmlab
from conftest import TINY
from lmlab import figure_data, figures, perf_tables


def test_figures_of_real_runs(runs_dir):
    bpe = [lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, seed=s) for s in (1, 2)]
    words = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **{**TINY, "tokenizer": "word"})

    fig = figures.topk_compare({"bpe": bpe[0], "words": words}, context=1)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["bpe", "words"]
    assert len(fig.axes[0].patches) == 10  # ten bars
    assert bpe[0].id[:8] in fig.texts[0].get_text() and words.id[:8] in fig.texts[0].get_text()

    fig = figures.loss_curves({"bpe": bpe}, val="val_ppl")
    ax_val = fig.axes[1]
    assert ax_val.get_yscale() == "log" and "perplexity" in ax_val.get_ylabel()
    final_ppl = sum(r.final["val_ppl"] for r in bpe) / 2
    assert (
        abs(ax_val.lines[0].get_ydata()[-1] - final_ppl) < 1e-6 * final_ppl
    )  # the last point is the final evaluation


def test_benchmarks_of_two_machines_stand_side_by_side():
    def measured(tps: dict, precision: str) -> dict:
        return {
            "precision": precision,
            "model": {"params": 27_000_000},
            "gemm_peak_gflops": 100.0,
            "train_tok_per_s": tps,
            "mfu": {k: v / 1e6 for k, v in tps.items()},
            "eval_tok_per_s": {"reference": 1.0, "lmlab": 2.0},
            "peak_memory_mb": {"reference": 10.0, "lmlab": None},
            "data_prep_s": {"cold": 1.0, "warm": 0.01},
        }

    machine = {"cpu": "EPYC", "cores": 2, "torch_threads": 2, "torch": "2.13"}
    results = {
        "machines": {
            "CPU: EPYC, 2 cores": {
                "machine": machine,
                "date": "d1",
                "profiles": {"full": measured({"reference": 400, "lmlab": 500}, "fp32")},
            },
            "GPU: H100": {
                "machine": machine,
                "date": "d2",
                "profiles": {"full": measured({"reference": 1e5, "lmlab": 4e5}, "bf16")},
            },
        }
    }
    fig = figures.benchmark(results)
    assert [sub.get_suptitle() for sub in fig.subfigs] == ["CPU: EPYC, 2 cores", "GPU: H100"]
    assert [bar.get_height() for bar in fig.subfigs[1].axes[0].patches] == [1e5, 4e5]
    assert "GPU: H100: full: 27.0M params, bf16" in figures.alt_text(fig)
    table = str(perf_tables.benchmark_table(results))
    assert (
        "| GPU: H100 | full (bf16) | lmlab | 400,000 | 4.00x |" in table
        and "| CPU: EPYC, 2 cores | full (fp32) | lmlab | 500 | 1.25x |" in table
    )


def test_training_loss_is_per_character_where_tokenizers_differ(runs_dir):
    small = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **{**TINY, "vocab_size": 400})
    large = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    per_token = figures.loss_curves({"a": [large], "b": [large]}).axes[0]
    assert per_token.get_ylabel() == figure_data.TRAIN_LABEL
    fig = figures.loss_curves({"400": [small], "512": [large]})
    assert fig.axes[0].get_ylabel() == figure_data.TRAIN_PER_CHAR_LABEL
    last = large.train_records()[-1]["train_loss"]
    assert fig.axes[0].lines[1].get_ydata()[-1] == pytest.approx(last * figure_data.tokens_per_char(large))


def test_a_validation_curve_of_few_evaluations_is_drawn_as_points(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    assert len(run.evals()) <= figures.FEW_POINTS
    assert figures.loss_curves({"run": [run]}).axes[1].lines[0].get_marker() == "o"


def test_the_topk_grid_puts_runs_in_rows_and_prefixes_in_columns(runs_dir):
    runs = {
        f"seed {s}": lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, seed=s) for s in (1, 2)
    }
    fig = figures.topk_grid(runs, contexts=(0, 1, 2))
    assert len(fig.axes) == 6 and [ax.get_title().split("\n")[0] for ax in fig.axes[::3]] == [
        "seed 1",
        "seed 2",
    ]
    true_next = runs["seed 1"].probes["next_token"][1]["true_next"]
    assert f"true next {true_next!r}" in fig.axes[1].get_title()  # named, among the bars or not


def test_the_diagnostic_figures_draw_a_line_per_run_in_every_panel(runs_dir):
    runs = {
        "no mask": lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY),
        "title mask": lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, title_mask=True),
    }
    for draw in (figures.update_ratios, figures.gradient_norms, figures.attention_use, figures.overfitting):
        fig = draw(runs)
        assert [len(ax.lines) for ax in fig.axes] == [2] * len(fig.axes), draw.__name__
    own = figures.attention_use(runs).axes[1].lines[1].get_ydata()
    assert all(share == pytest.approx(1.0) for share in own)  # with the mask, attention stays in the title


def test_the_ladder_chart_drawn_with_the_studys_longest_labels_cuts_none(tmp_path):
    from lmlab.runs import Run, write_json
    from study.ladder import LADDER

    groups, intervals = {}, {}
    for i, step in enumerate(LADDER.steps):
        # as lmlab.ladder labels them: a step that adopted nothing says its verdict after its candidate
        label = f"{step.title}: {max(step.changes({}), key=len)}" + (" (not resolved)" if i % 2 else "")
        runs = []
        for seed in (1, 2):
            folder = tmp_path / f"{i}-{seed}"
            folder.mkdir()
            write_json(folder / "config.json", {"seed": seed})
            write_json(
                folder / "meta.json", {"status": "done", "final": {"val_loss": 2.0 - 0.02 * i + 0.001 * seed}}
            )
            runs.append(Run(folder))
        groups[label] = runs
        # one step far beyond the others, as AdamW's is: drawn at the axis's edge with its value
        mean = -0.4 if i == 1 else (-0.02 if i % 3 else 0.01)
        intervals[label] = None if i == 0 else {"n": 2, "mean": mean, "low": mean - 0.01, "high": mean + 0.01}
    fig = figures.ladder(groups, intervals=intervals)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ticks = fig.axes[0].get_yticklabels()
    # wrapped, never cut; a step named after its candidate ("RMSNorm: RMSNorm") says it once
    shown = [
        step if best.lower() in step.lower() else f"{step}: {best}"
        for step, best in (label.removesuffix(" (not resolved)").split(": ", 1) for label in groups)
    ]
    assert [t.get_text().replace("\n", " ") for t in ticks] == shown
    assert "RMSNorm" in shown
    boxes = [t.get_window_extent(renderer) for t in ticks]
    assert all(box.x0 >= 0 for box in boxes)  # inside the figure's left edge
    assert all(upper.y0 > lower.y1 for upper, lower in zip(boxes, boxes[1:]))  # no two labels overlap
    edge = fig.axes[1].get_xlim()[0]
    assert edge >= -0.11 and any("-0.400" in t.get_text() for t in fig.axes[1].texts)


def test_a_label_keeps_one_colour_and_labels_drawn_together_never_share_one():
    from lmlab import palette

    labels = [f"candidate {i}" for i in range(60)]  # more labels than colours
    groups = [labels[i : i + 4] for i in range(0, 60, 4)]
    palette.use_palette(["baseline", *labels], baselines=["baseline"], groups=groups)
    palette._used.clear()
    palette._drawn_together.clear()
    for group in groups:
        colors = palette.colors_for(["baseline", "before: candidate 0", *group])
        assert colors["baseline"] == palette.BASELINE_COLOR
        assert colors["before: candidate 0"] == palette.REFERENCE_COLOR  # a step's recipe is grey
        assert not any(palette._alike(colors[a], colors[b]) for a in group for b in group if a != b)
    first = palette.colors_for(["a label the study does not name", "candidate 5"])
    again = palette.colors_for(["candidate 9", "a label the study does not name"])
    assert first["a label the study does not name"] == again["a label the study does not name"]
    assert first["candidate 5"] == palette.color_of("candidate 5")
    record = palette.used()
    assert all(len(shades) == 1 for shades in record["colors"].values())
    # what lmlab check reports from a notebook's record: two colours for one label, one colour for two
    problems = palette.clashes(
        {"x": ["#1f77b4", "#d62728"], "y": ["#2ca02c"], "z": ["#2ca02c"]}, [["x", "y"]]
    )
    assert any("'x' is drawn in 2 colours" in p for p in problems)
    assert any("'y' and 'z' are drawn in one colour" in p for p in problems)


def test_a_sweeps_title_names_the_values_that_tie_with_its_lowest_mean():
    import numpy as np

    from lmlab.figures import sweep_title

    means, stds = np.array([1.47, 1.4642, 1.4635, 1.49]), np.array([0.002, 0.001, 0.0012, 0.003])
    assert sweep_title("muon_lr", [0.005, 0.01, 0.02, 0.04], means, stds) == (
        "lowest mean at muon_lr = 0.02; 0.01 within its std"
    )
    apart = sweep_title("lr", [0.001, 0.002], np.array([1.5, 1.4]), np.array([0.01, 0.01]))
    assert apart == "lowest mean at lr = 0.002"


def test_the_family_chart_keeps_its_width_for_small_changes_and_marks_what_holm_leaves_unresolved():
    def interval(mean):
        return {"n": 5, "mean": mean, "low": mean - 0.01, "high": mean + 0.01, "level": 0.95}

    def row(change, mean, verdict):
        return {"change": change, "kind": "without", "worth": interval(mean), "verdict": verdict}

    summary = {
        "family": {
            "without Muon": row("Muon", 0.128, "held"),
            "without RoPE": row("RoPE", 0.015, "held"),
            "without SwiGLU": row("SwiGLU", -0.001, "not confirmed"),
        },
        "ladder_gain": {"without Muon": {"worth": interval(0.173)}},
    }
    ax = figures.family(summary, []).axes[0]
    assert ax.get_xlim()[1] == figures.FAMILY_CLIP  # Muon does not stretch the axis
    written = [t.get_text() for t in ax.texts]
    assert "+0.128 [+0.118, +0.138]" in written and "+0.173 [+0.163, +0.183]" in written
    faces = [line.get_markerfacecolor() for line in ax.lines if line.get_marker() == "o"]
    assert faces[0] != "white" and faces[1] == "white"  # RoPE resolved, filled; SwiGLU not, hollow
