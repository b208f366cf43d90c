"""Where things are: the project (the folder holding myst.yml), its run store, lmlab's cache, data
beside the project, and the project's own lmlab settings (`[tool.lmlab]` in its pyproject.toml).

A project is a MyST site with notebooks and a study; lmlab is installed anywhere (a wheel, Colab,
another clone), so every path here is found from the working directory, never from the package.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from lmlab.errors import LmlabError

DEFAULT_STUDY = "study:LADDER"


def project_root(start: Path | None = None) -> Path | None:
    """The project's folder, the one holding myst.yml, at or above `start` (the working directory; a
    notebook runs in the project's notebooks/ folder)."""
    here = (start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if (folder / "myst.yml").exists()), None)


def runs_root() -> Path:
    """$LMLAB_RUNS; else `runs/` of the project the current directory is in (so a notebook running in
    notebooks/ finds the project's store); else ./runs."""
    if os.environ.get("LMLAB_RUNS"):
        return Path(os.environ["LMLAB_RUNS"])
    root = project_root()
    return root / "runs" if root else Path("runs")


def cache_root() -> Path:
    """$LMLAB_CACHE, else ~/.cache/lmlab: tokenized data, Node, data copies for other machines."""
    return Path(os.environ.get("LMLAB_CACHE", Path.home() / ".cache" / "lmlab"))


def beside_project(*parts: str, start: Path | None = None) -> Path | None:
    """An offline copy of data in `../shared/data/` beside the project, if there is one."""
    root = project_root(start)
    path = root.parent / "shared" / "data" / Path(*parts) if root else None
    return path if path is not None and path.exists() else None


def settings(root: Path | None = None) -> dict:
    """The project's `[tool.lmlab]` table in its pyproject.toml ({} where it has none)."""
    root = root or project_root()
    path = root / "pyproject.toml" if root else None
    if path is None or not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise LmlabError(f"{path}: not valid TOML ({e}); fix it to read the project's [tool.lmlab]") from None
    table = data.get("tool", {}).get("lmlab", {})
    if not isinstance(table, dict):
        raise LmlabError(f"{path}: [tool.lmlab] must be a table")
    return table


def study_spec(root: Path | None = None) -> str:
    """`module:NAME` of the project's study: `[tool.lmlab] study`, else study:LADDER."""
    return settings(root).get("study", DEFAULT_STUDY)


def plan_specs(root: Path | None = None) -> dict[str, str]:
    """The project's named trainings beyond its ladder (`[tool.lmlab.plans]`): {name: "module:function"}."""
    value = settings(root).get("plans", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LmlabError('[tool.lmlab.plans] must be a table of name = "module:function"')
    return value


def rules(root: Path | None = None) -> set[str]:
    """The project's conventions `lmlab check` enforces as failures (`[tool.lmlab] rules`); the others
    it reports as warnings."""
    value = settings(root).get("rules", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LmlabError("[tool.lmlab] rules must be a list of rule names")
    return set(value)


def data_setting(root: Path | None = None) -> str | None:
    """The data the project names (`[tool.lmlab] data`): a path from the project's folder (made
    absolute) or a hub dataset's name; a list names sources in order of preference, and the first
    path that exists wins, else the first name that is no path (the hub dataset). None: it names none."""
    root = root or project_root()
    value = settings(root).get("data")
    choices = value if isinstance(value, list) else [value] if value else []
    for choice in choices:
        path = Path(choice).expanduser()
        path = path if path.is_absolute() or root is None else root / path
        if path.exists():
            return str(path.resolve())
    names = [c for c in choices if "/" in c and not c.startswith((".", "/", "~")) and c.count("/") == 1]
    return names[0] if names else (choices[0] if choices else None)
