"""The command line: dry runs, grids, settings around options, and one clear line for bad input."""

import json

import pytest

from conftest import HN_TITLES, TINY, cli, run_cli
from lmlab.cli import main


def test_cli_dry_run_reports_the_challenge_parameter_count(capsys):
    code, out, _ = cli(capsys, "train", "--profile", "full", "--dry-run")
    assert code == 0 and "parameters: 27,172,864" in out


def test_cli_bad_input_is_one_line_without_traceback():
    out = run_cli("train", "--profile", "smoke", "optimiser=adamw")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "unknown setting 'optimiser'; did you mean 'optimizer'?" in out.stderr
    out = run_cli("train", "--profile", "smoke", "mlp=glu")
    assert "choose one of: gelu, relu, relu2, swiglu" in out.stderr


def test_cli_unreachable_hub(tmp_path, capsys):
    code, _, err = cli(capsys, "train", "--profile", "smoke", "--runs", str(tmp_path))
    assert code == 2 and "cannot reach the Hugging Face Hub" in err and "data=" in err


def test_cli_sweep_runs_the_grid_and_ends_with_the_compare_table(runs_dir, capsys):
    words = [f"{k}={v}" for k, v in TINY.items()]
    code, out, err = cli(
        capsys,
        "train",
        "--profile",
        "smoke",
        "--runs",
        str(runs_dir),
        "--no-progress",
        "lr=1e-2,3e-3",
        "seed=1,2",
        *words,
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    header = lines[0].split()
    assert header[:4] == ["run", "status", "lr", "seed"] and "val_loss" in header
    assert len(lines) == 5 and all(" done " in line for line in lines[1:])
    _, listing, _ = cli(capsys, "runs", "list", "--runs", str(runs_dir))
    assert len(listing.strip().splitlines()) == 5
    first = lines[1].split()[0]
    shown = json.loads(cli(capsys, "runs", "show", first[:6], "--runs", str(runs_dir))[1])
    assert shown["run_id"] == first and shown["config"]["lr"] == 1e-2


def test_cli_settings_may_come_before_and_after_options(capsys):
    code, out, err = cli(capsys, "train", "lr=1e-3", "--profile", "smoke", "--dry-run", "note=a b, c")
    assert code == 0, err
    resolved = json.loads(out[: out.rindex("}") + 1])
    assert (resolved["lr"], resolved["note"], resolved["profile"]) == (1e-3, "a b, c", "smoke")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--bogus"])
    assert exit_.value.code == 2


def test_a_plans_status_says_where_each_run_is_and_how_long_is_left(tmp_path):
    """A run done in 600 s, one stopped at step 40 of 100 after 200 s (5 s a step: 300 s left), one not
    started (as long as its group's finished run): 15 minutes left; a group with nothing finished
    cannot say how long its runs take, and says so."""
    from types import SimpleNamespace

    from lmlab.cli import plan_status
    from lmlab.runs import RunStore

    store = RunStore(tmp_path)
    for run_id, meta, records in (
        ("done", {"status": "done", "step": 100, "total_steps": 100, "final": {"val_loss": 1.0, "train_seconds": 600}},
         [{"step": 0}, {"step": 100, "elapsed": 600.0, "val_loss": 1.0}]),
        ("half", {"status": "interrupted", "step": 40, "total_steps": 100},
         [{"step": 0}, {"step": 20, "elapsed": 100.0}, {"step": 40, "elapsed": 200.0}]),
    ):  # fmt: skip
        run = store.run(run_id)
        run.write_config({"seed": 1})
        run.write_meta(meta)
        run.write_metrics(records)
    ladder = SimpleNamespace(store=store, planned={"group": dict.fromkeys(("done", "half", "later"))})
    assert plan_status(ladder) == [
        f"{'group':<40} 1 of 3 done; half stopped at step 40 of 100, about 5 min left; 1 not started (about 10 min each)",
        "about 0 h 15 min of training left, one run at a time at these paces",
    ]
    ladder.planned["new group"] = {"unseen": None}
    assert plan_status(ladder)[-1].endswith(
        "besides 1 run(s) whose length no finished run of their group gives"
    )
    del ladder.planned["group"]  # only runs of unknown length: no "about 0 h 00 min"
    assert (
        plan_status(ladder)[-1] == "training left: 1 run(s) whose length no finished run of their group gives"
    )


PLANNED_STUDY = '''
from lmlab.ladder import Step, Study

STUDY = Study("planned", (Step("baseline", "Initial run", {"baseline": {}}, "the profile as it is"),), "baseline")


def later_seeds(ladder, train):
    """The baseline again, on seeds no step used."""
    return ladder.at_profile(ladder.profile, {"baseline, later seeds": {}}, seeds=(7, 8), train=train)
'''


def test_ladder_plans_train_a_projects_named_plan_and_report_it(tmp_path):
    """`lmlab ladder --plans NAME` trains the function [tool.lmlab.plans] names, into the run store, and
    `--status` reports the same runs without training; an unknown name lists the project's plans."""
    (tmp_path / "myst.yml").write_text("version: 1\nproject:\n  title: planned\n")
    (tmp_path / "planned.py").write_text(PLANNED_STUDY)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lmlab]\nstudy = "planned:STUDY"\n[tool.lmlab.plans]\nlater = "planned:later_seeds"\n'
    )
    data = f"data={HN_TITLES}"
    status = run_cli("ladder", "--profile", "tiny", "--plans", "later", "--status", data, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "baseline, later seeds" in status.stdout and "0 of 2 done; 2 not started" in status.stdout

    trained = run_cli("ladder", "--profile", "tiny", "--plans", "later", data, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "2 runs finished" in trained.stdout
    seeds = sorted(json.loads(p.read_text())["seed"] for p in (tmp_path / "runs").glob("*/config.json"))
    assert seeds == [7, 8]  # the plan's runs and nothing else: the ladder's own step did not train

    again = run_cli("ladder", "--profile", "tiny", "--plans", "later", "--status", data, cwd=tmp_path)
    assert "2 of 2 done" in again.stdout and "left" not in again.stdout

    unknown = run_cli("ladder", "--profile", "tiny", "--plans", "full", data, cwd=tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "--plans full: the project has no such plan (plans: later)" in unknown.stderr
