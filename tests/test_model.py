import itertools

import pytest
import torch

from lmlab.model import GPT, ModelConfig
from lmlab.optim import lr_factor, make_optimizer, param_groups
from lmlab.config import make_config

SWITCHES = {
    "pos": ["learned", "rope"],
    "norm": ["layer", "rms"],
    "mlp": ["gelu", "relu", "relu2", "swiglu"],
    "tie_embeddings": [True, False],
    "init": ["normal", "scaled"],
    "title_mask": [False, True],
    "bias": [True, False],
    "qk_norm": [False, True],
    "logit_softcap": [0.0, 15.0],
}


def tiny(**kw):
    return ModelConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, d_model=32, dropout=0.0, **kw)


def test_the_challenge_model_has_its_parameter_count():
    with torch.device("meta"):
        assert GPT(ModelConfig(vocab_size=16_000)).num_params() == 27_172_864


def one_switch_at_a_time():
    for key, values in SWITCHES.items():
        for v in values[1:]:
            yield {key: v}
    yield {"optimizer": "adamw"}
    yield {"optimizer": "muon"}


@pytest.mark.parametrize("switch", list(one_switch_at_a_time()), ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_every_switch_builds_and_learns(switch):
    torch.manual_seed(0)
    opt_name = switch.pop("optimizer", "adamw")
    model = GPT(tiny(**switch))
    cfg = make_config("smoke", optimizer=opt_name, lr=3e-3)
    opt = make_optimizer(cfg, model, torch.device("cpu"))
    # a fixed repeating sequence: any working model memorizes it in a few steps
    data = torch.arange(16 * 4 + 1) % 7 + 1
    x, y = data[:-1].view(4, 16), data[1:].view(4, 16)
    losses = []
    for _ in range(30):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_all_switches_together_build():
    for combo in itertools.islice(itertools.product(*SWITCHES.values()), 0, None, 7):
        model = GPT(tiny(**dict(zip(SWITCHES, combo))))
        logits, _ = model(torch.randint(0, 50, (2, 16)))
        assert logits.shape == (2, 16, 50) and torch.isfinite(logits).all()


def test_title_mask_stops_attention_across_titles():
    torch.manual_seed(0)
    model = GPT(tiny(title_mask=True, eos_id=1)).eval()
    x = torch.tensor([[5, 6, 7, 1, 8, 9, 10, 11]])
    changed = x.clone()
    changed[0, 1] = 20  # a token of the previous title
    a, _ = model(x)
    b, _ = model(changed)
    assert torch.allclose(a[0, 3:], b[0, 3:])  # from the <eos> on, the earlier title is invisible
    assert not torch.allclose(a[0, 1:3], b[0, 1:3])
    unmasked = GPT(tiny(title_mask=False, eos_id=1)).eval()
    assert not torch.allclose(unmasked(x)[0][0, 3:], unmasked(changed)[0][0, 3:])


def test_untied_head_adds_a_matrix_and_scaled_init_shrinks_residual_projections():
    assert GPT(tiny(tie_embeddings=False)).num_params() == GPT(tiny()).num_params() + 50 * 32
    torch.manual_seed(0)
    scaled = GPT(tiny(init="scaled"))
    assert scaled.blocks[0].attn.proj.weight.std() < 0.6 * 0.02


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
        assert lr_factor(cfg, step, 100) * cfg.lr == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-15)
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
    cfg = make_config("smoke", optimizer="muon", lr=3e-3, muon_lr=0.02, weight_decay=0.1, muon_weight_decay=0.05)
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
    assert {g["lr"] for g in muon.param_groups} == {0.01} and {g["lr"] for g in adamw.param_groups} == {1.5e-3}
    assert opt.param_groups[0]["lr"] == 1.5e-3  # the rate a run logs as `lr` is AdamW's


def test_a_setting_added_later_keeps_every_earlier_run_id():
    from lmlab.config import run_id

    # computed before qk_norm, logit_softcap, muon_lr, muon_weight_decay, max_steps and precision existed
    assert run_id(make_config("cpu", data="titles.txt", optimizer="adamw", lr=2e-3), "f" * 16) == "b2d7b347f400"
    assert run_id(make_config("full", precision="fp32"), "0" * 16) == "483413cd4b02"
    assert run_id(make_config("full", precision="fp32", qk_norm=True), "0" * 16) != "483413cd4b02"
    # bf16 arithmetic gives other numbers: the full profile's bf16 run is not the fp32 one
    assert make_config("full").precision == "bf16"
    assert run_id(make_config("full"), "0" * 16) != "483413cd4b02"


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
    monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz", counted("bf16", torch_muon._zeropower_via_newtonschulz))
    for precision in ("fp32", "bf16"):
        weight = torch.nn.Parameter(torch.randn(24, 40))
        weight.grad = grad.clone()
        optim.Muon([weight], precision, lr=0.01).step()
    assert calls == ["fp32", "bf16"]
