"""Executors: the runs a sweep or the ladder asks for, trained here or as tasks of a real Ray cluster
on this machine (a local Ray that lmlab starts, and a two-node cluster that loses a node)."""

import contextlib
import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from conftest import HN_TITLES, ROOT, TINY
from lmlab.config import make_config
from lmlab.errors import LmlabError
from lmlab.executors import (
    LOOPBACK_ONLY,
    WORKER_RUNS_ENV,
    Board,
    LocalExecutor,
    RayExecutor,
    board_text,
    make_executor,
    progress,
    ray_session,
    train_configs,
)
from lmlab.ladder import Ladder
from lmlab.runs import RunStore, verify
from study import LADDER

ray = pytest.importorskip("ray", reason="the Ray executor's tests need Ray: pip install 'lmlab[ray]'")


def test_the_board_shows_a_running_tasks_step_and_last_val_loss(tmp_path, monkeypatch):
    """What a Ray task reports of the run it trains, read as the run trains (before its 11th step,
    in this process: no Ray needed), put on the board and shown as the driver shows it. By then its
    records hold two evaluations and the logs after them; meta.json's step is the last checkpoint's.
    The report used to read `run.evals` without calling it, and a bare `except Exception` swallowed
    the TypeError: no running task ever reached the board."""
    from lmlab.train import Trainer, train

    board, checkpoint_steps = Board(), []
    train_step = Trainer.train_step

    def report_then_step(self, **kwargs):
        if self.step == 10:
            checkpoint_steps.append(self.run.meta["step"])
            board.update(self.run.id, progress(self.run, "node-a"))
            raise KeyboardInterrupt  # seen enough: the run is left interrupted
        train_step(self, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", report_then_step)
    with pytest.raises(KeyboardInterrupt):
        train(make_config("smoke", **TINY), runs_dir=tmp_path, progress=False)
    (run,) = RunStore(tmp_path).all()
    records, evals = run.metrics, run.evals()
    assert records[-1]["step"] == 10 and len(evals) == 2 and evals[-1]["step"] < 10
    assert checkpoint_steps[0] < 10  # what meta.json said: the board shows the records' step
    total, val_loss = run.meta["total_steps"], evals[-1]["val_loss"]
    assert board.snapshot() == {run.id: {"node": "node-a", "step": 10, "total": total, "val_loss": val_loss}}
    assert board_text(board.snapshot(), waiting=1).splitlines() == [
        "ray: 1 running, 1 waiting for resources",
        f"  {run.id}  node-a  step 10/{total}  val_loss {val_loss:.4f}",
    ]


def test_a_report_before_the_first_evaluation_and_one_of_unreadable_records(tmp_path):
    """A run not started yet, and one not evaluated yet, are reported without a val_loss; records
    that do not parse (a line cut short: a worker store on a filesystem without atomic renames)
    skip the report instead of ending the reporter, and the next report reads them again."""
    run = RunStore(tmp_path).run("0123abcd")
    assert progress(run, "n") == {"node": "n", "step": 0, "total": "?", "val_loss": None}
    run.write_config({"profile": "tiny"})
    run.write_meta({"status": "running", "step": 0, "total_steps": 20})
    run.write_metrics([{"step": 2, "train_loss": 5.0}])
    assert progress(run, "n") == {"node": "n", "step": 2, "total": 20, "val_loss": None}
    (run.dir / "metrics.jsonl").write_text('{"step": 2, "train_loss": 5.0}\n{"step": 4, "val_lo')
    assert progress(run, "n") is None
    run.write_metrics([{"step": 2, "train_loss": 5.0}, {"step": 4, "train_loss": 4.0, "val_loss": 4.25}])
    assert progress(run, "n") == {"node": "n", "step": 4, "total": 20, "val_loss": 4.25}
    assert board_text({run.id: progress(run, "n")}, waiting=0).splitlines() == [
        "ray: 1 running, 0 waiting for resources",
        "  0123abcd  n  step 4/20  val_loss 4.2500",
    ]


def test_an_executor_is_named_and_its_resources_checked():
    assert isinstance(make_executor("local"), LocalExecutor)
    assert make_executor("ray", gpus_per_run=0.25).gpus_per_run == 0.25
    with pytest.raises(LmlabError, match="add executor=ray"):
        make_executor("local", gpus_per_run=0.5)
    with pytest.raises(LmlabError, match="a fraction of one GPU"):
        RayExecutor(gpus_per_run=1.5)
    with pytest.raises(LmlabError, match="unknown executor 'slurm'"):
        make_executor("slurm")


@pytest.fixture
def short_ladder():
    """The project's study, its first three steps: the baseline, AdamW (five candidates) and the schedule
    (two), eight runs. They are the full ladder's first steps, so the project fixture's store holds them."""
    return dataclasses.replace(LADDER, steps=LADDER.steps[:3], size_steps=())


def ladder_runs(store_root, study) -> dict[str, float]:
    """{run id: final val_loss} of every run the (short) tiny ladder decided on, from a store."""
    results = Ladder(study, "tiny", str(HN_TITLES), runs_dir=store_root).results()
    assert all(r.complete for r in results) and len(results) == len(study.steps)
    return {
        run.id: run.final["val_loss"] for r in results for run in r.recipe_runs + sum(r.groups.values(), [])
    }


def ray_ports() -> list[str]:
    """The addresses every process of Ray on this machine listens on."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        words = " ".join(proc.info["cmdline"] or [proc.info["name"] or ""])
        if not any(name in words for name in ("gcs_server", "raylet", "ray::", "default_worker")):
            continue
        try:
            found += [c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
def test_a_sweep_and_the_ladder_on_a_local_ray_match_the_local_executor(tmp_path, project, short_ladder):
    """The acceptance command, four seeds through `--executor ray` into an empty store, and the
    ladder's first steps, on a Ray that lmlab starts and that listens on 127.0.0.1 only: the same run
    ids and final losses as the local executor's."""
    from lmlab.cli import main

    configs = [make_config("tiny", **TINY, seed=seed) for seed in (1, 2, 3, 4)]
    here = {
        run.id: run.final["val_loss"]
        for run in train_configs(configs, "local", tmp_path / "local", progress=False)
    }
    with ray_session(None):
        addresses = ray_ports()
        assert addresses and all(ip in ("127.0.0.1", "::ffff:127.0.0.1") for ip in addresses), addresses
        args = ["train", "--profile", "tiny", *(f"{k}={v}" for k, v in TINY.items()), "seed=1,2,3,4"]
        assert main([*args, "--executor", "ray", "--runs", str(tmp_path / "ray")]) == 0
        Ladder(short_ladder, "tiny", str(HN_TITLES), runs_dir=tmp_path / "ladder", executor="ray").train_all(
            log=lambda m: None
        )
    store = RunStore(tmp_path / "ray")
    on_ray = {run.id: run.final["val_loss"] for run in store.all()}
    assert all(not verify(run) for run in store.all())
    # the same runs; the losses agree to float rounding (a Ray task has one thread, this process two)
    assert on_ray.keys() == here.keys()
    assert all(on_ray[rid] == pytest.approx(loss, rel=1e-6) for rid, loss in here.items())
    local, ladder_on_ray = (
        ladder_runs(project / "runs", short_ladder),
        ladder_runs(tmp_path / "ladder", short_ladder),
    )
    assert ladder_on_ray.keys() == local.keys() and len(local) == 8
    assert all(ladder_on_ray[rid] == pytest.approx(loss, rel=1e-6) for rid, loss in local.items())


def descendants(pid: int) -> set[int]:
    try:
        return {pid} | {child.pid for child in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def raylets() -> set[int]:
    return {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "raylet"}


def kill_when_training(raylet: int, worker_runs: Path, killed: list[str], stop: threading.Event) -> None:
    """Kill the node of this raylet (it and every process it started) once it trains a run."""
    while not stop.is_set():
        for lock in worker_runs.glob("*/run.lock"):
            holder = RunStore(worker_runs).lock(lock.parent.name).holder()
            if holder and holder["pid"] in descendants(raylet):
                for pid in descendants(raylet):
                    os.kill(pid, signal.SIGKILL)
                killed.append(lock.parent.name)
                return
        time.sleep(0.05)


def stop_cluster(since: float) -> None:
    """Kill the processes of the cluster this test started (`ray stop --force` does the same to every
    Ray of the machine, and waits seconds doing it)."""
    for proc in psutil.process_iter(["pid", "name", "cmdline", "create_time"]):
        words = " ".join(proc.info["cmdline"] or [proc.info["name"] or ""])
        if (
            proc.info["create_time"] >= since - 1
            and proc.pid != os.getpid()
            and ("ray" in words or "gcs_server" in words)
        ):
            with contextlib.suppress(psutil.Error):
                proc.kill()


SHORT_LADDER_ON = """
import sys
import dataclasses
from pathlib import Path

from lmlab.executors import make_executor
from lmlab.ladder import Ladder, load_study

address, runs, data, root = sys.argv[1:]
study = load_study(root=Path(root))
study = dataclasses.replace(study, steps=study.steps[:3], size_steps=())  # as the short_ladder fixture
ladder = Ladder(study, "tiny", data, runs_dir=runs, executor=make_executor("ray", address=address))
ladder.train_all(log=lambda line: print(line, file=sys.stderr, flush=True))
"""


@pytest.mark.slow
def test_the_ladder_on_a_two_node_cluster_survives_a_stopped_node(tmp_path, project, short_ladder):
    """A head and a second node of one CPU each; the second is killed while it trains a run. Ray
    retries that task on the head, and the ladder completes: every run sound, each recorded once,
    and the same runs and losses as the local executor's ladder (the project fixture's)."""
    plain = {k: v for k, v in os.environ.items() if k not in LOOPBACK_ONLY}  # an ordinary cluster: two nodes
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}  # every node and the driver
    # the head declares a node dead after about a second without heartbeats (Ray's default: about 15 s)
    quick = {"RAY_health_check_period_ms": "300", "RAY_health_check_timeout_ms": "300",
             "RAY_health_check_failure_threshold": "3"}  # fmt: skip
    env = {**plain, **token, **quick, WORKER_RUNS_ENV: str(tmp_path / "worker-runs"), "OMP_NUM_THREADS": "1"}
    address = "127.0.0.1:6391"
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    # a folder of its own (short: Ray's socket paths have a length limit), so that no other Ray on this
    # machine finds this cluster as the one to join
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    start = [*ray_cli, "start", "--num-cpus=1", "--disable-usage-stats", f"--temp-dir={temp}"]
    since = time.time()
    subprocess.run([*start, "--head", "--port=6391", "--include-dashboard=false"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    killed: list[str] = []
    try:
        before = raylets()
        subprocess.run([*start, f"--address={address}"], env=env, check=True, capture_output=True)
        (second,) = raylets() - before
        command = [
            sys.executable,
            "-c",
            SHORT_LADDER_ON,
            address,
            str(tmp_path / "runs"),
            str(HN_TITLES),
            str(ROOT),
        ]
        driver = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        stop = threading.Event()
        watcher = threading.Thread(
            target=kill_when_training, args=(second, tmp_path / "worker-runs", killed, stop)
        )
        watcher.start()
        try:
            _, err = driver.communicate(timeout=300)
        finally:
            stop.set()
            watcher.join()
    finally:
        stop_cluster(since)
        shutil.rmtree(temp, ignore_errors=True)
    assert driver.returncode == 0, err[-3000:]
    assert killed, "the second node never trained a run"
    store = RunStore(tmp_path / "runs")
    assert all(not verify(run) for run in store.all())
    recorded = [line.split()[2] for line in err.splitlines() if line.startswith("ray: recorded ")]
    assert killed[0] in recorded, err
    assert len(recorded) == len(set(recorded)), err  # each run recorded once, the killed one too
    local, on_ray = ladder_runs(project / "runs", short_ladder), ladder_runs(tmp_path / "runs", short_ladder)
    assert on_ray.keys() == local.keys() and len(local) == 8
    assert all(on_ray[rid] == pytest.approx(loss, rel=1e-6) for rid, loss in local.items())
