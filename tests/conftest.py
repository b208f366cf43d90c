import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
HN_TITLES = SHARED / "hn-titles" / "titles.txt"
WIKITEXT = SHARED / "wikitext-2"

# set before anything imports huggingface_hub, which reads it once: the hub then fails at once, for real
os.environ["HF_HUB_OFFLINE"] = "1"

# a few hundred titles: enough for every code path, seconds per run
TINY = dict(data=str(HN_TITLES), num_titles=600, vocab_size=512, batch_size=8, block_size=16, evals_per_epoch=2, log_every=2)


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory):
    """Tests never touch the user's token cache or the hub (a real, fast offline failure instead)."""
    if not HN_TITLES.exists():
        pytest.exit(f"test data not found at {SHARED}: the tests need ../shared/data beside the project", returncode=2)
    os.environ["LMLAB_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("LMLAB_RUNS", None)
    yield


@pytest.fixture
def runs_dir(tmp_path):
    return tmp_path / "runs"


def interrupted_run(monkeypatch, at_step: int, **run_kwargs) -> None:
    """Train with a Ctrl-C raised at the `at_step`-th training step (the run is left interrupted)."""
    import lmlab
    from lmlab.train import Trainer

    real_step = Trainer.train_step
    calls = {"n": 0}

    def dies(self):
        calls["n"] += 1
        if calls["n"] == at_step:
            raise KeyboardInterrupt
        real_step(self)

    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "train_step", dies)
        with pytest.raises(KeyboardInterrupt):
            lmlab.run("smoke", progress=False, **run_kwargs)
