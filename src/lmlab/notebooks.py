"""Executing the study's notebooks and telling whether they are current.

`notebooks/NN_name.py` (jupytext percent format) is the source; `notebooks/NN_name.ipynb` is the
executed copy with outputs that MyST reads. Executing records in the notebook's metadata what it
was made from: the hash of the .py, the hash of each lmlab module the kernel imported, and the
runs it used (with their profile and data fingerprint), so `status` can say when an output has
gone stale, and why: a change to a module the notebook never imported (the CLI, the site check)
leaves it current.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from lmlab.errors import LmlabError
from lmlab.notebook_setup import default_profile
from lmlab.project import project_root
from lmlab.runs import RUN_LOG_ENV, lock_hash

PACKAGE_DIR = Path(__file__).resolve().parent
LABEL = re.compile(r"^#\|\s*label:\s*(\S+)", re.MULTILINE)
# where a notebook names the repository: its Colab badge and its Colab install cell
REPOSITORY_IN_NOTEBOOK = (
    re.compile(r"(https://colab\.research\.google\.com/github/)([\w.-]+/[\w.-]+)(/blob/)"),
    re.compile(r"(REPO = \"https://github\.com/)([\w.-]+/[\w.-]+?)(\.git)?(?=\")"),
)


def repository(root: Path) -> str | None:
    """`owner/name` of the project's GitHub repository, from `project.github` in myst.yml: the one place
    that names it (a fork changes it there, and `lmlab notebooks run` carries it into every notebook).
    None where myst.yml names none (a new project, not on GitHub yet)."""
    import yaml

    config = yaml.safe_load((root / "myst.yml").read_text(encoding="utf-8")) or {}
    github = str((config.get("project") or {}).get("github") or "")
    if not github:
        return None
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(\.git)?/?", github)
    if not match:
        raise LmlabError(
            f"{root / 'myst.yml'}: project.github is {github!r}; set it to https://github.com/OWNER/NAME"
        )
    return match.group(1)


def named_repositories(source: Path) -> set[str]:
    text = source.read_text(encoding="utf-8")
    return {m.group(2) for pattern in REPOSITORY_IN_NOTEBOOK for m in pattern.finditer(text)}


def follow_repository(source: Path, repo: str) -> bool:
    """Make the notebook's badge and install cell name `repo`; True when the source changed."""
    text = source.read_text(encoding="utf-8")
    new = text
    for pattern in REPOSITORY_IN_NOTEBOOK:
        new = pattern.sub(lambda m: m.group(1) + repo + (m.group(3) or ""), new)
    if new != text:
        source.write_text(new, encoding="utf-8")
    return new != text


def package_hash() -> str:
    """Hash of all lmlab code (what notebooks executed before per-module hashes recorded)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def module_path(name: str, root: Path | None) -> Path | None:
    """A recorded module's file: lmlab's by file name ("ladder.py"), the project's by its path from the
    project root ("study/ladder.py")."""
    if "/" not in name:
        return PACKAGE_DIR / name
    return root / name if root else None


def module_hashes(names, root: Path | None) -> dict[str, str]:
    """{module: hash} for the recorded modules `names` (a module that no longer exists: "")."""
    paths = {name: module_path(name, root) for name in sorted(names)}
    return {name: text_hash(path) if path and path.exists() else "" for name, path in paths.items()}


def imported_modules(files, root: Path | None) -> list[str]:
    """The modules a notebook's code depends on, from the files of every module its kernel imported:
    lmlab's (by file name) and the project's own, its study among them (by path from the project root);
    nothing installed (site-packages) and nothing else."""
    found = set()
    for file in files:
        path = Path(file).resolve()
        if path.parent == PACKAGE_DIR:
            found.add(path.name)
        elif root and path.is_relative_to(root) and "site-packages" not in path.parts:
            found.add(path.relative_to(root).as_posix())
    return sorted(found)


# appended to a notebook while it executes (and removed before it is written): the kernel names the
# files of every module it imported, lazily imported ones included, and the colours its figures drew
MODULES_CELL = """import json as _json, os as _os, sys as _sys
with open(_os.environ["LMLAB_RUN_LOG"] + ".modules", "w") as _fh:
    _fh.write("\\n".join(sorted({_m.__file__ for _m in list(_sys.modules.values())
                                if isinstance(getattr(_m, "__file__", None), str)})))
if "lmlab.palette" in _sys.modules:
    with open(_os.environ["LMLAB_RUN_LOG"] + ".colors", "w") as _fh:
        _json.dump(_sys.modules["lmlab.palette"].used(), _fh)"""


def text_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def sources(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("[0-9]*.py"))


def select(directory: Path, names: list[str]) -> list[Path]:
    """Notebooks by name: `01`, `01_initial_run`, `initial_run` or a path; all when none given."""
    available = sources(directory)
    if not names:
        return available
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [
            p
            for p in available
            if p.stem == stem or p.stem.split("_", 1)[0] == stem or p.stem.split("_", 1)[-1] == stem
        ]
        if len(matches) != 1:
            listing = ", ".join(p.stem for p in available) or "(none)"
            raise LmlabError(f"no notebook '{name}' in {directory}; available: {listing}")
        chosen.append(matches[0])
    return chosen


def labels(path: Path) -> list[str]:
    return LABEL.findall(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ execution


def execute(source: Path, timeout: int = 3600) -> dict:
    """Run the .py notebook in a fresh kernel and write the paired .ipynb with its outputs.
    On an error nothing is written: the previous .ipynb stays as it was."""
    import jupytext
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    nb = jupytext.read(source)
    nb.cells.append(nbformat.v4.new_code_cell(MODULES_CELL))
    with tempfile.NamedTemporaryFile("r", suffix=".runs", delete=False) as log:
        log_path = Path(log.name)
    modules_path = Path(str(log_path) + ".modules")
    previous = os.environ.get(RUN_LOG_ENV)
    os.environ[RUN_LOG_ENV] = str(log_path)  # the kernel inherits it; lmlab.run() appends what it used
    started = time.perf_counter()
    try:
        client = nbclient.NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(source.parent.resolve())}},
        )
        client.execute()
    except CellExecutionError as e:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(e))  # the kernel colours its tracebacks
        last = [line for line in plain.splitlines() if line.strip()][-1:] or ["(no message)"]
        raise LmlabError(
            f"{source.name}: a cell failed: {last[0][:300]}; the executed .ipynb was left unchanged"
        ) from None
    except Exception as e:
        raise LmlabError(f"{source.name}: could not execute ({type(e).__name__}: {e})") from None
    finally:
        if previous is None:
            os.environ.pop(RUN_LOG_ENV, None)
        else:
            os.environ[RUN_LOG_ENV] = previous
        used = [line.split("\t") for line in log_path.read_text().splitlines() if line.strip()]
        modules = modules_path.read_text().splitlines() if modules_path.exists() else []
        colors_path = Path(str(log_path) + ".colors")
        colors = (
            json.loads(colors_path.read_text()) if colors_path.exists() else {"colors": {}, "figures": []}
        )
        for path in (log_path, modules_path, colors_path):
            path.unlink(missing_ok=True)
    nb.cells.pop()  # the modules cell
    run_ids = list(dict.fromkeys(u[0] for u in used))
    root = project_root(source.parent)
    record = {
        "source_hash": text_hash(source),
        "code_hashes": module_hashes(imported_modules(modules, root), root),
        "lock_hash": lock_hash(),
        "executed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "profiles": sorted({u[2] for u in used}),
        "data_fingerprints": sorted({u[1] for u in used}),
        "run_ids": run_ids,
        "colors": colors["colors"],  # label -> the colours its figures drew it in (lmlab.palette)
        "figures": colors["figures"],  # the labels of each figure
    }
    nb.metadata["lmlab"] = record
    jupytext.write(nb, source.with_suffix(".ipynb"))
    return record


def run(directory: Path, names: list[str], jobs: int = 1, log=print) -> list[dict]:
    chosen = select(directory, names)
    if not chosen:
        raise LmlabError(f"no notebooks in {directory}")
    root = project_root(directory)
    if root is not None:
        repo = repository(root)
        for source in chosen if repo else ():
            if follow_repository(source, repo):
                log(f"{source.stem}: its Colab badge and install cell now name {repo} (myst.yml)")
    # decided once here, not by every kernel: finding out whether there is a GPU imports torch (seconds)
    os.environ.setdefault("LMLAB_PROFILE", default_profile())

    if jobs > 1 and len(chosen) > 1:  # processes: each kernel gets its own run log through the environment
        records = {}
        with ProcessPoolExecutor(min(jobs, len(chosen))) as pool:
            futures = {pool.submit(execute, source): source for source in chosen}
            for future in as_completed(futures):
                source = futures[future]
                records[source] = future.result()
                _report(source, records[source], log)
        return [records[source] for source in chosen]
    records = []
    for source in chosen:
        records.append(execute(source))
        _report(source, records[-1], log)
    return records


def _report(source: Path, record: dict, log) -> None:
    log(
        f"{source.stem}: executed in {record['seconds']}s, {len(record['run_ids'])} runs ({', '.join(record['profiles']) or 'no runs'})"
    )


# ------------------------------------------------------------------ status

NOT_RECORDED = "executed outside `lmlab notebooks run`, so whether it is stale is unknown"


@dataclass
class Status:
    name: str
    executed: bool = False
    recorded: bool = False  # executed by `lmlab notebooks run`, which records what it was made from
    in_sync: bool = False
    stale_reasons: list[str] = field(default_factory=list)
    missing_outputs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.executed
            and self.recorded
            and self.in_sync
            and not self.stale_reasons
            and not self.missing_outputs
        )

    def problems(self) -> list[str]:
        if not self.executed:
            return [f"{self.name}: not executed (no .ipynb); run: lmlab notebooks run {self.name}"]
        out = []
        if not self.in_sync:
            out.append(f"{self.name}: .py and .ipynb are out of sync; run: lmlab notebooks run {self.name}")
        out += [
            f"{self.name}: stale, {reason}; run: lmlab notebooks run {self.name}"
            for reason in self.stale_reasons
        ]
        out += [f"{self.name}: cell '{label}' has no output" for label in self.missing_outputs]
        return out


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def status(source: Path) -> Status:
    import jupytext

    st = Status(source.stem)
    ipynb = source.with_suffix(".ipynb")
    if not ipynb.exists():
        return st
    st.executed = True
    executed = jupytext.read(ipynb)
    st.in_sync = _cells(jupytext.read(source)) == _cells(executed)
    record = executed.metadata.get("lmlab", {})
    st.recorded = bool(record)
    if record:
        if record.get("source_hash") != text_hash(source) and st.in_sync is False:
            pass  # already reported as out of sync
        elif record.get("source_hash") != text_hash(source):
            st.stale_reasons.append("the notebook source changed since it was executed")
        if "code_hashes" in record:
            changed = [
                name
                for name, digest in module_hashes(record["code_hashes"], project_root(source.parent)).items()
                if digest != record["code_hashes"][name]
            ]
            if changed:
                st.stale_reasons.append(
                    f"the code it imported changed since it was executed ({', '.join(changed)})"
                )
        elif record.get("code_hash") != package_hash():
            st.stale_reasons.append(
                f"the lmlab code changed since it was executed ({record.get('code_hash')} -> {package_hash()})"
            )
        if record.get("lock_hash") != lock_hash():
            st.stale_reasons.append(
                f"it was executed under another requirements.lock ({record.get('lock_hash')} -> {lock_hash()})"
            )
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        found = LABEL.findall(cell.source)
        if found and not cell.get("outputs"):
            st.missing_outputs.append(found[0])
    return st
