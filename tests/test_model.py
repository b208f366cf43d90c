import itertools

import pytest
import torch

from conftest import tiny
from lmlab.config import make_config
from lmlab.model import GPT, ModelConfig
from lmlab.optim import make_optimizer

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
    "attn_gate": [False, True],
}


def test_the_challenge_model_has_its_parameter_count():
    with torch.device("meta"):
        assert GPT(ModelConfig(vocab_size=16_000)).num_params() == 27_172_864


def test_training_flops_count_the_head_once_and_no_embedding_lookup():
    with torch.device("meta"):
        tied, untied = (GPT(ModelConfig(vocab_size=16_000, tie_embeddings=t)) for t in (True, False))
    # 27,172,864 less the position table (128 x 512), the token table being the head's weight; attention 12 L d T
    assert tied.flops_per_token() == 6 * (27_172_864 - 128 * 512) + 12 * 6 * 512 * 128 == 167_362_560
    assert untied.flops_per_token() == tied.flops_per_token()  # an untied head is the same product


def one_switch_at_a_time():
    for key, values in SWITCHES.items():
        for v in values[1:]:
            yield {key: v}
    yield {"optimizer": "adamw"}
    yield {"optimizer": "muon"}


@pytest.mark.parametrize(
    "switch", list(one_switch_at_a_time()), ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items())
)
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


def test_attention_gates_start_at_one_half_of_each_heads_output():
    torch.manual_seed(0)
    gated = GPT(tiny(attn_gate=True)).eval()
    plain = GPT(tiny()).eval()
    plain.load_state_dict(gated.state_dict(), strict=False)  # the same weights, less the gates
    x = torch.randn(2, 16, 32)
    attention = gated.blocks[0].attn
    gated_out, plain_out = attention(x, None), plain.blocks[0].attn(x, None)
    bias = attention.proj.bias
    assert torch.allclose(gated_out - bias, 0.5 * (plain_out - bias), atol=1e-6)
    assert gated.num_params() == plain.num_params() + tiny().n_layer * tiny().n_head * 32


def test_a_setting_added_later_keeps_every_earlier_run_id():
    from lmlab.config import run_id

    # computed before qk_norm, logit_softcap, muon_lr, muon_weight_decay, max_steps and precision existed
    assert (
        run_id(make_config("cpu", data="titles.txt", optimizer="adamw", lr=2e-3), "f" * 16) == "b2d7b347f400"
    )
    assert run_id(make_config("full", precision="fp32"), "0" * 16) == "483413cd4b02"
    assert run_id(make_config("full", precision="fp32", qk_norm=True), "0" * 16) != "483413cd4b02"
    # and so do the switches of the ladder's third part, at their defaults
    same = dict(shuffle="none", average="none", ema_decay=0.95, rdrop=0.0, attn_gate=False)
    assert run_id(make_config("full", precision="fp32", **same), "0" * 16) == "483413cd4b02"
    for change in (dict(shuffle="titles"), dict(average="ema"), dict(rdrop=1.0), dict(attn_gate=True)):
        assert run_id(make_config("full", precision="fp32", **change), "0" * 16) != "483413cd4b02"
    # bf16 arithmetic gives other numbers: the full profile's bf16 run is not the fp32 one
    assert make_config("full").precision == "bf16"
    assert run_id(make_config("full"), "0" * 16) != "483413cd4b02"
