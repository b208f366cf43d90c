import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from lmlab import browser_check, site
from shared_guard import shared_guard  # noqa: F401  (an autouse fixture: no test may read ../shared)

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"  # made by tests/data/make_corpora.py; see its README
HN_TITLES = TEST_DATA / "titles.txt"
WIKITEXT = TEST_DATA / "wikitext"


def corpus_lines(split: str) -> list[str]:
    """A split of the test corpus in the WikiText layout, as lines (blank ones included)."""
    return (WIKITEXT / f"{split}.txt").read_text(encoding="utf-8").splitlines()


# set before anything imports huggingface_hub, which reads it once: the hub then fails at once, for real
os.environ["HF_HUB_OFFLINE"] = "1"

MEMORY_CEILING_GB = float(os.environ.get("LMLAB_TEST_MEMORY_GB", 6))
"""Every test process, and every process it starts (notebook kernels, node for mystmd, Chromium), may map
at most this much data (RLIMIT_DATA, inherited by children): an allocation past it fails its own test
with an error instead of exhausting the machine (24 GB here, shared with whatever else runs). The real
tests need far less: the largest processes, pytest itself and node building the site, peak under 1.5 GB
resident. lmlab's memory check reads the same limit, so a run too large for it is refused before it
allocates, with the usual one-line error."""
_, _hard = resource.getrlimit(resource.RLIMIT_DATA)
_ceiling = int(MEMORY_CEILING_GB * 2**30)
resource.setrlimit(
    resource.RLIMIT_DATA, (_ceiling if _hard == resource.RLIM_INFINITY else min(_ceiling, _hard), _hard)
)

# CI (CI=true) draws the same examples on every run, so a commit passes or fails the same way each time;
# a developer's run still explores new ones. Neither reads or writes the example database in CI.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "default")

# a few hundred titles and one narrow layer: enough for every code path, a second or two per run
TINY = dict(
    data=str(HN_TITLES),
    num_titles=600,
    vocab_size=512,
    n_layer=1,
    d_model=32,
    batch_size=8,
    block_size=16,
    evals_per_epoch=2,
    log_every=2,
)


def tiny(**kw):
    """A two-layer model small enough to build and step in milliseconds."""
    from lmlab.model import ModelConfig

    return ModelConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, d_model=32, dropout=0.0, **kw)


def run_cli(*args, cwd=None):
    """The real command, in a new process: its exit code and what it prints, tracebacks included."""
    return subprocess.run([sys.executable, "-m", "lmlab", *args], capture_output=True, text=True, cwd=cwd)


def cli(capsys, *args) -> tuple[int, str, str]:
    """The same entry point in this process (no interpreter start-up): (exit code, stdout, stderr)."""
    from lmlab.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory):
    """Tests never touch the user's token cache or the hub (a real, fast offline failure instead)."""
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

    def dies(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == at_step:
            raise KeyboardInterrupt
        real_step(self, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "train_step", dies)
        with pytest.raises(KeyboardInterrupt):
            lmlab.run("smoke", progress=False, **run_kwargs)


# ------------------------------------------------------------------ the study, executed at the tiny profile


def lmlab(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lmlab", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


TINY_ENV = {"LMLAB_PROFILE": "tiny", "LMLAB_DATA": str(HN_TITLES), "LMLAB_WORD_DATA": str(WIKITEXT)}


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A copy of the study whose notebooks were executed at the tiny profile into its own run store:
    the ladder trained first in one process (as `lmlab ladder` does), then every notebook executed."""
    root = tmp_path_factory.mktemp("project")
    for name in ("content", "notebooks", "study"):
        shutil.copytree(
            ROOT / name,
            root / name,
            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "kernel-*", "__pycache__"),
        )
    for name in ("myst.yml", "pyproject.toml"):  # the site's config, and the project's [tool.lmlab]
        shutil.copy(ROOT / name, root / name)
    (root / "benchmarks").mkdir()
    for name in ("results.json", "profiles.json"):
        shutil.copy(ROOT / "benchmarks" / name, root / "benchmarks" / name)
    env = {**TINY_ENV, "LMLAB_RUNS": str(root / "runs")}
    # two workers share the ladder through the run locks, as the README says to use two cores
    out = lmlab("ladder", "--profile", "tiny", "--workers", "2", f"data={HN_TITLES}", cwd=root, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    # three kernels: a kernel spends part of its start waiting, not computing
    out = lmlab("notebooks", "run", "--jobs", "3", cwd=root, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return root


# ------------------------------------------------------------------ the site's tools: mystmd, the theme, a Chromium


REQUIRED = os.environ.get("LMLAB_REQUIRE_SITE_TESTS") == "1"


def browser() -> str | None:
    """The Chromium the browser tests use, in words: Debian's (or $LMLAB_CHROMIUM), else Playwright's own."""
    if browser_check.chromium_path():
        return f"{browser_check.chromium_path()} (system Chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        path = p.chromium.executable_path
    return f"{path} (Playwright's Chromium)" if os.path.exists(path) else None


def missing_tools() -> str | None:
    if shutil.which("myst") is None:
        return "mystmd is not installed"
    if not site.theme_installed(ROOT):
        return (
            f"the site theme is not in {site.theme_folder(ROOT)}: run `lmlab site theme` "
            f"(it needs ${site.THEME_ENV}, ../shared/myst-theme, or the network)"
        )
    if browser() is None:
        return "no Chromium for the browser tests: run `playwright install chromium` (offline: apt-get install chromium)"
    return None


def pytest_sessionstart(session) -> None:
    """One line, whatever the verbosity (make test runs pytest -q): which browser the site tests use."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        found = browser() or "none; run `playwright install chromium` (offline: apt-get install chromium)"
        reporter.write_line(f"browser for the site tests: {found}")


@pytest.fixture(scope="session")
def tools():
    reason = missing_tools()
    if reason:
        if REQUIRED:
            pytest.fail(f"LMLAB_REQUIRE_SITE_TESTS=1 but {reason}")
        pytest.skip(reason)
