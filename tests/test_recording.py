"""The run store's record of a run in training (RunStore.recording): the lock held while inside,
meta.json's status from running to done, interrupted or failed, and nothing written by a process
that is not the run's writer. No training here: the block stands in for one."""

import json
import os

import pytest

from lmlab.errors import Diverged, RunDiverged, RunLocked
from lmlab.runs import RunStore


def new_meta():
    return {"run_id": "abc", "status": "running", "step": 0, "total_steps": 10, "created": "then"}


def started(recording, step):
    recording.start({"lr": 1.0}, new_meta, {"tokenizer.json": b"{}"}, step=lambda: step["now"])


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path)


def test_an_exception_inside_marks_the_run_failed_with_its_message_and_releases_the_lock(store):
    run, step = store.run("abc"), {"now": 0}
    with pytest.raises(ValueError, match="a bad batch"), store.recording(run) as recording:
        assert store.lock(run.id).holder()["pid"] == os.getpid()
        started(recording, step)
        assert run.meta["status"] == "running" and run.meta["error"] is None
        step["now"] = 7
        raise ValueError("a bad batch")
    assert run.meta["status"] == "failed" and run.meta["error"] == "ValueError: a bad batch"
    assert run.meta["step"] == 7 and run.meta["ended"] and run.meta["created"] == "then"
    assert not (run.dir / "run.lock").exists() and not store.lock(run.id).held()
    assert json.loads((run.dir / "config.json").read_text()) == {"lr": 1.0}
    assert (run.dir / "tokenizer.json").read_bytes() == b"{}"


def test_ctrl_c_leaves_the_run_interrupted_and_a_second_start_keeps_its_meta(store):
    run, step = store.run("abc"), {"now": 3}
    with pytest.raises(KeyboardInterrupt), store.recording(run) as recording:
        started(recording, step)
        raise KeyboardInterrupt
    assert run.meta["status"] == "interrupted" and run.meta["step"] == 3 and run.meta["error"] is None
    run.update_meta(checkpoint_step=2, created="the first try")
    with store.recording(run) as recording:  # the lock was released: it is taken again
        recording.start({"lr": 1.0}, lambda: pytest.fail("a run with a meta is not new"), {}, lambda: 10)
        assert run.meta["status"] == "running" and run.meta["ended"] is None
        recording.done({"val_loss": 1.5}, train_seconds=2.0)
    meta = run.meta
    assert meta["status"] == "done" and meta["step"] == 10 and meta["final"] == {"val_loss": 1.5}
    assert (
        meta["checkpoint_step"] == 2 and meta["created"] == "the first try" and meta["train_seconds"] == 2.0
    )
    assert set(meta["checksums"]["sha256"]) == {"config.json"}


def test_a_divergence_marks_the_run_failed_and_is_raised_as_run_diverged(store):
    run, step = store.run("abc"), {"now": 5}
    diverged = pytest.raises(RunDiverged, match=r"run abc diverged: the loss became nan.*\(step 4\)")
    with diverged as raised, store.recording(run) as recording:
        started(recording, step)
        run.update_meta(checkpoint_step=4)
        raise Diverged("the loss became nan")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert run.meta["status"] == "failed" and run.meta["error"] == "diverged: the loss became nan"
    assert run.meta["step"] == 5 and not (run.dir / "run.lock").exists()


def test_an_exception_before_start_or_after_done_leaves_meta_as_it_was(store):
    run = store.run("abc")
    with pytest.raises(ValueError), store.recording(run):  # a setting refused while the trainer is built
        raise ValueError("fewer than one batch")
    assert not (run.dir / "meta.json").exists() and not (run.dir / "run.lock").exists()
    with pytest.raises(OSError), store.recording(run) as recording:
        started(recording, {"now": 10})
        recording.done({"val_loss": 1.0}, train_seconds=1.0)
        raise OSError("after the run was recorded done")
    assert run.meta["status"] == "done" and run.meta["error"] is None


def test_while_recording_the_run_is_locked_against_a_second_process(store):
    run = store.run("abc")
    with store.recording(run), pytest.raises(RunLocked, match=f"being trained by process {os.getpid()}"):
        store.lock(run.id).acquire()


def test_a_process_that_is_not_the_writer_writes_nothing_and_takes_no_lock(store):
    """Under torchrun, ranks other than 0: the same calls, no file; a divergence is raised the same."""
    run = store.run("abc")
    with (
        pytest.raises(RunDiverged, match="run abc diverged"),
        store.recording(run, writer=False) as recording,
    ):
        assert not store.lock(run.id).held()
        started(recording, {"now": 1})
        raise Diverged("the weights became non-finite by step 1")
    with store.recording(run, writer=False) as recording:
        started(recording, {"now": 1})
        recording.done(None, train_seconds=1.0)
    assert not run.dir.exists()
