"""`lmlab check`: the site content built by the real mystmd, and what mystmd lets pass caught:
unknown labels, broken references, unpaired or stale notebooks, figures without an image, numbers
and titles two pages share."""

import json
import shutil

import pytest

from conftest import lmlab

pytestmark = pytest.mark.skipif(shutil.which("myst") is None, reason="mystmd not installed")


def test_check_passes_and_every_embedded_figure_names_its_notebook(project):
    out = lmlab("check", cwd=project)
    assert out.returncode == 0, out.stderr
    figures = []
    for page in (project / "_build" / "site" / "content").glob("*.json"):
        stack = [json.loads(page.read_text())["mdast"]]
        while stack:
            node = stack.pop()
            stack += node.get("children", []) or []
            if node.get("type") == "container" and node.get("kind") == "figure":
                figures.append(node["source"])
    assert len(figures) >= 8
    assert all(
        f["kind"] == "Notebook" and f["location"].startswith("/notebooks/") and f["url"] for f in figures
    )


def test_check_names_a_broken_label_a_broken_reference_and_an_unpaired_notebook(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build", "runs"))
    page = broken / "content" / "02-adamw.md"
    page.write_text(
        page.read_text().replace(":::{figure} #adamw-lr-sweep", ":::{figure} #adamw-lr-swep")
        + "\nSee also [](#fig-that-does-not-exist).\n"
    )
    source = broken / "notebooks" / "01_initial_run.py"
    source.write_text(source.read_text() + "\n# %%\nprint('added after execution')\n")
    fork = broken / "notebooks" / "02_adamw.py"  # its Colab badge names another repository than myst.yml
    fork.write_text(
        fork.read_text().replace(
            "colab.research.google.com/github/lmlab/lmlab/", "colab.research.google.com/github/someone/else/"
        )
    )
    results = broken / "content" / "01-initial-run.md"  # an output whose link to its cell is gone
    results.write_text(results.read_text().replace("*[The cell that made this](#initial-results).*", ""))
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "the output '#initial-results' has no link to its cell" in out.stderr
    assert (
        "02_adamw: its Colab badge or install cell names someone/else, but myst.yml names lmlab/lmlab"
        in out.stderr
    )
    assert "embed of unknown label '#adamw-lr-swep'" in out.stderr
    assert "unresolved cross-reference '#fig-that-does-not-exist'" in out.stderr
    assert "01_initial_run: .py and .ipynb are out of sync" in out.stderr


def test_check_catches_a_figure_without_an_image_and_stale_code(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build", "runs"))
    page = broken / "content" / "01-initial-run.md"
    page.write_text(
        page.read_text() + "\n:::{figure} #initial-samples\n:label: fig-text\nNot an image.\n:::\n"
    )
    ipynb = broken / "notebooks" / "02_adamw.ipynb"
    nb = json.loads(ipynb.read_text())
    nb["metadata"]["lmlab"]["code_hashes"]["figures.py"] = "0" * 12
    ipynb.write_text(json.dumps(nb))
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "figure '#initial-samples' embeds no image output" in out.stderr
    assert "02_adamw: stale, the code it imported changed since it was executed (figures.py)" in out.stderr


def test_check_fails_a_label_drawn_in_two_colours_and_two_labels_drawn_in_one(project, tmp_path):
    from lmlab import check

    sources = sorted((project / "notebooks").glob("[0-9]*.py"))
    records = [json.loads(s.with_suffix(".ipynb").read_text())["metadata"]["lmlab"] for s in sources]
    assert any(r["colors"] for r in records)  # executing a notebook recorded the colours it drew
    assert check.colour_problems(sources) == []
    clashing = tmp_path / "clashing"
    shutil.copytree(project, clashing, ignore=shutil.ignore_patterns("_build", "runs"))
    first, second = (clashing / "notebooks" / name for name in ("02_adamw.ipynb", "03_schedule.ipynb"))
    for path, colors in ((first, {"AdamW lr 0.002": ["#1f77b4"], "dropout 0.2": ["#1f77b4"]}),
                         (second, {"AdamW lr 0.002": ["#d62728"]})):  # fmt: skip
        nb = json.loads(path.read_text())
        nb["metadata"]["lmlab"]["colors"] = colors
        path.write_text(json.dumps(nb))
    problems = check.colour_problems(sorted((clashing / "notebooks").glob("[0-9]*.py")))
    assert "02_adamw: 'AdamW lr 0.002' and 'dropout 0.2' are drawn in one colour (#1f77b4)" in problems
    assert any("'AdamW lr 0.002' is drawn in 2 colours across the notebooks" in p for p in problems)


def test_check_names_figure_numbers_and_titles_that_two_pages_share(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build"))
    for name in ("02-adamw.md", "03-schedule.md"):  # both lose their prefix: each has a "Figure 1"
        page = broken / "content" / name
        page.write_text(
            page.read_text()
            .replace("numbering:\n", "numbering_removed:\n")
            .replace("  enumerator: ", "  _: ")
        )
    page = broken / "content" / "04-init.md"
    page.write_text(page.read_text().replace("title: Scaled residual init", "title: AdamW", 1))
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "Figure 1 is numbered on 2 pages (/content/02-adamw.md, /content/03-schedule.md)" in out.stderr
    assert "2 pages are titled 'AdamW' (/content/02-adamw.md, /content/04-init.md)" in out.stderr


def foreign_project(root, embed: str):
    """A MyST project lmlab did not make: a notebook executed by nbclient in a plain kernel, and a page
    that embeds its labelled output (`embed`: the label the page asks for)."""
    import nbclient
    import nbformat

    (root / "myst.yml").write_text(
        "version: 1\nproject:\n  title: Someone else's analysis\n  toc:\n    - file: index.md\n"
        "    - file: analysis.ipynb\nsite:\n  template: book-theme\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Analysis"),
        nbformat.v4.new_code_cell("#| label: squares\nprint([n * n for n in range(5)])"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(nb, kernel_name="python3").execute()
    nbformat.write(nb, root / "analysis.ipynb")
    (root / "index.md").write_text(f"# Findings\n\nThe squares:\n\n```{{embed}} #{embed}\n```\n")


def test_check_on_a_myst_project_lmlab_did_not_make(tmp_path):
    """Correctness holds for any MyST project; this study's conventions are warnings until a project
    turns them on: an embed without a link to its cell is a warning here, a failure where enforced."""
    good = tmp_path / "good"
    good.mkdir()
    foreign_project(good, "squares")
    out = lmlab("check", cwd=good)
    assert out.returncode == 0, out.stderr
    assert "warning" in out.stderr and "'#squares' has no link to its cell" in out.stderr
    assert "[cell-links]" in out.stderr

    (good / "pyproject.toml").write_text('[tool.lmlab]\nrules = ["cell-links"]\n')
    out = lmlab("check", cwd=good)
    assert out.returncode == 1 and "'#squares' has no link to its cell" in out.stderr

    broken = tmp_path / "broken"
    broken.mkdir()
    foreign_project(broken, "cubes")
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1 and "embed of unknown label '#cubes'" in out.stderr


def test_a_rule_the_toolkit_does_not_know_is_a_clear_error(tmp_path):
    (tmp_path / "myst.yml").write_text("version: 1\nproject:\n  title: t\n")
    (tmp_path / "pyproject.toml").write_text('[tool.lmlab]\nrules = ["cell-link"]\n')
    out = lmlab("check", cwd=tmp_path)
    assert out.returncode == 2 and "rules names no rule: cell-link" in out.stderr
