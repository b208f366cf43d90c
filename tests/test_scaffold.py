"""`lmlab new`: a new study that works at once, with nothing but what it writes and lmlab."""

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HN_TITLES, ROOT, lmlab
from lmlab import site


def tree_hash(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_a_new_study_trains_executes_checks_and_builds(tmp_path, tools):
    toolkit = tree_hash(ROOT / "src" / "lmlab")
    root = tmp_path / "my-study"
    out = lmlab("new", str(root), "--title", "My study", "--data", str(HN_TITLES), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert {"myst.yml", "README.md", "Makefile", "pyproject.toml", ".ci/run", "study/__init__.py"} <= {
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()
    }
    assert f'data = "{HN_TITLES}"' in (root / "pyproject.toml").read_text()
    tiny = {"LMLAB_PROFILE": "tiny", "LMLAB_RUNS": ""}  # the project's own store, runs/ in it

    out = lmlab("ladder", "--profile", "tiny", cwd=root, env=tiny)
    assert out.returncode == 0, out.stderr
    assert "adamw" in out.stdout and len(list((root / "runs").iterdir())) == 4  # 2 steps x 2 seeds

    out = lmlab("notebooks", "run", cwd=root, env=tiny)
    assert out.returncode == 0, out.stderr
    assert {p.name for p in (root / "notebooks").glob("*.ipynb")} == {"01_baseline.ipynb", "02_adamw.ipynb"}

    out = lmlab("check", cwd=root, env=tiny)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr  # the conventions it turns on hold, and the others too

    # the study's own test command's pytest part, in a fresh interpreter that has only lmlab installed
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env={**os.environ, **tiny},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-2000:]

    shutil.rmtree(
        site.theme_folder(root)
    )  # the content build's stub theme, for the real one `make test` installed
    os.symlink(site.theme_folder(ROOT), site.theme_folder(root))
    html = site.build_html(root)
    pages = {path.relative_to(html).as_posix() for path in html.rglob("index.html")}
    assert {"index.html", "baseline/index.html", "adamw/index.html"} <= pages, sorted(pages)
    assert "AdamW lr 0.001" in (html / "adamw" / "index.html").read_text()
    assert tree_hash(ROOT / "src" / "lmlab") == toolkit  # the toolkit is not touched


def test_new_refuses_a_folder_that_holds_something(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    out = lmlab("new", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2 and "is not an empty folder" in out.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1
