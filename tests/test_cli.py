"""The command line: dry runs, grids, settings around options, and one clear line for bad input."""

import json

import pytest

from conftest import TINY, cli, run_cli
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
