"""`lmlab check`: build the site content offline and fail on anything broken or stale.

mystmd only warns on a broken cross-reference and is silent about an embed whose label does not
exist, so the checks read the built page JSON (`_build/site/content/*.json`) themselves.

Two kinds of finding. Correctness holds for any MyST project, lmlab's or not: an embed of a label
that does not exist, an unresolved reference, a figure without an image, a label two notebooks
define, a notebook lmlab executed that is stale. Conventions (RULES) are this kind of study's house
style; a project turns them on in its pyproject.toml (`[tool.lmlab] rules = [...]`), which makes
them failures; otherwise they are reported as warnings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lmlab import notebooks, palette, project, site
from lmlab.errors import LmlabError

RULES = {
    "cell-links": "every embedded output links to the notebook cell that made it",
    "figure-numbers": "each page numbers its figures with its own prefix",
    "unique-titles": "no two pages share a title",
    "colab-repository": "every notebook's Colab badge and install cell name the repository in myst.yml",
    "lmlab-notebooks": "every notebook was executed by `lmlab notebooks run` (so its freshness is known)",
    "one-colour": "a label has one colour in every figure, and no two labels of one notebook share one",
}

IMAGE_MIMETYPES = ("image/", "application/vnd.plotly.v1+json")


def walk(node):
    yield node
    for child in node.get("children", []) or []:
        yield from walk(child)


def page_problems(doc: dict) -> list[str]:
    """Unknown embed labels, unresolved cross-references, embedded figures without an image."""
    where = doc.get("location", "?")
    problems = []
    for node in walk(doc.get("mdast", {})):
        kind = node.get("type")
        source = node.get("source") if isinstance(node.get("source"), dict) else None
        if source and "label" in source and kind in ("container", "embed", "image", "_lift"):
            if not source.get("url"):
                if kind != "_lift":  # the figure around it is reported already
                    problems.append(f"{where}: embed of unknown label '#{source['label']}'")
                continue
            if kind == "container" and node.get("kind") == "figure":
                mimetypes = [
                    m
                    for n in walk(node)
                    if n.get("type") == "output"
                    for m in (n.get("jupyter_data", {}).get("data") or {})
                ]
                if not any(m.startswith(IMAGE_MIMETYPES) for m in mimetypes):
                    problems.append(f"{where}: figure '#{source['label']}' embeds no image output")
        elif kind == "crossReference" and node.get("resolved") is False:
            problems.append(f"{where}: unresolved cross-reference '#{node.get('identifier')}'")
        elif kind == "link" and str(node.get("urlSource", "")).startswith("#"):
            problems.append(f"{where}: unresolved cross-reference '{node['urlSource']}'")
    return problems


def unlinked_cells(doc: dict) -> list[str]:
    """Every embedded output must link to the notebook cell that made it (a cross-reference to its
    label), which opens the notebook page scrolled to that cell; the theme's "Source" link opens the
    page at its top."""
    where = doc.get("location", "?")
    embedded, linked = [], set()
    for node in walk(doc.get("mdast", {})):
        source = node.get("source") if isinstance(node.get("source"), dict) else None
        if (
            source
            and source.get("url")
            and source.get("label")
            and node.get("type") in ("container", "embed")
        ):
            embedded.append(source["label"])
        elif node.get("type") == "crossReference" and node.get("remote"):
            linked.add(node.get("identifier"))
    return [
        f"{where}: the output '#{label}' has no link to its cell; add [The cell that made this](#{label}) "
        f"to its caption or below it"
        for label in dict.fromkeys(embedded)
        if label not in linked
    ]


def duplicate_numbers(docs: list[dict]) -> list[str]:
    """A figure number used on two pages makes "Figure 1" ambiguous: each page needs its own prefix."""
    pages: dict[tuple[str, str], list[str]] = {}
    for doc in docs:
        for node in walk(doc.get("mdast", {})):
            if node.get("type") == "container" and node.get("enumerator"):
                pages.setdefault((node.get("kind", "figure"), str(node["enumerator"])), []).append(
                    doc.get("location", "?")
                )
    return [
        f"{kind.capitalize()} {number} is numbered on {len(set(where))} pages ({', '.join(sorted(set(where)))}); "
        f'give each page its own prefix in its frontmatter (numbering: enumerator: "2.%s")'
        for (kind, number), where in pages.items()
        if len(set(where)) > 1
    ]


def duplicate_titles(docs: list[dict]) -> list[str]:
    """Two pages of one title read as one in the sidebar, and a "Source:" link to a notebook named
    like the page it sits on reads as a link to itself."""
    pages: dict[str, list[str]] = {}
    for doc in docs:
        title = (doc.get("frontmatter") or {}).get("title")
        if title:
            pages.setdefault(title, []).append(doc.get("location", "?"))
    return [
        f"{len(where)} pages are titled '{title}' ({', '.join(sorted(where))}); give each its own title"
        for title, where in pages.items()
        if len(where) > 1
    ]


def duplicate_labels(sources: list[Path]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for source in sources:
        for label in notebooks.labels(source):
            if label in seen:
                problems.append(
                    f"label '{label}' is defined in both {seen[label]} and {source.name}; the first wins silently"
                )
            seen.setdefault(label, source.name)
    return problems


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def convention(self, rule: str, problems: list[str], enforced: set[str]) -> None:
        """A convention's problems: failures where the project turns the rule on, else warnings."""
        target = self.failures if rule in enforced else self.warnings
        target += [f"{p} [{rule}]" for p in problems]


def colour_problems(sources: list[Path]) -> list[str]:
    """Across the notebooks' recorded figures (lmlab.palette): a label drawn in two colours anywhere, and in
    one notebook two labels drawn in one colour or, in one figure, alike."""
    import nbformat

    problems, where = [], {}
    for source in sources:
        executed = source.with_suffix(".ipynb")
        if not executed.exists():
            continue
        record = nbformat.read(executed, as_version=4).metadata.get("lmlab", {})
        colors = record.get("colors", {})
        problems += [f"{source.stem}: {p}" for p in palette.clashes(colors, record.get("figures", []))]
        for label, shades in colors.items():
            for color in shades:
                where.setdefault(label, {}).setdefault(color, []).append(source.stem)
    problems += [
        f"'{label}' is drawn in {len(shades)} colours across the notebooks: "
        + "; ".join(f"{color} in {', '.join(names)}" for color, names in shades.items())
        for label, shades in where.items()
        if len(shades) > 1
    ]
    return problems


def repository_problems(root: Path, sources: list[Path]) -> list[str]:
    try:
        repo = notebooks.repository(root)
    except LmlabError as e:
        return [str(e)] if sources else []
    if repo is None:
        return []
    return [
        f"{source.stem}: its Colab badge or install cell names {other}, but myst.yml names {repo}; "
        f"`lmlab notebooks run {source.stem}` makes it follow myst.yml"
        for source in sources
        for other in sorted(notebooks.named_repositories(source) - {repo})
    ]


def check(root: Path) -> Findings:
    """Every problem found, one line each, as failures and warnings; no failure: the site is sound."""
    if not (root / "myst.yml").exists():
        raise LmlabError(f"no myst.yml in {root}; run lmlab check from the project root")
    enforced = project.rules(root)
    unknown = enforced - set(RULES)
    if unknown:
        raise LmlabError(
            f"[tool.lmlab] rules names no rule: {', '.join(sorted(unknown))}; the rules: {', '.join(RULES)}"
        )
    found = Findings()
    sources = notebooks.sources(root / "notebooks")
    found.failures += duplicate_labels(sources)
    unrecorded = []
    for source in sources:
        status = notebooks.status(source)
        if status.executed and not status.recorded:
            unrecorded.append(f"{source.stem}: {notebooks.NOT_RECORDED}")
        found.failures += status.problems()
    found.convention("lmlab-notebooks", unrecorded, enforced)
    found.convention("colab-repository", repository_problems(root, sources), enforced)
    found.convention("one-colour", colour_problems(sources), enforced)
    site.build_content(root)
    pages = sorted((root / "_build" / "site" / "content").glob("*.json"))
    if not pages:
        found.failures.append("myst build --site produced no pages")
    docs = [json.loads(page.read_text(encoding="utf-8")) for page in pages]
    for doc in docs:
        found.failures += page_problems(doc)
    found.convention("cell-links", [p for doc in docs for p in unlinked_cells(doc)], enforced)
    found.convention("figure-numbers", duplicate_numbers(docs), enforced)
    found.convention("unique-titles", duplicate_titles(docs), enforced)
    return found
