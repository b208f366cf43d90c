"""Training many runs on one machine: which run to train next, who holds it, waiting for the
others, and the worker processes that share the work.

A caller (the ladder) says what is missing as `Job`s, in the order it wants them. This module
trains them in this process, skipping a run another process holds (the run store's lock) and
waiting for it with a back-off, or in N worker processes sharing the same locks. It is the
embedded executor; an executor for a cluster offers the same two calls, `train_jobs` and
`train_until_done`.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from lmlab.config import Config
from lmlab.errors import LmlabError, RunDiverged, RunLocked
from lmlab.runs import Run, RunStore, finished


@dataclass(frozen=True)
class Job:
    """One run to train: its label (for messages), its settings as written, its config and id."""

    label: str
    settings: dict
    config: Config
    run_id: str


def train_unless_held(job: Job, store: RunStore, data_fingerprint: str, progress: bool, log) -> bool:
    """Train one run (a diverged run is recorded as failed); False when another process holds it."""
    from lmlab.train import train

    try:
        train(job.config, runs_dir=store.root, progress=progress, data_fingerprint=data_fingerprint)
    except RunDiverged:
        log(f"{job.label} diverged; recorded as a failed run")
    except RunLocked:
        return False
    return True


def backoff_until(done: Callable[[], bool]) -> None:
    """Poll `done` until it is true: a tiny run finishes in a second, a full one in an hour, so the
    pause doubles from 0.25 s up to 10 s."""
    pause = 0.25
    while not done():
        time.sleep(pause)
        pause = min(10.0, 2 * pause)


def stopped(run: Run, store: RunStore) -> bool:
    """Failed or interrupted, and no process holds it any more."""
    return run.status in ("failed", "interrupted") and not store.lock(run.id).holder()


def train_jobs(
    jobs: list[Job], store: RunStore, data_fingerprint: str, progress: bool = True, log=print
) -> None:
    """Train every job; a run another process holds is skipped, then waited for. A held run that
    fails is an error (this caller needs it); one that is interrupted (its process was stopped) is
    free, and this process resumes it from its checkpoint."""
    pending = jobs
    while pending:
        held = [job for job in pending if not train_unless_held(job, store, data_fingerprint, progress, log)]
        for job in held:
            backoff_until(functools.partial(settled, job, store))
        pending = [job for job in held if not finished(store.run(job.run_id))]


def settled(job: Job, store: RunStore) -> bool:
    """Whether the job's run has finished, or was interrupted and no process holds it (free to resume);
    an error when it failed."""
    run = store.run(job.run_id)
    if not finished(run) and stopped(run, store) and run.status == "failed":
        raise LmlabError(f"run {run.id} ({job.label}) stopped: {run.meta.get('error') or run.status}")
    return finished(run) or stopped(run, store)


def wait_for_any(jobs: list[Job], store: RunStore) -> None:
    """Every job is held by another process: wait until one of them finishes, or stops (a failed
    run is an error; an interrupted one is free for this process to resume)."""
    runs = [store.run(job.run_id) for job in jobs]

    def one_settled() -> bool:
        for run in runs:
            if finished(run):
                return True
            if stopped(run, store):
                if run.status == "failed":
                    raise LmlabError(f"run {run.id} stopped: {run.meta.get('error') or run.status}")
                return True
        return False

    backoff_until(one_settled)


def train_until_done(
    next_jobs: Callable[[], list[Job]],
    store: RunStore,
    data_fingerprint: str,
    progress: bool = False,
    log=print,
) -> None:
    """Train one run at a time, asking `next_jobs` again after each (what is missing can change with
    every finished run): the first job nobody holds; when every one is held, wait for one of them."""
    while True:
        jobs = next_jobs()
        if not jobs:
            return
        if not any(train_unless_held(job, store, data_fingerprint, progress, log) for job in jobs):
            wait_for_any(jobs, store)


def run_workers(command: list[str], workers: int, budget: float | None = None) -> list[int]:
    """`command` in N processes that share the work through the run locks, each with cores/N threads
    (unless OMP_NUM_THREADS is set). At the budget every worker is stopped politely (SIGTERM: its run
    checkpoints and is marked interrupted). Returns the exit codes; a worker stopped at the budget
    gives None."""
    threads = os.environ.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))
    procs = [
        subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": threads}) for _ in range(workers)
    ]
    deadline = time.monotonic() + budget if budget else float("inf")
    try:
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:  # the budget, an error or Ctrl-C: no worker outlives the command
        stopped_now = [p for p in procs if p.poll() is None]
        for p in stopped_now:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait()
    return [None if p in stopped_now else p.returncode for p in procs]


def lmlab_command(*words: str) -> list[str]:
    """This Python running the lmlab command line with these words."""
    return [sys.executable, "-m", "lmlab", *words]
