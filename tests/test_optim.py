"""Optimizers and schedules: which parameters each optimizer takes, weight decay's reach, the
schedules' shapes, and Muon in the run's arithmetic."""

import pytest
import torch

from conftest import tiny
from lmlab.config import make_config
from lmlab.errors import LmlabError
from lmlab.model import GPT
from lmlab.optim import lr_factor, make_optimizer, param_groups


def test_adamw_does_not_decay_norms_biases_or_embeddings():
    model = GPT(tiny())
    decay, no_decay = ({id(p) for p in g["params"]} for g in param_groups(model, 0.1))
    assert id(model.token_emb.weight) in no_decay and id(model.pos_emb) in no_decay
    assert id(model.blocks[0].attn.qkv.weight) in decay and id(model.blocks[0].ln1.weight) in no_decay
    assert id(model.blocks[0].attn.qkv.bias) in no_decay
    assert all(p.dim() >= 2 for p in model.parameters() if id(p) in decay)


def test_cosine_is_the_challenges_cosine_annealing():
    cfg = make_config("smoke", schedule="cosine")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=cfg.lr)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for step in range(100):
        assert lr_factor(cfg, step, 100) * cfg.lr == pytest.approx(
            opt.param_groups[0]["lr"], rel=1e-9, abs=1e-15
        )
        opt.step()
        ref.step()


@pytest.mark.parametrize("schedule", ["constant", "warmup_cosine", "wsd"])
def test_schedules_shape(schedule):
    cfg = make_config("smoke", schedule=schedule, warmup_frac="0.1", decay_frac="0.2")
    f = [lr_factor(cfg, s, 100) for s in range(100)]
    assert max(f) == pytest.approx(1.0) and min(f) >= 0
    if schedule == "constant":
        assert set(f) == {1.0}
    else:
        assert f[0] < 0.2 and f[-1] < 0.1  # warms up, decays to the end
    if schedule == "wsd":
        assert f[10:80] == [1.0] * 70


def test_muon_takes_the_block_matrices_and_adamw_the_rest_each_at_its_own_rate():
    from lmlab.optim import OptimizerChain, set_lr

    model = GPT(tiny(tie_embeddings=False))
    cfg = make_config(
        "smoke", optimizer="muon", lr=3e-3, muon_lr=0.02, weight_decay=0.1, muon_weight_decay=0.05
    )
    opt = make_optimizer(cfg, model, torch.device("cpu"))
    assert isinstance(opt, OptimizerChain)
    adamw, muon = opt.optimizers
    in_muon = {id(p) for g in muon.param_groups for p in g["params"]}
    in_adamw = {id(p) for g in adamw.param_groups for p in g["params"]}
    assert in_muon.isdisjoint(in_adamw) and in_muon | in_adamw == {id(p) for p in model.parameters()}
    assert in_muon == {id(p) for n, p in model.named_parameters() if n.startswith("blocks.") and p.dim() == 2}
    assert id(model.head.weight) in in_adamw and id(model.token_emb.weight) in in_adamw
    assert muon.param_groups[0]["weight_decay"] == 0.05
    set_lr(opt, cfg, 0.5)
    assert {g["lr"] for g in muon.param_groups} == {0.01} and {g["lr"] for g in adamw.param_groups} == {
        1.5e-3
    }
    assert opt.param_groups[0]["lr"] == 1.5e-3  # the rate a run logs as `lr` is AdamW's


def test_muon_orthogonalizes_in_the_runs_arithmetic(monkeypatch):
    import torch.optim._muon as torch_muon

    from lmlab import optim

    grad = torch.randn(24, 40, generator=torch.Generator().manual_seed(0))
    coefficients = (torch_muon.DEFAULT_A, torch_muon.DEFAULT_B, torch_muon.DEFAULT_C)
    ours = optim.newton_schulz_fp32(grad, coefficients, 5, 1e-7)
    theirs = torch_muon._zeropower_via_newtonschulz(grad, coefficients, 5, 1e-7)
    assert ours.dtype == torch.float32 and theirs.dtype == torch.bfloat16
    assert torch.allclose(ours, theirs.float(), atol=0.03)  # the same iteration, bf16's rounding apart
    assert torch.allclose(optim.newton_schulz_fp32(grad.T, coefficients, 5, 1e-7), ours.T)  # tall as wide

    calls = []

    def counted(name, fn):
        return lambda *args: calls.append(name) or fn(*args)

    monkeypatch.setattr(optim, "newton_schulz_fp32", counted("fp32", optim.newton_schulz_fp32))
    monkeypatch.setattr(
        torch_muon, "_zeropower_via_newtonschulz", counted("bf16", torch_muon._zeropower_via_newtonschulz)
    )
    for precision in ("fp32", "bf16"):
        weight = torch.nn.Parameter(torch.randn(24, 40))
        weight.grad = grad.clone()
        optim.Muon([weight], precision, lr=0.01).step()
    assert calls == ["fp32", "bf16"]


def test_sgd_momentum_and_nesterov_reach_torch_and_are_refused_where_they_mean_nothing():
    sgd = make_optimizer(make_config("smoke", momentum=0.9, nesterov=True), GPT(tiny()), torch.device("cpu"))
    assert isinstance(sgd, torch.optim.SGD)
    assert (sgd.defaults["momentum"], sgd.defaults["nesterov"]) == (0.9, True)
    with pytest.raises(LmlabError, match="nesterov=true needs momentum above 0"):
        make_config("smoke", nesterov=True)
    with pytest.raises(LmlabError, match="optimizer=adamw has its own"):
        make_config("smoke", optimizer="adamw", momentum=0.9)


def test_muons_orthogonalization_flops_are_what_its_iteration_computes():
    """The cost counted for a Muon step is what torch's FLOP counter sees the iteration do on every
    matrix Muon takes; another optimizer adds nothing."""
    from torch.utils.flop_counter import FlopCounterMode

    from lmlab import optim

    cfg = make_config("smoke", optimizer="muon")
    model = GPT(tiny())
    settings = optim.muon_settings(cfg)
    with FlopCounterMode(display=False) as counter:
        for weight in optim.muon_matrices(model):
            optim.newton_schulz_fp32(
                torch.randn_like(weight), settings["ns_coefficients"], settings["ns_steps"], settings["eps"]
            )
    assert optim.orthogonalization_flops(cfg, model) == counter.get_total_flops() > 0
    assert optim.orthogonalization_flops(make_config("smoke", optimizer="adamw"), model) == 0
