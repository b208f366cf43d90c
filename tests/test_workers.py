"""Training many runs on one machine: skipping and waiting for a held run, and worker processes
that stop at a budget."""

import os
import subprocess
import sys

import pytest

from conftest import HN_TITLES, TINY
from lmlab import workers
from lmlab.config import make_config, run_id
from lmlab.data import fingerprint
from lmlab.errors import LmlabError
from lmlab.runs import RunStore, write_json
from lmlab.workers import Job, backoff_until, settled, train_until_done, wait_for_any


def test_workers_stop_at_the_budget_and_leave_every_run_resumable(tmp_path):
    """`--for`: at the deadline every worker is stopped politely (a run in training checkpoints and
    is marked interrupted, which the same command resumes); no run is left marked running."""
    command = [
        sys.executable,
        "-m",
        "lmlab",
        "ladder",
        "--profile",
        "tiny",
        "--workers",
        "2",
        "--for",
        "5",
        "--runs",
        str(tmp_path),
        f"data={HN_TITLES}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert (
        "stopped 2 worker(s) after 5s" in out.stderr and "missing" in out.stdout
    )  # the table says how far it came
    store = RunStore(tmp_path)
    assert all(run.status in ("done", "interrupted") for run in store.all())  # however far it came


def job_for(store_root, run_id: str, status: str | None) -> Job:
    """A job whose run folder says `status` (None: no folder yet)."""
    if status is not None:
        folder = store_root / run_id
        folder.mkdir(parents=True)
        write_json(folder / "meta.json", {"status": status})
    return Job(f"run {run_id}", {}, make_config("smoke"), run_id)


def test_a_held_run_that_fails_is_an_error_and_an_interrupted_one_is_free(tmp_path):
    store = RunStore(tmp_path)
    failed = job_for(tmp_path, "failedrun", "failed")
    with pytest.raises(LmlabError, match="run failedrun stopped"):
        wait_for_any([failed], store)
    wait_for_any([job_for(tmp_path, "resumable", "interrupted")], store)  # free for this process: returns
    with pytest.raises(LmlabError, match=r"failedrun \(run failedrun\) stopped"):
        settled(failed, store)
    assert settled(job_for(tmp_path, "finished", "done"), store)
    assert settled(job_for(tmp_path, "stopped", "interrupted"), store)  # free: the waiter resumes it
    assert not settled(job_for(tmp_path, "training", "running"), store)


def test_a_waiting_process_resumes_a_held_run_whose_holder_was_stopped(tmp_path, monkeypatch):
    """Two workers under `--for`: the one holding a run is stopped and leaves it interrupted; the one
    waiting for it resumes it instead of failing (this once ended the waiter with 'stopped: interrupted')."""
    store = RunStore(tmp_path)
    job = job_for(tmp_path, "shared", "running")
    tries = []

    def train_unless_held(job, store, data_fingerprint, progress, log):
        tries.append(job.run_id)
        if len(tries) == 1:  # held by the other worker, which is then stopped
            write_json(tmp_path / job.run_id / "meta.json", {"status": "interrupted"})
            return False
        write_json(tmp_path / job.run_id / "meta.json", {"status": "done"})  # this process resumes it
        return True

    monkeypatch.setattr(workers, "train_unless_held", train_unless_held)
    monkeypatch.setattr(workers.time, "sleep", lambda _: None)
    workers.train_jobs([job], store, "fingerprint")
    assert tries == ["shared", "shared"] and store.run("shared").status == "done"


def test_the_back_off_doubles_up_to_ten_seconds(monkeypatch):
    pauses = []
    monkeypatch.setattr(workers.time, "sleep", pauses.append)
    polls = iter([False] * 9 + [True])
    backoff_until(lambda: next(polls))
    assert pauses == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_train_until_done_asks_again_after_every_run(tmp_path):
    """What is missing can change with every finished run: the caller is asked again each time."""
    store = RunStore(tmp_path / "runs")
    settings = dict(TINY, max_steps=2)
    asked = []

    def next_jobs():
        done = [r for r in store.all() if r.status == "done"]
        asked.append(len(done))
        if len(done) == 2:
            return []
        cfg = make_config("smoke", **settings, seed=len(done) + 1)
        return [Job(f"seed {len(done) + 1}", settings, cfg, run_id(cfg, fingerprint(cfg)))]

    train_until_done(next_jobs, store, fingerprint(make_config("smoke", **settings)), log=lambda m: None)
    assert asked == [0, 1, 2] and sorted(r.config["seed"] for r in store.all()) == [1, 2]
