"""The notebooks' Colab path, run as Colab runs it, in a fresh virtual environment.

What Colab has and this test cannot reach: GitHub (the install cell's URL is pointed at a local
clone of this repository through a file:// URL, which git clones the same way), the Hugging Face
Hub (the data comes from a copy beside the cloned project, as `../shared` is beside this one), and a GPU
(so the parameters cell's fallback to the `cpu` profile is what is shown). The environment sees the
machine's packages (`--system-site-packages`): Colab comes with torch and the scientific stack, and
the cell installs lmlab itself, not a package it already has.
"""

import json
import os
import shutil
import subprocess
import venv

import jupytext
import pytest

from conftest import HN_TITLES, ROOT
from lmlab import notebooks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to clone the repository"),
]

NOTEBOOK = ROOT / "notebooks" / "01_initial_run.py"
FAKE_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A clone of the repository (what GitHub serves), a fresh environment, and Colab's working
    folder, where the install cell clones the project, with shared/data/hn-titles/titles.txt."""
    tmp = tmp_path_factory.mktemp("colab")
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env_dir = tmp / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    content = tmp / "content"  # Colab's working folder
    data = content / "shared" / "data" / "hn-titles"
    data.mkdir(parents=True)
    shutil.copy(HN_TITLES, data / "titles.txt")
    return clone, env_dir / "bin" / "python", content


def first_cells(repo_url: str) -> tuple[str, str]:
    """The notebook's install cell (its repository pointed at `repo_url`) and its parameters cell."""
    cells = [c for c in jupytext.read(NOTEBOOK).cells if c.cell_type == "code"]
    install, parameters = cells[0].source, cells[1].source
    assert notebooks.named_repositories(NOTEBOOK) == {"lmlab/lmlab"}
    return install.replace("https://github.com/lmlab/lmlab", repo_url), parameters


def test_the_install_cell_installs_lmlab_and_the_parameters_cell_falls_back_to_cpu(colab):
    clone, python, content = colab
    install, parameters = first_cells(f"file://{clone}")
    program = FAKE_COLAB + install + "\n" + parameters + "\nimport lmlab, json\n"
    program += "print(json.dumps({'lmlab': lmlab.__file__, 'profile': PROFILE, 'data': DATA}))\n"
    env = {k: v for k, v in os.environ.items() if k not in ("LMLAB_PROFILE", "LMLAB_DATA", "PYTHONPATH")}
    out = subprocess.run([str(python), "-c", program], cwd=content, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    # installed into the fresh environment from the clone, not the checkout's editable copy
    assert str(python.parent.parent) in found["lmlab"] and str(ROOT / "src") not in found["lmlab"]
    assert found["profile"] == "cpu"
    assert "this Colab runtime has no GPU, so the notebook takes the `cpu` profile" in out.stdout
    # the data is found beside the project the notebook runs in, not beside the installed package
    assert found["data"] == str(content / "shared" / "data" / "hn-titles" / "titles.txt")
