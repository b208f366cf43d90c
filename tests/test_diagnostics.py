"""What happens inside the model, recorded at every evaluation: each diagnostic present and sound."""

import json
import math
import subprocess
import sys

import pytest
import torch

import lmlab
from conftest import TINY, tiny
from lmlab import diagnostics
from lmlab.model import GPT

DIAGNOSTICS = ("weight_rms", "attn_entropy", "attn_own_title", "mlp_dead")


def test_every_evaluation_records_the_diagnostics(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    evals = run.evals()
    assert all(set(DIAGNOSTICS) <= set(e) for e in evals)
    assert "update_ratio" not in evals[0] and all(
        "update_ratio" in e for e in evals[1:]
    )  # no step before step 0
    n_layer, n_head = run.config["n_layer"], run.config["n_head"]
    for record in evals:
        assert set(record["weight_rms"]) == {
            "embedding",
            "attention",
            "mlp",
            "norms",
        }  # tied: no separate head
        assert len(record["attn_entropy"]) == n_layer and all(
            len(h) == n_head for h in record["attn_entropy"]
        )
        assert all(0 <= share <= 1 + 1e-6 for heads in record["attn_own_title"] for share in heads)
        assert all(0 <= dead <= 1 for dead in record["mlp_dead"])
    assert all(v > 0 for e in evals[1:] for v in e["update_ratio"].values())
    trained = run.train_records()
    assert all(r["grad_norm"] > 0 and 0 <= r["clip_rate"] <= 1 for r in trained)


def test_the_clipping_rate_is_one_where_every_step_clips(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, grad_clip=1e-9)
    assert [r["clip_rate"] for r in run.train_records()] == [1.0] * len(run.train_records())
    unclipped = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, grad_clip=0)
    assert {r["clip_rate"] for r in unclipped.train_records()} == {0.0}


def test_diagnostics_change_no_number(runs_dir, tmp_path):
    on = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    off = lmlab.run("smoke", runs_dir=tmp_path / "off", progress=False, **TINY, diagnostics=False)
    assert on.id == off.id and on.final == {**off.final, "train_seconds": on.final["train_seconds"]} | {
        "tok_per_s": on.final["tok_per_s"]
    }
    assert not any("weight_rms" in r for r in off.metrics)


def test_attention_that_cannot_tell_tokens_apart_is_uniform_over_what_it_sees():
    """Zero queries and keys: every visible token gets the same weight, so a head's entropy at position
    t is log(t + 1) causally, and log(the title's tokens so far) under the title mask."""
    torch.manual_seed(0)
    for title_mask in (False, True):
        model = GPT(tiny(title_mask=title_mask))
        d = model.cfg.d_model
        with torch.no_grad():
            for block in model.blocks:
                block.attn.qkv.weight[: 2 * d].zero_()
                block.attn.qkv.bias[: 2 * d].zero_()
        batch = torch.tensor([[5, 6, 1, 7, 8, 9, 1, 4, 3, 2, 6, 7, 8, 9, 2, 3]])  # 1 is <eos>
        found = diagnostics.inside(model, batch)
        title = torch.cumsum(batch[0] == 1, dim=0)
        seen = [int((title[: t + 1] == title[t]).sum()) if title_mask else t + 1 for t in range(16)]
        expected = sum(math.log(n) for n in seen) / 16
        assert found["attn_entropy"][0] == pytest.approx([expected, expected], rel=1e-5)
        own = sum((title[: t + 1] == title[t]).sum().item() / (t + 1) for t in range(16)) / 16
        assert found["attn_own_title"][0][0] == pytest.approx(1.0 if title_mask else own, rel=1e-5)


def test_dead_units_are_the_ones_that_never_fire():
    model = GPT(tiny(mlp="relu"))
    with torch.no_grad():
        up = model.blocks[0].mlp.up
        up.weight[:32].zero_()
        up.bias[:32].fill_(-1.0)  # a quarter of the 128 hidden units can never be positive
        up.bias[32:].fill_(10.0)  # the rest always are
    found = diagnostics.inside(model, torch.randint(0, 50, (2, 16)))
    assert found["mlp_dead"][0] == pytest.approx(0.25)


def test_runs_show_and_compare_print_the_last_diagnostics(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    out = subprocess.run(
        [sys.executable, "-m", "lmlab", "runs", "show", run.id, "--runs", str(runs_dir)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    last = json.loads(out)["last_diagnostics"]
    assert set(DIAGNOSTICS) | {"grad_norm", "clip_rate", "update_ratio"} <= set(last)
    table = subprocess.run(
        [sys.executable, "-m", "lmlab", "runs", "compare", "--runs", str(runs_dir)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "grad_norm" in table and "clip_rate" in table
