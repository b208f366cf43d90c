import json
import math

import pytest
import torch

import lmlab
from conftest import TINY, WIKITEXT, cli, interrupted_run
from lmlab import devices
from lmlab.config import from_dict, make_config
from lmlab.model import GPT, ModelConfig
from lmlab.runs import RunStore
from lmlab.train import Trainer, World, evaluate, evaluate_legacy, symmetric_kl


def test_a_run_writes_its_records_and_a_second_call_is_a_cache_hit(runs_dir, capsys):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, note="first try", **TINY)
    names = {p.name for p in run.dir.iterdir()}
    assert {
        "config.json",
        "meta.json",
        "metrics.jsonl",
        "probes.json",
        "tokenizer.model",
        "checkpoint.pt",
    } <= names
    meta = run.meta
    assert meta["status"] == "done" and meta["step"] == meta["total_steps"] > 0
    assert (
        meta["data"]["fingerprint"] and meta["code_hash"] and meta["versions"]["torch"] == torch.__version__
    )
    assert {"val_loss", "val_loss_legacy", "val_bpc", "val_ppl", "train_loss"} <= set(run.final)
    assert run.note == "first try"
    evals = run.evals()
    assert evals[0]["step"] == 0 and evals[-1]["step"] == meta["total_steps"]
    assert all(
        {"step", "epoch", "train_loss", "lr", "tok_per_s", "elapsed"} <= set(r) for r in run.train_records()
    )
    probes = run.probes
    assert probes["next_token"][0]["context"] == "" and len(probes["next_token"][0]["topk"]) == 10
    assert (
        len(probes["samples"]) == 5 and probes["token_freq"]["num_tokens"] == meta["data"]["tokens"]["train"]
    )

    before = (run.dir / "metrics.jsonl").stat().st_mtime_ns
    capsys.readouterr()
    again = lmlab.run("smoke", runs_dir=runs_dir, progress=False, note="a different note", **TINY)
    assert again.id == run.id and (run.dir / "metrics.jsonl").stat().st_mtime_ns == before
    assert "cached" in capsys.readouterr().err


def test_full_coverage_metric_scores_every_token_once_whatever_the_batch():
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=40, block_size=8, n_layer=1, n_head=2, d_model=16, dropout=0.0)).eval()
    ids = torch.randint(0, 40, (203,))
    # reference: every target scored alone, with the same windows
    ref = 0.0
    for start in range(0, 202, 8):
        x, y = ids[start : start + 8][None], ids[start + 1 : start + 9][None]
        x = x[:, : y.size(1)]
        ref += model(x, y, reduction="sum")[1].item()
    sums = {b: evaluate(model, ids, 8, b, torch.device("cpu")) for b in (1, 3, 64)}
    assert {n for _, n in sums.values()} == {202}
    for total, _ in sums.values():
        assert total == pytest.approx(ref, rel=1e-6)
    legacy = {
        b: evaluate_legacy(model, ids, 8, b, chars=1000, device=torch.device("cpu")) for b in (2, 8, 20)
    }
    assert len({round(v, 6) for v in legacy.values()}) == 3  # the legacy figure moves with the batch size


def test_training_batch_size_changes_the_legacy_metric_only(runs_dir):
    """The same model evaluated inside runs configured with different batch sizes."""
    results = {}
    for batch_size in (8, 24):
        cfg = make_config("smoke", **{**TINY, "batch_size": batch_size})
        trainer = Trainer(cfg, RunStore(runs_dir).run("x"), World())
        torch.manual_seed(0)
        trainer.model.load_state_dict(GPT(trainer.model.cfg).state_dict())
        results[batch_size] = trainer.evaluate_all(final=True)
    assert results[8]["val_loss"] == results[24]["val_loss"]  # bit for bit
    assert results[8]["val_loss_legacy"] != results[24]["val_loss_legacy"]


def test_metrics_relate_as_defined(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    f, data = run.final, run.meta["data"]
    assert f["val_bpc"] == pytest.approx(f["val_loss"] / math.log(2))
    nll = f["val_loss"] * data["chars"]["valid"]
    assert f["val_ppl"] == pytest.approx(math.exp(nll / (data["tokens"]["valid"] - 1)))


def test_word_level_on_wikitext_reports_test_perplexity(runs_dir):
    run = lmlab.run(
        "smoke",
        runs_dir=runs_dir,
        progress=False,
        data=str(WIKITEXT),
        tokenizer="word",
        num_titles=300,
        batch_size=8,
        block_size=16,
    )
    assert run.meta["data"]["tokenizer"]["kind"] == "word"
    assert {"test_loss", "test_ppl"} <= set(run.final) and run.final["test_ppl"] > 1
    assert (
        "val_loss_legacy" not in run.final
    )  # the challenge's batch-dependent figure has no meaning on a corpus
    assert run.final["val_loss"] == run.metrics[-1]["val_loss"]  # the last evaluation is reused, not repeated


@pytest.mark.parametrize(
    "optimizer",
    [
        dict(optimizer="adamw", lr=2e-3),
        dict(optimizer="muon", lr=2e-3, muon_lr=0.02),
        # the epoch's order, the average and R-Drop's two passes all continue where they stopped
        dict(optimizer="adamw", lr=2e-3, shuffle="titles", average="ema", ema_decay=0.9, rdrop=0.5),
    ],
    ids=["adamw", "muon", "shuffled-averaged-rdrop"],
)
def test_resume_from_a_checkpoint_reproduces_the_uninterrupted_run(
    runs_dir, tmp_path, monkeypatch, optimizer
):
    settings = dict(TINY, checkpoint_every=3, dropout=0.1, **optimizer)
    whole = lmlab.run("smoke", runs_dir=tmp_path / "whole", progress=False, **settings)

    interrupted_run(monkeypatch, 8, runs_dir=runs_dir, **settings)
    interrupted = RunStore(runs_dir).run(whole.id)
    assert interrupted.status == "interrupted" and interrupted.meta["checkpoint_step"] == 6

    resumed = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **settings)
    assert resumed.meta["resumed_at"] == 6

    def numbers(run):
        return [{k: v for k, v in r.items() if k not in ("tok_per_s", "elapsed")} for r in run.metrics]

    assert numbers(resumed) == numbers(whole)
    assert resumed.final["val_loss"] == whole.final["val_loss"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="bf16 trains where CUDA is")
def test_bf16_on_a_cpu_without_native_bf16_is_refused_with_the_reason(runs_dir, capsys, monkeypatch):
    monkeypatch.setattr(devices, "cpu_bf16_units", lambda: [])  # the processor reports no bf16 units
    code, _, err = cli(
        capsys,
        "train",
        "--profile",
        "smoke",
        "--runs",
        str(runs_dir),
        "precision=bf16",
        *[f"{k}={v}" for k, v in TINY.items()],
    )
    assert code == 2 and "no native bf16" in err and "AVX512-BF16" in err and "precision=fp32" in err
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="bf16 trains where CUDA is")
def test_bf16_trains_on_a_cpu_with_native_bf16_as_a_run_of_its_own(runs_dir, monkeypatch):
    monkeypatch.setattr(devices, "cpu_bf16_units", lambda: ["AMX"])
    settings = {**TINY, "max_steps": 2}
    bf16 = lmlab.run(profile="smoke", runs_dir=runs_dir, progress=False, precision="bf16", **settings)
    fp32 = lmlab.run(profile="smoke", runs_dir=runs_dir, progress=False, **settings)
    assert bf16.status == "done" and bf16.meta["device"] == "cpu" and "AMX" in bf16.meta["device_name"]
    assert bf16.id != fp32.id
    assert bf16.final["val_loss"] != fp32.final["val_loss"]  # the products are rounded to bfloat16


def test_max_steps_stops_the_run_and_fits_the_schedule_to_it(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **dict(TINY, max_steps=5, schedule="cosine"))
    assert run.meta["total_steps"] == 5 and run.metrics[-1]["step"] == 5
    assert (
        run.metrics[-1]["lr"] < 0.1 * run.config["lr"]
    )  # the cosine has nearly reached its floor at step 5 of 5


def epoch_rows(trainer: Trainer, epoch: int) -> torch.Tensor:
    """Every input row the trainer reads in one epoch, in order."""
    steps = trainer.steps_per_epoch
    return torch.cat([trainer.batch(epoch * steps + i, 0)[0] for i in range(steps)])


def titles(stream: torch.Tensor, eos: int) -> list[tuple]:
    return sorted(tuple(t) for t in torch.tensor_split(stream, (stream == eos).nonzero().flatten() + 1)[:-1])


@pytest.mark.parametrize("shuffle", ["titles", "windows"])
def test_a_shuffled_epoch_reads_the_same_text_in_a_new_order(runs_dir, shuffle):
    def trainer(**change):
        return Trainer(
            make_config("smoke", **{**TINY, "epochs": 2, **change}), RunStore(runs_dir).run("x"), World()
        )

    fixed, shuffled = trainer(), trainer(shuffle=shuffle)
    assert torch.equal(epoch_rows(fixed, 0), epoch_rows(fixed, 1))  # the challenge's order repeats
    first, second = epoch_rows(shuffled, 0), epoch_rows(shuffled, 1)
    assert not torch.equal(first, second) and not torch.equal(first, epoch_rows(fixed, 0))
    x, y = shuffled.batch(3, 0)
    assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one
    if shuffle == "windows":  # the same windows, dealt out in another order
        for rows in (first, second):
            assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, epoch_rows(fixed, 0).tolist()))
    else:  # the same titles, whole, in another order
        eos = shuffled.tok.eos_id
        for epoch in (0, 1):
            assert titles(shuffled.order(epoch), eos) == titles(shuffled.ids["train"], eos)
    assert torch.equal(trainer(shuffle=shuffle).batch(7, 0)[0], shuffled.batch(7, 0)[0])  # the seed decides


def test_swa_averages_the_decay_phase_and_evaluations_use_the_average(runs_dir):
    cfg = make_config("smoke", **{**TINY, "average": "swa", "schedule": "wsd", "decay_frac": 0.5})
    trainer = Trainer(cfg, RunStore(runs_dir).run("x"), World(), progress=False)
    trainer.fit()
    assert int(trainer.average.n_averaged) == trainer.total_steps - round(trainer.total_steps * 0.5)
    averaged = trainer.evaluate_all()["val_loss"]
    assert trainer.records[-1]["val_loss"] == averaged  # the run's own last evaluation is the average's
    trained = trainer.trained_weights_loss()
    trainer.average = None
    assert trainer.evaluate_all()["val_loss"] == trained != averaged


def test_rdrop_penalizes_disagreement_symmetrically_and_needs_dropout():
    a, b = torch.randn(2, 5, 11), torch.randn(2, 5, 11)
    assert symmetric_kl(a, a).item() == pytest.approx(0, abs=1e-6)
    assert symmetric_kl(a, b).item() > 0
    assert symmetric_kl(a, b).item() == pytest.approx(symmetric_kl(b, a).item())
    with pytest.raises(lmlab.LmlabError, match="dropout=0"):
        make_config("smoke", rdrop=1.0, dropout=0.0)


def test_a_run_scores_the_test_split_only_when_asked(runs_dir):
    from lmlab.project import cache_root
    from lmlab.tokenize import cache_key

    plain = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    assert not any(k.startswith("test_") for k in plain.final)
    assert "test" not in plain.meta["data"]["texts"]
    tested = lmlab.run("smoke", runs_dir=runs_dir, progress=False, test_titles=300, **TINY)
    assert tested.id != plain.id
    # the same training: asking for the test split adds a score and changes no other number
    assert tested.final["val_loss"] == plain.final["val_loss"]
    assert {"test_loss", "test_loss_legacy", "test_ppl"} <= set(tested.final)
    assert tested.meta["data"]["texts"]["test"] == 300
    # the plain run's token cache entry holds no test split: nothing of it was read
    entry = cache_root() / "tokens" / cache_key(from_dict(plain.config), plain.meta["data"]["fingerprint"])
    assert (entry / "done").exists() and not (entry / "test.npy").exists()
    assert json.loads((entry / "texts.json").read_text())["test"] is None
