"""Data-parallel training under torchrun (gloo on CPU) and torch.compile."""

import shutil
import signal
import subprocess
import time

import pytest

import lmlab
from conftest import TINY
from lmlab.runs import RunStore

# no dropout: with it, each process draws its own masks and the runs differ by design
DDP = dict(TINY, dropout=0.0, optimizer="adamw", lr=3e-3, batch_size=8, grad_accum=2, epochs=1)
TOLERANCE = 1e-4  # relative; float sums in another order (two processes, all-reduce), nothing more


@pytest.mark.slow
def test_two_processes_follow_the_single_process_loss_trajectory(tmp_path):
    single = lmlab.run("smoke", runs_dir=tmp_path / "one", progress=False, **DDP)
    torchrun = shutil.which("torchrun") or pytest.skip("torchrun not installed")
    words = [f"{k}={v}" for k, v in DDP.items()]
    out = subprocess.run(
        [
            torchrun,
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "lmlab",
            "train",
            "--profile",
            "smoke",
            "--no-progress",
            "--runs",
            str(tmp_path / "two"),
            "device=cpu",
            *words,
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    (double,) = RunStore(tmp_path / "two").all()
    assert double.id == single.id and double.meta["world_size"] == 2
    a, b = single.metrics, double.metrics
    assert [r["step"] for r in a] == [r["step"] for r in b]
    for ra, rb in zip(a, b):
        for key in ("train_loss", "val_loss"):
            if key in ra:
                assert rb[key] == pytest.approx(ra[key], rel=TOLERANCE), (ra["step"], key)
    assert double.final["val_loss"] == pytest.approx(single.final["val_loss"], rel=TOLERANCE)


@pytest.mark.slow
def test_compiled_model_trains_to_the_same_numbers(tmp_path):
    plain = lmlab.run(
        "smoke", runs_dir=tmp_path / "plain", progress=False, **dict(TINY, dropout=0.0, epochs=1)
    )
    compiled = lmlab.run(
        "smoke",
        runs_dir=tmp_path / "compiled",
        progress=False,
        compile=True,
        **dict(TINY, dropout=0.0, epochs=1),
    )
    assert compiled.id == plain.id  # compile changes how, not what
    assert compiled.final["val_loss"] == pytest.approx(plain.final["val_loss"], rel=1e-3)


@pytest.mark.slow
def test_two_processes_stopped_by_sigterm_stop_at_one_step_and_checkpoint_it(tmp_path):
    """torchrun passes SIGTERM to both processes; they agree at the next record to stop after the
    same step (one waiting in an all-reduce for the other would hang) and checkpoint it."""
    torchrun = shutil.which("torchrun") or pytest.skip("torchrun not installed")
    settings = dict(DDP, epochs=200, checkpoint_every=1000)  # long enough never to finish first
    runs_dir = tmp_path / "two"
    command = [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "lmlab", "train", "--profile"]
    command += ["smoke", "--no-progress", "--runs", str(runs_dir), "device=cpu"]
    proc = subprocess.Popen(
        [*command, *(f"{k}={v}" for k, v in settings.items())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not any(RunStore(runs_dir).run(r.id).metrics[1:] for r in RunStore(runs_dir).all()):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    (run,) = RunStore(runs_dir).all()
    assert run.status == "interrupted", err[-3000:]
    assert 0 < run.meta["step"] < run.meta["total_steps"]
    assert run.meta["checkpoint_step"] == run.meta["step"]  # not a checkpoint step of its own
    assert run.meta["step"] in [r["step"] for r in run.metrics]  # a record: where the processes agree
