"""Who trains the runs a caller (the ladder, a sweep) asks for: this machine, or a Ray cluster.

- `local`, the default: this process, sharing the work with every other lmlab process on the
  machine through the run store's locks (lmlab.workers; `--workers N` starts more of them).
- `ray`: a Ray cluster, started by hand, over SSH, under Slurm or on Kubernetes as Ray documents,
  or a local Ray that lmlab starts and stops itself. Every run that can be trained now becomes a
  Ray task with its CPUs and GPUs (fractional: 0.25 packs four runs on one GPU). The task trains
  in a run store on its own node and returns the run's light records (what `lmlab runs pack`
  carries), which the driver checks against their checksums and writes into its own store. No
  shared filesystem is needed: a hub dataset loads on each node, and a local corpus travels once
  through Ray's object store. Ray retries a task whose worker or node died; the retry resumes
  from the run's checkpoint where it can reach it (the same node, or a shared worker store) and
  starts again otherwise. A run that fails for its own reasons is recorded once, not retried.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmlab import workers
from lmlab.config import Config
from lmlab.data import fingerprint, source_kind
from lmlab.errors import LmlabError, RunDamaged, RunDiverged, RunLocked
from lmlab.project import cache_root
from lmlab.runs import Run, RunStore, finished, records, write_atomic
from lmlab.workers import Job

EXECUTORS = ("local", "ray")
WORKER_RUNS_ENV = "LMLAB_WORKER_RUNS"
"""Where a Ray task trains its run on its node (default: lmlab-runs in the node's temp folder). Point
it at one shared folder on every node where the nodes share a filesystem: a retried run then resumes
from its checkpoint on any node."""
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""Ray's single-machine mode (its default on macOS and Windows): the node's address is the loopback
one, so every port of a local Ray that lmlab starts listens on 127.0.0.1 only."""


class LocalExecutor:
    """This process, sharing the work with the machine's other lmlab processes through the run locks."""

    name = "local"

    def train_jobs(self, jobs: list[Job], store: RunStore, data_fingerprint: str, progress=True, log=print):
        workers.train_jobs(jobs, store, data_fingerprint, progress=progress, log=log)

    def train_until_done(self, next_jobs, store: RunStore, data_fingerprint: str, progress=False, log=print):
        workers.train_until_done(next_jobs, store, data_fingerprint, progress=progress, log=log)


def make_executor(
    executor: str | object = "local",
    address: str | None = None,
    gpus_per_run: float | None = None,
    cpus_per_run: float | None = None,
):
    """An executor by name ("local" or "ray") with its options; an executor object is returned as it is."""
    if not isinstance(executor, str):
        return executor
    if executor == "local":
        given = [flag for flag, value in (("address", address), ("gpus_per_run", gpus_per_run),
                                          ("cpus_per_run", cpus_per_run)) if value is not None]  # fmt: skip
        if given:
            raise LmlabError(
                f"{', '.join(given)} set a Ray executor's resources; add executor=ray (--executor ray)"
            )
        return LocalExecutor()
    if executor == "ray":
        return RayExecutor(
            address=address,
            gpus_per_run=0.0 if gpus_per_run is None else gpus_per_run,
            cpus_per_run=1.0 if cpus_per_run is None else cpus_per_run,
        )
    raise LmlabError(f"unknown executor '{executor}'; choose one of: {', '.join(EXECUTORS)}")


@dataclass
class RayExecutor:
    """Runs as Ray tasks. `address`: a running cluster ("auto", or "HOST:PORT"); None takes "auto"
    where RAY_ADDRESS is set, else starts a local Ray for the call and stops it after."""

    address: str | None = None
    gpus_per_run: float = 0.0
    cpus_per_run: float = 1.0
    max_retries: int = 3  # a task whose worker or node died; a run's own error is never retried
    poll_seconds: float = 10.0  # how often the driver shows the running tasks
    name = "ray"

    def __post_init__(self):
        if self.gpus_per_run < 0 or (self.gpus_per_run > 1 and self.gpus_per_run != int(self.gpus_per_run)):
            raise LmlabError(
                f"gpus_per_run={self.gpus_per_run:g}: give a fraction of one GPU (0.25 packs four runs on it) "
                "or a whole number of GPUs"
            )
        if self.cpus_per_run <= 0:
            raise LmlabError(f"cpus_per_run={self.cpus_per_run:g}: give more than 0")

    def train_jobs(self, jobs: list[Job], store: RunStore, data_fingerprint: str, progress=True, log=print):
        """Train every job that the store has not finished."""
        self.train_until_done(
            lambda: [job for job in jobs if not finished(store.run(job.run_id))],
            store,
            data_fingerprint,
            log=log,
        )

    def train_until_done(self, next_jobs, store: RunStore, data_fingerprint: str, progress=False, log=print):
        """Submit every job `next_jobs` gives that nobody trains yet, record each run as its task ends,
        and ask `next_jobs` again: a finished run can open new ones (the ladder's next step)."""
        with ray_session(self.address, log) as ray:
            Driver(ray, self, store, data_fingerprint, log).run(next_jobs)


@contextlib.contextmanager
def ray_session(address: str | None, log=print):
    """Ray, connected: to `address`, to RAY_ADDRESS's cluster, or to a local Ray started here (loopback
    only, no dashboard) and stopped on leaving. A Ray this process had joined already is kept."""
    address = address or ("auto" if os.environ.get("RAY_ADDRESS") else None)
    try:
        import ray
    except ImportError:
        raise LmlabError(
            "the Ray executor needs Ray: pip install 'lmlab[ray]' (or pip install ray)"
        ) from None
    if ray.is_initialized():
        yield ray
        return
    if address is None:
        with _loopback_only():
            # "local": a new Ray of its own, never a cluster some `ray start` left on this machine
            ray.init(address="local", include_dashboard=False, log_to_driver=False, configure_logging=False)
        log(f"ray: started a local Ray on 127.0.0.1 with {int(ray.cluster_resources().get('CPU', 0))} CPUs")
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
        log(f"ray: joined the cluster at {address}: {_resources(ray)}")
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _loopback_only():
    """Ray's single-machine switch, for the processes ray.init starts now; the environment is restored
    after, so that a `ray start` this process runs later is an ordinary node."""
    from ray._private import ray_constants

    saved = {name: os.environ.get(name) for name in LOOPBACK_ONLY}
    cluster_mode = ray_constants.ENABLE_RAY_CLUSTER  # read from the environment when ray was imported
    os.environ.update(LOOPBACK_ONLY)
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = cluster_mode
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _resources(ray) -> str:
    have = ray.cluster_resources()
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    return f"{nodes} nodes, {have.get('CPU', 0):g} CPUs, {have.get('GPU', 0):g} GPUs"


class Driver:
    """The loop on the driver: submit what can train, wait for the first task to end, record it, ask again."""

    def __init__(self, ray, executor: RayExecutor, store: RunStore, data_fingerprint: str, log):
        self.ray, self.executor, self.store = ray, executor, store
        self.fingerprint, self.log = data_fingerprint, log
        self.task = ray.remote(train_on_node).options(
            num_cpus=executor.cpus_per_run, num_gpus=executor.gpus_per_run, max_retries=executor.max_retries
        )
        # restarted elsewhere when its node dies (its counts start again from the tasks' next reports)
        self.board = ray.remote(Board).options(num_cpus=0, max_restarts=-1, max_task_retries=-1).remote()
        self.in_flight: dict = {}  # ObjectRef -> Job
        self.failed: dict[str, str] = {}  # run id -> why, for this call: never submitted again
        self.data: dict[str, object] = {}  # a local data source -> its files in the object store
        self.shown = ""

    def run(self, next_jobs: Callable[[], list[Job]]) -> None:
        try:
            while True:
                held = [] if self.failed else self.submit(next_jobs())
                if not self.in_flight:
                    if held:  # every run left is trained by a local process: wait for one of them
                        workers.wait_for_any(held, self.store)
                        continue
                    break
                ready, _ = self.ray.wait(
                    list(self.in_flight), num_returns=1, timeout=self.executor.poll_seconds
                )
                if ready:
                    self.record(ready[0])
                else:
                    self.show_running()
        except BaseException:
            # Ctrl-C or an error: no task outlives the driver, and the store holds only whole runs
            for ref in self.in_flight:
                self.ray.cancel(ref, force=True)
            raise
        if self.failed:
            raise LmlabError(
                "; ".join(f"run {rid} failed: {why}" for rid, why in self.failed.items())
                + ". Its records are in the store; fix the cause and run the same command again"
            )

    def submit(self, jobs: list[Job]) -> list[Job]:
        """Submit the jobs nobody trains; return the ones a local process holds."""
        flying = {job.run_id for job in self.in_flight.values()}
        held = []
        for job in jobs:
            if job.run_id in flying or job.run_id in self.failed or finished(self.store.run(job.run_id)):
                continue
            if self.store.lock(job.run_id).held():
                held.append(job)
                continue
            ref = self.task.remote(job.config, self.fingerprint, self.data_files(job.config), self.board)
            self.in_flight[ref] = job
            flying.add(job.run_id)
            self.log(f"ray: submitted {job.run_id} ({job.label})")
        return held

    def data_files(self, cfg: Config):
        """A local corpus, put in the object store once; None for a hub dataset (each node loads it)."""
        if source_kind(cfg.data) == "hub":
            return None
        if cfg.data not in self.data:
            self.data[cfg.data] = self.ray.put(read_corpus(Path(cfg.data)))
        return self.data[cfg.data]

    def record(self, ref) -> None:
        job = self.in_flight.pop(ref)
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.TaskCancelledError:
            raise
        except self.ray.exceptions.RayError as e:  # its node died more often than max_retries allows
            self.failed[job.run_id] = f"its task failed on Ray ({type(e).__name__}: {str(e).splitlines()[0]})"
            self.log(f"ray: {job.run_id} ({job.label}): {self.failed[job.run_id]}")
            return
        run = (
            self.store.add_records(job.run_id, result["files"])
            if result["files"]
            else self.store.run(job.run_id)
        )
        if result["error"]:
            self.failed[job.run_id] = result["error"]
        ended = f"val_loss {run.final['val_loss']:.4f}" if run.status == "done" else run.status
        self.log(f"ray: recorded {job.run_id} ({job.label}): {ended} on {result['node']}, "
                 f"{result['bytes']:,} bytes of records")  # fmt: skip

    def show_running(self) -> None:
        """One line per running task: run, node, step/total, val_loss; shown when something changed."""
        try:
            running = self.ray.get(self.board.snapshot.remote(), timeout=1.0)
        except self.ray.exceptions.RayError:  # the board's node died: shown again once it is back
            return
        text = board_text(running, waiting=len(self.in_flight) - len(running))
        if text != self.shown:
            self.shown = text
            self.log(text)


class Board:
    """A Ray actor where each task reports its run's progress, for the driver to show."""

    def __init__(self):
        self.running: dict[str, dict] = {}

    def update(self, run_id: str, info: dict) -> None:
        self.running[run_id] = info

    def done(self, run_id: str) -> None:
        self.running.pop(run_id, None)

    def snapshot(self) -> dict[str, dict]:
        return dict(self.running)


def board_text(running: dict[str, dict], waiting: int) -> str:
    """What the driver shows of the board: a count, then one line per running task (run, node,
    step/total, the last val_loss once it has one), in run id order."""
    lines = [
        f"  {rid}  {info['node']}  step {info['step']}/{info['total']}"
        + (f"  val_loss {info['val_loss']:.4f}" if info.get("val_loss") is not None else "")
        for rid, info in sorted(running.items())
    ]
    return "\n".join([f"ray: {len(running)} running, {waiting} waiting for resources"] + lines)


def read_corpus(path: Path) -> dict:
    """A local data source as bytes: one file, or a directory's files (train/valid/test.txt)."""
    if path.is_dir():
        return {
            "dir": path.name,
            "files": {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()},
        }
    return {"dir": None, "files": {path.name: path.read_bytes()}}


def corpus_on_this_node(cfg: Config, data_fingerprint: str, corpus: dict | None) -> Config:
    """The config with data= pointing at the corpus on this node: where it is, when this node sees the
    same data at the same path (one machine, or a shared filesystem); else a copy in this node's cache."""
    if corpus is None:
        return cfg
    with contextlib.suppress(LmlabError, OSError):
        if fingerprint(cfg) == data_fingerprint:
            return cfg
    folder = cache_root() / "data" / data_fingerprint[:16]
    for name, content in corpus["files"].items():
        path = folder / (corpus["dir"] or "") / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, content)
    source = folder / corpus["dir"] if corpus["dir"] else folder / next(iter(corpus["files"]))
    return dataclasses.replace(cfg, data=str(source))


def worker_store() -> RunStore:
    return RunStore(os.environ.get(WORKER_RUNS_ENV) or Path(tempfile.gettempdir()) / "lmlab-runs")


def train_on_node(cfg: Config, data_fingerprint: str, corpus: dict | None, board) -> dict:
    """A Ray task: train one run in this node's store and return its light records. A diverged run is
    a result; any other error is returned with the run's records, so that it is recorded, not retried."""
    import ray

    from lmlab.config import run_id

    store = worker_store()
    cfg = corpus_on_this_node(cfg, data_fingerprint, corpus)
    rid = run_id(cfg, data_fingerprint)
    node = f"{socket.gethostname()}:{ray.get_runtime_context().get_node_id()[:8]}"
    stop = threading.Event()
    reporter = threading.Thread(target=_report, args=(store.run(rid), node, board, stop), daemon=True)
    reporter.start()
    error = None
    try:
        _train_when_free(cfg, store, data_fingerprint)
    except RunDiverged:
        pass  # recorded as failed by divergence: that setting does not train, a result like any other
    except Exception as e:  # noqa: BLE001 - the run's own error: recorded once by the driver
        error = f"{type(e).__name__}: {e}"
    finally:
        stop.set()
        reporter.join()
        board.done.remote(rid)
    files = records(store.run(rid))
    return {"files": files, "node": node, "error": error, "bytes": sum(map(len, files.values()))}


def _train_when_free(cfg: Config, store: RunStore, data_fingerprint: str, patience: float = 120.0) -> None:
    """Train, waiting while another process holds the run: a retried task can start before the
    process of its killed first try is gone."""
    from lmlab.train import train

    deadline = time.monotonic() + patience
    while True:
        try:
            train(cfg, runs_dir=store.root, progress=False, data_fingerprint=data_fingerprint)
            return
        except RunLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def progress(run: Run, node: str) -> dict | None:
    """What a task reports to the board about the run it trains: its node, the step it reached
    (its records' last step: meta.json's moves only at checkpoints), the total, and the last
    val_loss (None before the first evaluation). None when the run's files cannot be read just now."""
    try:
        meta, records = run.meta, run.metrics  # one read of the records: step and val_loss agree
    except (RunDamaged, OSError):
        # the files are replaced whole (write_atomic), so a read sees the old or the new one; what
        # remains is a file that does not parse (a worker store on a filesystem without atomic
        # renames) or the run's folder gone from under it (a temp folder cleaned): skip this report,
        # the next one reads the files again
        return None
    evals = [r for r in records if "val_loss" in r]
    return {
        "node": node,
        "step": max(meta.get("step", 0), records[-1]["step"] if records else 0),
        "total": meta.get("total_steps", "?"),
        "val_loss": evals[-1]["val_loss"] if evals else None,
    }


def _report(run: Run, node: str, board, stop: threading.Event, every: float = 2.0) -> None:
    while not stop.wait(every):
        info = progress(run, node)
        if info is not None:
            board.update.remote(run.id, info)


def train_configs(
    configs: list[Config], executor="local", runs_dir=None, progress: bool = True, log=print
) -> list[Run]:
    """A sweep: every config trained (or found in the store), in order; by this process, or as one Ray
    task each."""
    from lmlab.config import run_id
    from lmlab.train import train

    executor = make_executor(executor)
    if isinstance(executor, LocalExecutor):
        return [train(cfg, runs_dir=runs_dir, progress=progress) for cfg in configs]
    store = RunStore(runs_dir)
    by_data: dict[str, list[Job]] = {}
    ids = []
    for cfg in configs:
        data_fingerprint = fingerprint(cfg)
        job = Job(cfg.note or f"{cfg.profile} seed {cfg.seed}", {}, cfg, run_id(cfg, data_fingerprint))
        by_data.setdefault(data_fingerprint, []).append(job)
        ids.append(job.run_id)
    for data_fingerprint, jobs in by_data.items():
        executor.train_jobs(jobs, store, data_fingerprint, progress=progress, log=log)
    return [store.run(rid) for rid in ids]
