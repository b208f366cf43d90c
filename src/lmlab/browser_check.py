"""What a reader's browser shows of a served site: every page opened in headless Chromium
(Playwright), with every request to another host blocked, and what a reader would see broken
reported one line each: a JavaScript error, Markdown table syntax shown as text, an image that did
not load or whose alt text is an object's repr (`<Figure size 600x400 with 1 Axes>`), a plotly
figure without traces, a page still loading after 30 s, a link ("Source" links and
cross-references included) that leads to no page or no element, a figure's link to its notebook
cell that does not land on the cell, an asset that answers 404, a code block or a table wider than
the column, an image drawn far wider than it is shown, or a page that asks another host for an
image, a font, a frame or data.

It checks any site served over HTTP; lmlab.site builds and serves the MyST site it is given.
"""

from __future__ import annotations

import asyncio
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

from lmlab.errors import LmlabError

BROWSER_ENV = "LMLAB_CHROMIUM"
SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Every request to another host is blocked, so a page passes only if it shows everything without
# one; these kinds are reported too, as content a page needs from elsewhere. The theme's own head
# asks CDNs for stylesheets and MathJax (math and icons, unused here): blocked, not reported.
CONTENT_TYPES = ("image", "media", "font", "fetch", "xhr", "document", "websocket", "eventsource")
MAX_SHRINK = 1.5  # an image drawn wider than this many times its shown width has text too small to read
MARKDOWN_TABLE = re.compile(r"^\s*\|.*\|\s*$|\|\s*:?-{3,}:?\s*\|", re.MULTILINE)


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
