"""The notebooks: executed through nbclient at the tiny profile on a temporary copy of the project
(the `project` fixture), recording what they used, failing cleanly, and told stale when what they
were made from changed."""

import json
import shutil

import pytest

from conftest import ROOT, TINY_ENV, lmlab
from lmlab import notebooks

pytestmark = pytest.mark.skipif(shutil.which("myst") is None, reason="mystmd not installed")


def test_executed_notebooks_record_what_they_used(project):
    records = {
        p.stem: json.loads(p.read_text())["metadata"]["lmlab"]
        for p in (project / "notebooks").glob("*.ipynb")
    }
    assert records["90_performance"]["run_ids"] == []  # it reads benchmark results, no runs
    with_runs = [r for r in records.values() if r["run_ids"]]
    assert len(with_runs) >= 2
    for name, record in records.items():
        if not record["run_ids"]:
            continue
        assert record["profiles"] == ["tiny"] and record["source_hash"]
        assert {"notebook_setup.py", "runs.py"} <= set(record["code_hashes"]) and "cli.py" not in record[
            "code_hashes"
        ]
        # one data set a notebook; the word-level page also names the ladder's runs its recipes come from
        assert len(record["data_fingerprints"]) == (2 if name == "30_wikitext2" else 1), name
    status = lmlab("notebooks", "status", cwd=project)
    assert status.returncode == 0 and "STALE" not in status.stdout


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
    from lmlab.project import runs_root

    monkeypatch.delenv("LMLAB_RUNS", raising=False)
    monkeypatch.chdir(project / "notebooks")
    assert runs_root() == project / "runs"


def test_every_figure_output_describes_itself_for_the_alt_text(project):
    for notebook in (project / "notebooks").glob("*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    text = "".join(output["data"]["text/plain"])
                    assert text.startswith("Figure: ") and (
                        " against " in text or " for each of: " in text
                    ), (notebook.name, text)
                    assert " · " in text, (notebook.name, text)  # with the figure's provenance line


def test_notebook_outputs_name_no_path_of_the_machine(project):
    for notebook in (project / "notebooks").glob("*.ipynb"):
        text = json.dumps([cell.get("outputs", []) for cell in json.loads(notebook.read_text())["cells"]])
        assert str(ROOT) not in text and str(project) not in text, notebook.name


def test_a_notebook_is_current_until_what_it_was_made_from_changes(tmp_path):
    """A notebook executed here (a real kernel) is current; its status then names each way it goes
    stale: its source edited, a cell added, an lmlab module it imported or the requirements.lock
    not the ones it was executed with, a labelled cell without its output."""
    source = tmp_path / "01_probe.py"
    source.write_text("# %%\n#| label: probe\nimport lmlab.stats\nprint(lmlab.stats.__name__)\n")
    notebooks.execute(source)
    ipynb, text = source.with_suffix(".ipynb"), source.read_text()
    executed = json.loads(ipynb.read_text())
    assert "stats.py" in executed["metadata"]["lmlab"]["code_hashes"]
    assert notebooks.status(source).ok and notebooks.status(source).problems() == []

    def problems_when(source_text=text, record=None, outputs=None) -> list[str]:
        """The status's problems once the source reads `source_text`, and the executed notebook has
        these entries in its record and these outputs in its cell (else as executed)."""
        source.write_text(source_text)
        changed = json.loads(json.dumps(executed))
        changed["metadata"]["lmlab"].update(record or {})
        if outputs is not None:
            changed["cells"][0]["outputs"] = outputs
        ipynb.write_text(json.dumps(changed))
        return notebooks.status(source).problems()

    assert problems_when() == []
    (edited,) = problems_when(text + "\n\n")  # the same cells, another file
    assert "the notebook source changed since it was executed" in edited
    (added,) = problems_when(text + "\n# %%\nprint(2)\n")
    assert ".py and .ipynb are out of sync" in added
    code_hashes = {**executed["metadata"]["lmlab"]["code_hashes"], "stats.py": "0" * 12}
    (code,) = problems_when(record={"code_hashes": code_hashes})
    assert "changed since it was executed (stats.py)" in code
    (lock,) = problems_when(record={"lock_hash": "0" * 12})
    assert "executed under another requirements.lock" in lock
    assert problems_when(outputs=[]) == ["01_probe: cell 'probe' has no output"]


def test_editing_a_sentence_of_the_study_makes_only_the_notebooks_showing_it_stale(project, tmp_path):
    """A notebook records the project's modules it imported (the study's) beside lmlab's: a sentence
    edited in study/together.py makes the together page's notebook stale and no other; an edit to the
    study's ladder, which every step's notebook imports, makes each of those stale."""
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("_build", "runs", "__pycache__"))
    directory = copy / "notebooks"
    assert all(notebooks.status(source).ok for source in notebooks.sources(directory))

    prose = copy / "study" / "together.py"
    text = prose.read_text()
    sentence = next(line for line in text.splitlines() if line.strip().startswith('"') and len(line) > 60)
    prose.write_text(text.replace(sentence, sentence.replace('"', '"Indeed, ', 1), 1))
    stale = {s.stem: notebooks.status(s).problems() for s in notebooks.sources(directory)}
    assert [name for name, problems in stale.items() if problems] == ["17_together"]
    assert "changed since it was executed (study/together.py)" in stale["17_together"][0]

    ladder = copy / "study" / "ladder.py"
    ladder.write_text(ladder.read_text() + "\n# one more line\n")
    stale = [s.stem for s in notebooks.sources(directory) if notebooks.status(s).problems()]
    assert "05_rope" in stale and "80_summary" in stale and "90_performance" not in stale
