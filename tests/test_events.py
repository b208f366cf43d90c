"""TensorBoard event files beside every run, read back by TensorBoard's own reader."""

import shutil
import subprocess
import sys

import pytest

import lmlab
from conftest import TINY
from lmlab import events

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def read(run) -> EventAccumulator:
    accumulator = EventAccumulator(str(run.events_dir))
    accumulator.Reload()
    return accumulator


def test_a_run_writes_the_scalars_tensorboard_shows(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY, note="watched live")
    found = read(run)
    assert set(events.SCALARS.values()) <= set(found.Tags()["scalars"])
    tags = set(found.Tags()["scalars"])
    assert set(events.diagnostic_scalars(run.evals()[-1])) <= tags  # the diagnostics too
    losses = found.Scalars(events.SCALARS["train_loss"])
    assert [e.step for e in losses] == [r["step"] for r in run.train_records()]
    assert losses[-1].value == pytest.approx(run.train_records()[-1]["train_loss"])
    validation = found.Scalars(events.SCALARS["val_loss"])
    assert validation[-1].value == pytest.approx(run.evals()[-1]["val_loss"])
    assert all(e.value > 0 for e in found.Scalars(events.SCALARS["grad_norm"]))
    assert {"run/note/text_summary", "run/settings/text_summary"} <= set(found.Tags()["tensors"])
    assert "watched live" in found.Tensors("run/note/text_summary")[0].tensor_proto.string_val[0].decode()


def test_runs_recorded_before_get_their_event_files_from_the_records(runs_dir):
    run = lmlab.run("smoke", runs_dir=runs_dir, progress=False, **TINY)
    shutil.rmtree(run.events_dir)
    out = subprocess.run(
        [sys.executable, "-m", "lmlab", "runs", "tensorboard", "--runs", str(runs_dir)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "event files for 1 runs" in out.stderr
    assert len(read(run).Scalars(events.SCALARS["lr"])) == len(run.train_records())
