"""`lmlab new DIR`: a new study that works at once, from the files in templates/new.

The templates are plain files with three placeholders ({{title}}, {{slug}}, {{data}}) filled by
string replacement: a template engine (copier, cookiecutter) would add a dependency and a syntax
for what three names need. The project written is the smallest complete study: a two-step ladder
(baseline and one change), a notebook and a page per step, an overview, a README with the two
commands, a Makefile and `.ci/run`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lmlab.errors import LmlabError

TEMPLATE = Path(__file__).resolve().parent / "templates" / "new"
DEFAULT_DATA = "data/train.txt"


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "study"


def data_reference(data: str | None, directory: Path) -> str:
    """How the new project's pyproject.toml names its data: a path from the project where the file
    lies inside it, else the file's absolute path; a name that is no file (a hub dataset) as it is."""
    if not data:
        return DEFAULT_DATA
    path = Path(data).expanduser()
    if not path.exists():
        return data
    path = path.resolve()
    return path.relative_to(directory).as_posix() if path.is_relative_to(directory) else str(path)


def new(directory: Path, title: str | None = None, data: str | None = None) -> list[Path]:
    """Write a new study into `directory` (new, or empty); the files written."""
    directory = directory.resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise LmlabError(f"{directory} exists and is not an empty folder; lmlab new writes a new study only")
    title = title or directory.name.replace("-", " ").replace("_", " ").capitalize()
    values = {"title": title, "slug": slug(title), "data": data_reference(data, directory)}
    written = []
    for source in sorted(p for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = directory / source.relative_to(TEMPLATE)
        text = source.read_text(encoding="utf-8")
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", value)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if os.access(source, os.X_OK):
            target.chmod(0o755)
        written.append(target)
    return written
