"""The report pipeline end to end on a temporary copy of the project: notebooks executed with the
tiny profile, the site built by the real mystmd, and `lmlab check` catching what mystmd does not."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HN_TITLES, ROOT, WIKITEXT

pytestmark = pytest.mark.skipif(shutil.which("myst") is None, reason="mystmd not installed")


def lmlab(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "lmlab", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


TINY_ENV = {"LMLAB_PROFILE": "tiny", "LMLAB_DATA": str(HN_TITLES), "LMLAB_WORD_DATA": str(WIKITEXT)}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the study whose notebooks were executed at the tiny profile into its own run store:
    the ladder trained first in one process (as `lmlab ladder` does), then every notebook executed."""
    root = tmp_path_factory.mktemp("project")
    for name in ("content", "notebooks"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "kernel-*"))
    shutil.copy(ROOT / "myst.yml", root / "myst.yml")
    (root / "benchmarks").mkdir()
    for name in ("results.json", "profiles.json"):
        shutil.copy(ROOT / "benchmarks" / name, root / "benchmarks" / name)
    env = {**TINY_ENV, "LMLAB_RUNS": str(root / "runs")}
    # two workers share the ladder through the run locks, as the README says to use two cores
    out = lmlab("ladder", "--profile", "tiny", "--workers", "2", f"data={HN_TITLES}", cwd=root, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    out = lmlab("notebooks", "run", "--jobs", "2", cwd=root, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return root


def test_executed_notebooks_record_what_they_used(project):
    records = {p.stem: json.loads(p.read_text())["metadata"]["lmlab"] for p in (project / "notebooks").glob("*.ipynb")}
    assert records["90_performance"]["run_ids"] == []  # it reads benchmark results, no runs
    with_runs = [r for r in records.values() if r["run_ids"]]
    assert len(with_runs) >= 2
    for name, record in records.items():
        if not record["run_ids"]:
            continue
        assert record["profiles"] == ["tiny"] and record["source_hash"]
        assert {"report.py", "runs.py"} <= set(record["code_hashes"]) and "cli.py" not in record["code_hashes"]
        # one data set a notebook; the word-level page also names the ladder's runs its recipes come from
        assert len(record["data_fingerprints"]) == (2 if name == "20_wikitext2" else 1), name
    status = lmlab("notebooks", "status", cwd=project)
    assert status.returncode == 0 and "STALE" not in status.stdout


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
    assert all(f["kind"] == "Notebook" and f["location"].startswith("/notebooks/") and f["url"] for f in figures)


def test_check_names_a_broken_label_a_broken_reference_and_an_unpaired_notebook(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build", "runs"))
    page = broken / "content" / "02-adamw.md"
    page.write_text(page.read_text().replace(":::{figure} #adamw-lr-sweep", ":::{figure} #adamw-lr-swep")
                    + "\nSee also [](#fig-that-does-not-exist).\n")
    source = broken / "notebooks" / "01_initial_run.py"
    source.write_text(source.read_text() + "\n# %%\nprint('added after execution')\n")
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "embed of unknown label '#adamw-lr-swep'" in out.stderr
    assert "unresolved cross-reference '#fig-that-does-not-exist'" in out.stderr
    assert "01_initial_run: .py and .ipynb are out of sync" in out.stderr


def test_check_catches_a_figure_without_an_image_and_stale_code(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build", "runs"))
    page = broken / "content" / "01-initial-run.md"
    page.write_text(page.read_text() + "\n:::{figure} #initial-samples\n:label: fig-text\nNot an image.\n:::\n")
    ipynb = broken / "notebooks" / "02_adamw.ipynb"
    nb = json.loads(ipynb.read_text())
    nb["metadata"]["lmlab"]["code_hashes"]["plots.py"] = "0" * 12
    ipynb.write_text(json.dumps(nb))
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "figure '#initial-samples' embeds no image output" in out.stderr
    assert "02_adamw: stale, the lmlab code it imported changed since it was executed (plots.py)" in out.stderr


def test_unknown_notebook_name_is_a_clear_error(project):
    out = lmlab("notebooks", "run", "99_nope", cwd=project)
    assert out.returncode == 2 and "no notebook '99_nope'" in out.stderr and "01_initial_run" in out.stderr


def test_a_failing_cell_leaves_the_executed_notebook_unchanged(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build"))
    source = broken / "notebooks" / "01_initial_run.py"
    before = (broken / "notebooks" / "01_initial_run.ipynb").read_bytes()
    source.write_text(source.read_text() + "\n# %%\nraise RuntimeError('boom')\n")
    out = lmlab("notebooks", "run", "01", cwd=broken, env={**TINY_ENV, "LMLAB_RUNS": str(broken / "runs")})
    assert out.returncode == 2 and "a cell failed" in out.stderr and "RuntimeError: boom" in out.stderr
    assert (broken / "notebooks" / "01_initial_run.ipynb").read_bytes() == before


def test_a_notebook_finds_the_projects_run_store_from_its_own_folder(project, monkeypatch):
    from lmlab.runs import default_root

    monkeypatch.delenv("LMLAB_RUNS", raising=False)
    monkeypatch.chdir(project / "notebooks")
    assert default_root() == project / "runs"


def test_profiles_table_lists_what_differs_and_extra_budgets():
    from lmlab import stats, tables

    table = str(tables.profiles_table(extra={"words": {"cpu": {"d_model": 128}}}, note="a note"))
    assert "| `d_model` | 256 | 512 |" in table and "| `lr` |" not in table  # only what differs
    assert "| words: `d_model` | 128 | 512 |" in table and "a note" in table  # missing values: the profile's


def test_profile_table_puts_the_variants_side_by_side():
    from lmlab import stats, tables

    def rec(variant, mm, fill):
        ops = [{"name": "aten::mm", "self_ms": mm, "share": mm / (mm + fill), "calls": 5}, {"name": "aten::fill_", "self_ms": fill, "share": fill / (mm + fill), "calls": 5}]
        return {"profile": "cpu", "variant": variant, "steps": 5, "settings": {}, "step_ms": (mm + fill) / 5, "date": "2026-11-22",
                "machine": {"cpu": "test cpu", "torch_threads": 2}, "ops": ops}

    table = str(tables.profile_table({"cpu/reference": rec("reference", 600, 400), "cpu/lmlab": rec("lmlab", 600, 100)}))
    assert "| `aten::mm` | 60.0% | 85.7% |" in table and "| **CPU time per step** | **200 ms** | **140 ms** |" in table
    assert "No profile" in str(tables.profile_table({}, "full"))


def test_check_names_figure_numbers_and_titles_that_two_pages_share(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("_build"))
    for name in ("02-adamw.md", "03-schedule.md"):  # both lose their prefix: each has a "Figure 1"
        page = broken / "content" / name
        page.write_text(page.read_text().replace("numbering:\n", "numbering_removed:\n").replace('  enumerator: ', '  _: '))
    page = broken / "content" / "04-init.md"
    page.write_text(page.read_text().replace("title: Scaled residual init", "title: AdamW", 1))
    out = lmlab("check", cwd=broken)
    assert out.returncode == 1
    assert "Figure 1 is numbered on 2 pages (/content/02-adamw.md, /content/03-schedule.md)" in out.stderr
    assert "2 pages are titled 'AdamW' (/content/02-adamw.md, /content/04-init.md)" in out.stderr


def test_every_figure_output_describes_itself_for_the_alt_text(project):
    for notebook in (project / "notebooks").glob("*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    text = "".join(output["data"]["text/plain"])
                    assert text.startswith("Figure: ") and (" against " in text or " for each of: " in text), (notebook.name, text)
                    assert " · " in text, (notebook.name, text)  # with the figure's provenance line


def test_notebook_outputs_name_no_path_of_the_machine(project):
    for notebook in (project / "notebooks").glob("*.ipynb"):
        text = json.dumps([cell.get("outputs", []) for cell in json.loads(notebook.read_text())["cells"]])
        assert str(ROOT) not in text and str(project) not in text, notebook.name


def test_paired_difference_pairs_seeds_and_gives_a_t_interval(tmp_path):
    from lmlab import stats, tables
    from lmlab.runs import Run, write_json

    def runs(name, values):
        out = []
        for seed, value in values.items():
            folder = tmp_path / f"{name}{seed}"
            folder.mkdir()
            write_json(folder / "config.json", {"seed": seed})
            write_json(folder / "meta.json", {"status": "done", "final": {"val_loss": value}})
            out.append(Run(folder))
        return out

    recipe = runs("r", {1: 2.0, 2: 2.5, 3: 1.5, 4: 9.0})  # seed 4 has no partner: left out
    candidate = runs("c", {3: 1.4, 1: 1.9, 2: 2.3})
    paired = stats.paired_difference(candidate, recipe)
    # differences -0.1, -0.2, -0.1: mean -0.1333, sd 0.0577, t(0.975, 2) = 4.3027
    assert paired["n"] == 3 and paired["mean"] == pytest.approx(-0.13333, abs=1e-4)
    assert paired["high"] - paired["mean"] == pytest.approx(4.3027 * 0.057735 / 3 ** 0.5, rel=1e-3)
    assert tables.paired_cell(paired) == "-0.1333 [-0.2768, +0.0101], n=3"
    assert stats.paired_difference(candidate[:1], recipe) is None  # one pair: no interval
