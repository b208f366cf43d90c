"""A size the machine cannot hold is refused before anything is allocated or written."""

import itertools
import json
import resource
import subprocess
import sys

import pytest
import torch

import lmlab
from conftest import MEMORY_CEILING_GB, TINY
from lmlab import memory
from lmlab.config import make_config
from lmlab.errors import NotEnoughMemory
from lmlab.model import GPT, ModelConfig


@pytest.mark.parametrize(
    ("pos", "norm", "mlp", "tie", "bias", "gate"),
    [
        (*combo, i % 2 == 0)  # the heads' gates on every other combination
        for i, combo in enumerate(
            itertools.product(
                ("learned", "rope"),
                ("layer", "rms"),
                ("gelu", "swiglu", "relu2"),
                (True, False),
                (True, False),
            )
        )
    ],
)
def test_the_parameter_count_is_the_models_own(pos, norm, mlp, tie, bias, gate):
    cfg = make_config(
        "smoke",
        attn_gate=gate,
        pos=pos,
        norm=norm,
        mlp=mlp,
        tie_embeddings=tie,
        bias=bias,
        d_model=72,
        n_head=4,
        n_layer=3,
        vocab_size=300,
        block_size=24,
    )
    with torch.device("meta"):
        model = GPT(ModelConfig.from_settings(cfg, cfg.vocab_size))
    assert memory.parameter_count(cfg) == model.num_params()


def test_the_challenge_model_has_its_published_size():
    assert memory.parameter_count(make_config("full")) == 27_172_864


def test_the_estimate_grows_with_each_setting_that_drives_it():
    base = memory.estimate(make_config("cpu"))
    assert memory.estimate(make_config("cpu", optimizer="adamw")).optimizer == 2 * base.weights  # two moments
    assert memory.estimate(make_config("cpu", batch_size=64)).activations == 2 * base.activations
    assert memory.estimate(make_config("cpu", eval_batch_size=128)).evaluation > base.evaluation
    assert (
        memory.estimate(make_config("cpu", average="ema")).weights == 2 * base.weights
    )  # the average's copy
    assert memory.estimate(make_config("cpu", rdrop=1.0)).activations == 2 * base.activations  # two passes
    assert (
        memory.estimate(make_config("cpu", precision="bf16"), device="cuda").activations
        == base.activations // 2
    )


def test_the_cli_refuses_at_once_with_one_line_and_leaves_the_store_as_it_was(tmp_path):
    runs = tmp_path / "runs"
    lmlab.run("smoke", runs_dir=runs, progress=False, **TINY)
    before = sorted((p.relative_to(runs), p.stat().st_mtime_ns) for p in runs.rglob("*"))
    # the acceptance's command: the smoke profile's hub data is never reached, let alone trained on
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmlab",
            "train",
            "--profile",
            "smoke",
            "d_model=13150096",
            "--runs",
            str(runs),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert "d_model=13150096" in line and "GB" in line and "available" in line and "Traceback" not in line
    assert sorted((p.relative_to(runs), p.stat().st_mtime_ns) for p in runs.rglob("*")) == before


def test_the_python_api_refuses_before_reading_data(tmp_path):
    # the hub is offline in the tests: reaching for the data would raise another error
    with pytest.raises(NotEnoughMemory, match=r"n_layer=1000000.* need about [\d,.]+ GB"):
        lmlab.run("smoke", runs_dir=tmp_path, progress=False, n_layer=1_000_000)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_batch_too_large_names_the_batch(tmp_path):
    with pytest.raises(NotEnoughMemory, match=r"^batch_size=100000 x block_size=4096 .*training activations"):
        lmlab.run(
            "smoke", runs_dir=tmp_path, progress=False, data="x.txt", batch_size=100_000, block_size=4096
        )


def test_dry_run_prints_the_estimate_beside_the_parameter_count():
    out = subprocess.run(
        [sys.executable, "-m", "lmlab", "train", "--profile", "full", "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "parameters: 27,172,864" in out
    assert "memory: " in out and "estimated peak" in out and "optimizer" in out


def test_the_suite_runs_under_a_memory_ceiling():
    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    assert soft == int(MEMORY_CEILING_GB * 2**30)
    # a runaway allocation fails here, with an error, and never reaches the machine
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        torch.empty(int(MEMORY_CEILING_GB * 2**30) // 4 + 2**28)


def test_a_memory_limit_bounds_what_a_run_may_plan_on(tmp_path):
    """Under a 1 GiB data limit, a run the machine's RAM would hold is refused by the limit."""
    program = (
        "import resource, json\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (2**30, resource.getrlimit(resource.RLIMIT_DATA)[1]))\n"
        "from lmlab import memory\n"
        "from lmlab.config import make_config\n"
        "room, bound = memory.available_cpu()\n"
        "try:\n"
        "    memory.check(make_config('cpu', d_model=1024, n_layer=12), 'cpu')\n"
        "    refused = ''\n"
        "except memory.NotEnoughMemory as e:\n"
        "    refused = str(e)\n"
        "print(json.dumps([room, bound, refused]))\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    room, bound, refused = json.loads(out.stdout)
    assert 0 < room < 2**30 and bound == "the process's memory ulimit"
    assert "ulimit" in refused and "nothing was allocated" in refused.lower()
