"""Faults a long run meets (kill, a second process, divergence, a damaged checkpoint) and bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import lmlab
from conftest import TINY, interrupted_run
from lmlab.config import make_config
from lmlab.config import settings as all_settings
from lmlab.errors import LmlabError, RunLocked
from lmlab.runs import RunLock, RunStore
from lmlab.train import Trainer, World, stop_after_the_step

LONG = dict(TINY, epochs=2, checkpoint_every=4, optimizer="adamw", lr=2e-3, dropout=0.1)

# The real command line in a real process, which after its checkpoint at step `at` does `then`:
# kill itself with SIGKILL, send itself SIGTERM, or hold its lock and wait. A deterministic point
# of the run, whatever the machine's speed.
AFTER_CHECKPOINT = """
import os, signal, sys, time
from lmlab import train
from lmlab.cli import main

save = train.Trainer.save_checkpoint

def save_then(self):
    save(self)
    if self.step >= {at}:
        {then}

train.Trainer.save_checkpoint = save_then
sys.exit(main(sys.argv[1:]))
"""
THEN = {
    "sigkill": "os.kill(os.getpid(), signal.SIGKILL)",
    "sigterm": "os.kill(os.getpid(), signal.SIGTERM)",
    "hold": "open(os.environ['HOLDING'], 'w').close(); time.sleep(3600)",
}
# The same, with SIGTERM as training step `at` ends: between two checkpoints.
TERMINATED_AT_STEP = """
import os, signal, sys
from lmlab import train
from lmlab.cli import main

step = train.Trainer.train_step

def step_then_terminated(self, **kwargs):
    step(self, **kwargs)
    if self.step + 1 == {at}:
        os.kill(os.getpid(), signal.SIGTERM)

train.Trainer.train_step = step_then_terminated
sys.exit(main(sys.argv[1:]))
"""


def cli(settings_, runs_dir, at=None, then=None, **popen):
    words = [f"{k}={v}" for k, v in settings_.items()]
    if then == "sigterm-at-step":
        program = ["-c", TERMINATED_AT_STEP.format(at=at)]
    elif then:
        program = ["-c", AFTER_CHECKPOINT.format(at=at, then=THEN[then])]
    else:
        program = ["-m", "lmlab"]
    return subprocess.Popen(
        [
            sys.executable,
            *program,
            "train",
            "--profile",
            "smoke",
            "--no-progress",
            "--runs",
            str(runs_dir),
            *words,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def checkpoint_step(run_dir):
    try:
        return json.loads((run_dir / "meta.json").read_text()).get("checkpoint_step") or 0
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def without_timing(records):
    return [{k: v for k, v in r.items() if k not in ("tok_per_s", "elapsed")} for r in records]


@pytest.mark.slow
def test_sigkill_then_the_same_command_resumes_to_identical_numbers(tmp_path):
    whole = lmlab.run("smoke", runs_dir=tmp_path / "whole", progress=False, **LONG)

    runs_dir = tmp_path / "killed"
    proc = cli(LONG, runs_dir, at=12, then="sigkill")
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    run_dir = runs_dir / whole.id
    killed_at = torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"]
    assert 12 <= killed_at < whole.meta["total_steps"] and checkpoint_step(run_dir) == killed_at
    assert (run_dir / "run.lock").exists()  # left behind by the dead process

    again = cli(LONG, runs_dir)
    out, err = again.communicate()
    assert again.returncode == 0, err
    assert f"resuming at step {killed_at}" in err
    resumed = RunStore(runs_dir).run(whole.id)
    assert resumed.status == "done" and not (run_dir / "run.lock").exists()
    assert resumed.final["val_loss"] == whole.final["val_loss"]  # bit for bit
    assert resumed.final["val_loss_legacy"] == whole.final["val_loss_legacy"]
    assert without_timing(resumed.metrics) == without_timing(whole.metrics)


@pytest.mark.slow
def test_sigterm_between_checkpoints_checkpoints_where_it_stopped_and_resumes_to_identical_numbers(tmp_path):
    whole = lmlab.run("smoke", runs_dir=tmp_path / "whole", progress=False, **LONG)

    runs_dir = tmp_path / "stopped"
    proc = cli(LONG, runs_dir, at=7, then="sigterm-at-step")  # LONG checkpoints every 4 steps
    _, err = proc.communicate()
    assert proc.returncode == 130 and "run the same command again to resume" in err
    stopped = RunStore(runs_dir).run(whole.id)
    assert stopped.status == "interrupted" and stopped.meta["step"] == 7
    assert checkpoint_step(stopped.dir) == 7
    assert torch.load(stopped.checkpoint, weights_only=True)["step"] == 7

    again = cli(LONG, runs_dir)
    _, err = again.communicate()
    assert again.returncode == 0, err
    assert "resuming at step 7" in err
    resumed = RunStore(runs_dir).run(whole.id)
    assert resumed.final["val_loss"] == whole.final["val_loss"]  # bit for bit
    assert without_timing(resumed.metrics) == without_timing(whole.metrics)


def test_a_second_stop_request_stops_at_once_and_the_handlers_are_put_back():
    before = signal.getsignal(signal.SIGTERM)
    with stop_after_the_step() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested  # the first only asks
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler runs before this ends
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.slow
def test_a_second_process_is_told_who_holds_the_run(tmp_path):
    holding = tmp_path / "holding"
    first = cli(LONG, tmp_path / "runs", at=1, then="hold", env={**os.environ, "HOLDING": str(holding)})
    while not holding.exists():  # the first process writes it while it holds the lock
        assert first.poll() is None, first.communicate()[1]
        time.sleep(0.05)
    second = cli(LONG, tmp_path / "runs")
    _, err = second.communicate()
    first.kill()
    first.wait()
    assert second.returncode == 2
    assert f"is being trained by process {first.pid}" in err and "Traceback" not in err


def test_a_stale_lock_from_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path = tmp_path / "abc" / "run.lock"
    lock_path.parent.mkdir()
    import socket

    lock_path.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "earlier"}))
    lock = RunLock(lock_path)
    with lock:
        assert json.loads(lock_path.read_text())["pid"] == os.getpid()
        assert lock.stale_taken_over["pid"] == dead.pid
    assert not lock_path.exists()


def _contend(lock_path, start, done, results):
    lock = RunLock(lock_path)
    start.wait()
    try:
        lock.acquire()
    except RunLocked:
        results.put("locked")
        done.wait()
        return
    results.put("won")
    done.wait()  # held until every contender has tried
    lock.release()


@pytest.mark.parametrize("left_by_a_dead_process", [False, True])
def test_of_processes_taking_one_lock_at_once_exactly_one_wins(tmp_path, left_by_a_dead_process):
    """Eight processes race for one run's lock, five times over; when a dead process left the lock,
    they race to take it over. Before the lock was decided under an flock, two could both win (one
    read the other's lock before its content was written, or removed the lock the other had just
    taken over) and train the same run."""
    import multiprocessing
    import socket

    context, contenders = multiprocessing.get_context("fork"), 8
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for attempt in range(5):
        lock_path = tmp_path / f"run{attempt}" / "run.lock"
        if left_by_a_dead_process:
            lock_path.parent.mkdir()
            lock_path.write_text(
                json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "earlier"})
            )
        start, done, results = context.Barrier(contenders), context.Barrier(contenders), context.Queue()
        processes = [
            context.Process(target=_contend, args=(lock_path, start, done, results))
            for _ in range(contenders)
        ]
        for process in processes:
            process.start()
        outcomes = sorted(results.get(timeout=60) for _ in processes)
        for process in processes:
            process.join(timeout=60)
        assert outcomes == ["locked"] * (contenders - 1) + ["won"], f"attempt {attempt}: {outcomes}"
        assert not lock_path.exists()


def test_a_half_written_lock_is_stale_too(tmp_path):
    """A lock file cut short names no holder: no one holds the run (the Ray driver submits it), and
    the next process takes it over, writing its own whole lock and removing it when done."""
    lock_path = tmp_path / "run.lock"
    lock_path.write_text('{"pid": 12')
    lock = RunLock(lock_path)
    assert lock.holder() is None and not lock.held()
    with lock:
        assert lock.stale_taken_over == {}  # taken over from a lock that named no one
        assert lock.held() and lock.holder()["pid"] == os.getpid()
        with pytest.raises(RunLocked, match=f"being trained by process {os.getpid()}"):
            RunLock(lock_path).acquire()
    assert not lock_path.exists()


def test_divergence_stops_marks_failed_and_keeps_the_last_good_checkpoint(tmp_path):
    # warm up from a tiny rate into an absurd one: the first steps are sound, then the loss explodes
    settings_ = dict(
        TINY,
        epochs=3,
        optimizer="sgd",
        lr=1e6,
        grad_clip=0,
        schedule="warmup_cosine",
        warmup_frac=0.9,
        checkpoint_every=1,
        log_every=1,
    )
    with pytest.raises(LmlabError, match=r"diverged: .* by step \d+.*last good checkpoint is kept"):
        lmlab.run("smoke", runs_dir=tmp_path, progress=False, **settings_)
    (run,) = RunStore(tmp_path).all()
    meta = run.meta
    assert (
        meta["status"] == "failed"
        and "by step" in meta["error"]
        and meta["step"] > meta["checkpoint_step"] >= 1
    )
    state = torch.load(run.checkpoint, weights_only=True)
    assert state["step"] == meta["checkpoint_step"]
    assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_a_truncated_checkpoint_is_a_clear_error_and_the_run_is_kept(tmp_path, monkeypatch):
    interrupted_run(monkeypatch, 10, runs_dir=tmp_path, **LONG)
    (run,) = RunStore(tmp_path).all()
    data = run.checkpoint.read_bytes()
    run.checkpoint.write_bytes(data[: len(data) // 2])
    files_before = sorted(p.name for p in run.dir.iterdir())
    with pytest.raises(LmlabError, match=r"checkpoint .* cannot be loaded .*the run directory is kept.*rm "):
        lmlab.run("smoke", runs_dir=tmp_path, progress=False, **LONG)
    assert sorted(p.name for p in run.dir.iterdir()) == files_before
    assert run.status == "failed" and run.metrics  # records intact


# In a process of its own: a file size limit makes a write fail part way, the new records' first 64 KiB
# written (SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process)
WRITE_PAST_A_SIZE_LIMIT = """
import errno, resource, signal, sys
from pathlib import Path
from lmlab.runs import Run

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    Run(Path(sys.argv[1])).write_metrics([{"step": step, "train_loss": 1.0, "note": "x" * 100} for step in range(2000)])
except OSError as e:
    sys.exit("EFBIG" if e.errno == errno.EFBIG else f"another error: {e}")
sys.exit("written whole: the limit did not stop it")
"""


def test_run_store_files_are_replaced_atomically(tmp_path):
    """A run's files are replaced whole, never rewritten in place: a reader that opened one before a
    write reads the old content to its end, and a write that fails part way leaves the old content
    and no temporary file. A training's many writes leave no temporary file either."""
    run = lmlab.run("smoke", runs_dir=tmp_path, progress=False, **TINY)
    assert [p.name for p in run.dir.iterdir() if ".tmp" in p.name] == []
    metrics = run.dir / "metrics.jsonl"
    old, records = metrics.read_bytes(), run.metrics
    with open(metrics, "rb") as reader:
        run.write_metrics(records + [{"step": records[-1]["step"] + 1, "train_loss": 1.0}])
        assert reader.read() == old
    assert run.metrics[-1]["step"] == records[-1]["step"] + 1
    before = metrics.read_bytes()
    files = sorted(p.name for p in run.dir.iterdir())
    failed = subprocess.run(
        [sys.executable, "-c", WRITE_PAST_A_SIZE_LIMIT, str(run.dir)], capture_output=True, text=True
    )
    assert failed.returncode == 1 and failed.stderr.startswith("EFBIG"), failed.stderr
    assert metrics.read_bytes() == before and sorted(p.name for p in run.dir.iterdir()) == files


# ------------------------------------------------------------------ property: any override is handled

KEYS = [k for k in all_settings() if k not in ("data", "device", "compile", "profile")]
junk = st.one_of(
    st.text(max_size=6),
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", "true", "0", "1e-3", "-1", "inf", "nan"]),
)


def plausible(key):
    f = all_settings()[key]
    if f.metadata.get("choices"):
        return st.sampled_from(f.metadata["choices"])
    return {
        "int": st.integers(1, 8).map(str),
        "float": st.sampled_from(["0", "0.05", "0.5", "1", "3e-3"]),
        "bool": st.sampled_from(["true", "false"]),
        "str": st.text(max_size=8),
    }[f.type]


overrides = (
    st.dictionaries(
        st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8)),
        st.nothing(),
        max_size=0,
    )
    .flatmap(lambda _: st.lists(st.sampled_from(KEYS + ["nonsense", "lr_rate"]), max_size=4, unique=True))
    .flatmap(
        lambda keys: st.fixed_dictionaries(
            {
                k: st.one_of(plausible(k), plausible(k), plausible(k), junk) if k in KEYS else junk
                for k in keys
            }
        )
    )
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(overrides)
# sizes no machine holds: once they allocated until the allocator refused, or the kernel killed the suite
@example(words={"dropout": "0.05", "init": "scaled", "d_model": "13150096.0"})
@example(words={"d_model": "567184.0"})
@example(words={"n_layer": "1", "vocab_size": "2147483659.0"})  # sentencepiece parses an int32
def test_any_override_starts_a_run_or_raises_a_clear_error(tmp_path, words):
    base = dict(TINY, num_titles=300)
    try:
        cfg = make_config("smoke", **{**base, **words})
        trainer = Trainer(cfg, RunStore(tmp_path).run("prop"), World(), progress=False)
        trainer.train_step()
        trainer.evaluate_all()
        event("started a run")
    except LmlabError as e:
        event("clear error")
        assert str(e) and "\n" not in str(e)
