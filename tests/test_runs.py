"""The run store survives damage: a damaged run directory is listed as damaged with its reason,
never hides the healthy ones, is never trained over, and `lmlab runs verify` names each problem."""

import json
import shutil
import tarfile

import pytest

import lmlab
from conftest import TINY
from lmlab.cli import main
from lmlab.errors import LmlabError
from lmlab.runs import RunStore, verify


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three finished tiny runs, trained once for the module; each test damages its own copy."""
    root = tmp_path_factory.mktemp("store")
    for seed in (1, 2, 3):
        lmlab.run("smoke", runs_dir=root, progress=False, seed=seed, **TINY)
    return root


@pytest.fixture
def runs(store, tmp_path):
    copy = tmp_path / "runs"
    shutil.copytree(store, copy)
    return RunStore(copy).all()


def test_a_finished_run_records_checksums_and_verifies(runs):
    for run in runs:
        assert set(run.meta["checksums"]["sha256"]) == {"config.json", "metrics.jsonl", "probes.json"}
        assert verify(run) == []


def test_verify_finds_a_changed_metrics_file_and_a_truncated_meta(runs, capsys):
    changed, truncated, healthy = runs
    records = changed.metrics
    records[-1]["val_loss"] -= 0.1  # a better number, typed in by hand
    (changed.dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    meta = (truncated.dir / "meta.json").read_text()
    (truncated.dir / "meta.json").write_text(meta[: len(meta) // 2])

    assert any("metrics.jsonl changed since the run finished" in p for p in verify(changed))
    assert any("meta.json is not valid JSON" in p for p in verify(truncated))
    assert main(["runs", "verify", "--runs", str(healthy.dir.parent)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{changed.id}: metrics.jsonl changed" in out and f"{truncated.id}: " in out and healthy.id not in out
    )


def test_list_and_compare_show_the_healthy_runs_beside_a_damaged_one(runs, capsys):
    damaged, *healthy = runs
    (damaged.dir / "meta.json").write_text('{"status": "done", "final": {"val_lo')
    assert main(["runs", "list", "--runs", str(damaged.dir.parent)]) == 0
    listing = capsys.readouterr().out
    assert f"{damaged.id}  damaged" in listing and "not valid JSON" in listing
    for run in healthy:
        assert run.id in listing and f"{run.final['val_loss']:.4f}" in listing
    assert main(["runs", "compare", "--runs", str(damaged.dir.parent)]) == 0
    table = capsys.readouterr().out
    assert all(run.id in table for run in runs) and "damaged" in table


@pytest.mark.parametrize(
    "damage",
    ["truncated metrics line", "metrics line not a record", "missing probes", "config not an object"],
)
def test_each_kind_of_damage_is_named(runs, damage):
    run = runs[0]
    if damage == "truncated metrics line":
        text = (run.dir / "metrics.jsonl").read_text()
        (run.dir / "metrics.jsonl").write_text(text[:-20])
        expected = "metrics.jsonl line"
    elif damage == "metrics line not a record":
        with open(run.dir / "metrics.jsonl", "a") as fh:
            fh.write("[1, 2]\n")
        expected = "is not a metrics record"
    elif damage == "missing probes":
        (run.dir / "probes.json").unlink()
        expected = "probes.json is missing"
    else:
        (run.dir / "config.json").write_text("[]")
        expected = "config.json holds a list, not an object"
    problems = verify(run)
    assert problems and any(expected in p for p in problems), problems


def test_a_damaged_run_is_never_trained_over(runs):
    run = runs[0]
    (run.dir / "meta.json").write_text("{")
    before = {p.name: p.read_bytes() for p in run.dir.iterdir() if p.is_file()}
    with pytest.raises(LmlabError, match=f"run {run.id} is damaged: .*move it aside"):
        lmlab.run("smoke", runs_dir=run.dir.parent, progress=False, seed=int(run.config["seed"]), **TINY)
    assert {p.name: p.read_bytes() for p in run.dir.iterdir() if p.is_file()} == before


def test_pack_carries_the_finished_runs_light_records_and_restores_them(runs, tmp_path):
    damaged, running, done = runs
    (damaged.dir / "meta.json").write_text("{")
    meta = running.meta
    meta["status"] = "running"
    (running.dir / "meta.json").write_text(json.dumps(meta))
    (done.dir / "checkpoint.pt").write_bytes(b"heavy")
    archive = tmp_path / "out" / "runs.tar.gz"
    assert main(["runs", "pack", str(archive), "--runs", str(done.dir.parent)]) == 0
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
        assert names == sorted(
            f"runs/{done.id}/{n}" for n in ("meta.json", "config.json", "metrics.jsonl", "probes.json")
        )
        tar.extractall(tmp_path / "elsewhere", filter="data")
    restored = RunStore(tmp_path / "elsewhere" / "runs").all()
    assert [r.id for r in restored] == [done.id] and verify(
        restored[0]
    ) == []  # checksums hold after the trip


def test_records_carried_to_another_store_verify_there_and_are_written_once(runs, tmp_path):
    """What a Ray task returns to its driver: a run's light records, checked against the checksums
    its meta.json recorded before anything is written; a finished run is never written over."""
    from lmlab.runs import records

    run = runs[0]
    files = records(run)
    other = RunStore(tmp_path / "other")
    damaged = {**files, "metrics.jsonl": files["metrics.jsonl"] + b'{"step": 999}\n'}
    with pytest.raises(LmlabError, match="metrics.jsonl does not match the sha256"):
        other.add_records(run.id, damaged)
    assert not (other.root / run.id).exists()  # nothing written
    with pytest.raises(LmlabError, match="hold the meta.json of run"):
        other.add_records("0" * 12, files)
    carried = other.add_records(run.id, files)
    assert carried.status == "done" and verify(carried) == [] and carried.final == run.final
    before = (carried.dir / "meta.json").stat().st_mtime_ns
    other.add_records(run.id, damaged)  # finished already: left as it is, not even checked
    assert (carried.dir / "meta.json").stat().st_mtime_ns == before
